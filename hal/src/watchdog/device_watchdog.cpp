#include "edgert/hal/watchdog.hpp"

#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace edgert::hal {

Result<DeviceWatchdog> DeviceWatchdog::open(const std::string& path, int timeoutSeconds) {
  DeviceWatchdog w;
  w.path_ = path;
  w.fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (w.fd_ < 0) {
    const int err = errno;
    return Error::fromErrno(err, fmt::format("watchdog {}: open", path));
  }
  watchdog_info info{};
  if (::ioctl(w.fd_, WDIOC_GETSUPPORT, &info) == 0) {
    w.identity_ = reinterpret_cast<const char*>(info.identity);
    w.magicClose_ = (info.options & WDIOF_MAGICCLOSE) != 0;
  }
  int timeout = timeoutSeconds;
  if (::ioctl(w.fd_, WDIOC_SETTIMEOUT, &timeout) < 0) {
    const int err = errno;
    // Opening armed it: disarm before giving up, so a refused timeout does not reset.
    (void)w.close();
    return Error::fromErrno(err, fmt::format("watchdog {}: WDIOC_SETTIMEOUT {} s", path, timeoutSeconds));
  }
  w.timeout_ = timeout;
  int status = 0;
  if (::ioctl(w.fd_, WDIOC_GETBOOTSTATUS, &status) == 0) w.bootStatus_ = status;
  return w;
}

DeviceWatchdog::DeviceWatchdog(DeviceWatchdog&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      timeout_(other.timeout_),
      bootStatus_(other.bootStatus_),
      magicClose_(other.magicClose_),
      identity_(std::move(other.identity_)),
      path_(std::move(other.path_)) {}

DeviceWatchdog& DeviceWatchdog::operator=(DeviceWatchdog&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    timeout_ = other.timeout_;
    bootStatus_ = other.bootStatus_;
    magicClose_ = other.magicClose_;
    identity_ = std::move(other.identity_);
    path_ = std::move(other.path_);
  }
  return *this;
}

DeviceWatchdog::~DeviceWatchdog() {
  if (fd_ >= 0) ::close(fd_);  // no magic character: stays armed
}

Result<void> DeviceWatchdog::keepalive() {
  if (fd_ < 0) return makeError(Errc::kInvalidArgument, "watchdog {}: not open", path_);
  int dummy = 0;
  if (::ioctl(fd_, WDIOC_KEEPALIVE, &dummy) < 0) {
    const int err = errno;
    return Error::fromErrno(err, fmt::format("watchdog {}: WDIOC_KEEPALIVE", path_));
  }
  return success();
}

bool DeviceWatchdog::close() {
  if (fd_ < 0) return false;
  ssize_t n;
  do {
    n = ::write(fd_, "V", 1);
  } while (n < 0 && errno == EINTR);
  ::close(fd_);
  fd_ = -1;
  return magicClose_ && n == 1;
}

}  // namespace edgert::hal
