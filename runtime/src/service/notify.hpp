// sd_notify for the service: READY=1, STATUS=, WATCHDOG=1, WATCHDOG=trigger, RELOADING=1,
// STOPPING=1. Without $NOTIFY_SOCKET (not under systemd) every call does nothing; with it,
// the constructor opens libsystemd (base/systemd.hpp), and logs an error if it cannot. The
// watchdog interval comes from $WATCHDOG_USEC (sd_watchdog_enabled); the service pings at
// half of it, and only when frames were completed since the last ping.
#pragma once

#include <chrono>
#include <string_view>

namespace edgert::systemd {
struct Library;
}

namespace edgert::runtime {

class ServiceNotifier {
 public:
  ServiceNotifier();

  bool underSystemd() const { return enabled_; }
  // Zero when systemd's watchdog is off for this service.
  std::chrono::microseconds watchdogInterval() const { return watchdog_; }

  void ready() const;
  void status(std::string_view line) const;  // at most 255 bytes are sent
  void watchdogPing() const;
  void watchdogTrigger() const;
  void reloading() const;
  void stopping() const;

 private:
  void send(const char* text) const;
  bool enabled_ = false;
  const systemd::Library* systemd_ = nullptr;
  std::chrono::microseconds watchdog_{0};
};

}  // namespace edgert::runtime
