// A hardware (or softdog) watchdog device owned by edgert: /dev/watchdogN through the
// kernel's watchdog API. Opening it arms it; keepalive() must follow within the timeout or
// the board resets; close() with the magic character disarms it (when the driver allows:
// WDIOF_MAGICCLOSE), so a clean stop does not reset the board. Used only when the board
// file says `watchdog.mode = "device"`, never together with systemd's watchdog.
#pragma once

#include <string>

#include "edgert/base/result.hpp"

namespace edgert::hal {

class DeviceWatchdog {
 public:
  // Opens `path`, sets the timeout (WDIOC_SETTIMEOUT; the driver may round it) and reads
  // the boot status (WDIOC_GETBOOTSTATUS: whether the last reset was the watchdog's).
  static Result<DeviceWatchdog> open(const std::string& path, int timeoutSeconds);

  DeviceWatchdog(DeviceWatchdog&& other) noexcept;
  DeviceWatchdog& operator=(DeviceWatchdog&& other) noexcept;
  DeviceWatchdog(const DeviceWatchdog&) = delete;
  DeviceWatchdog& operator=(const DeviceWatchdog&) = delete;
  // Without close(): the device is left armed (a crash must still reset the board).
  ~DeviceWatchdog();

  Result<void> keepalive();
  // Magic close: writes 'V' and closes, disarming a driver that supports it. Returns
  // whether the driver promised to disarm (WDIOF_MAGICCLOSE).
  bool close();

  int timeoutSeconds() const { return timeout_; }
  bool lastResetByWatchdog() const { return bootStatus_ != 0; }
  int bootStatus() const { return bootStatus_; }
  const std::string& identity() const { return identity_; }  // the driver's name
  const std::string& path() const { return path_; }

 private:
  DeviceWatchdog() = default;
  int fd_ = -1;
  int timeout_ = 0;
  int bootStatus_ = 0;
  bool magicClose_ = false;
  std::string identity_;
  std::string path_;
};

}  // namespace edgert::hal
