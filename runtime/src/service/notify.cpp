#include "notify.hpp"

#include "edgert/base/log.hpp"
#include "edgert/base/systemd.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace edgert::runtime {

namespace {
EDGERT_LOG_CATEGORY(gLog, "service");
}  // namespace

ServiceNotifier::ServiceNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || socket[0] == '\0') return;
  // Opened here, at start-up, not at the first notification inside the loop.
  systemd_ = systemd::library();
  if (systemd_ == nullptr) {
    log::error(gLog, "$NOTIFY_SOCKET is set but {}: systemd will hear no READY=1 and no watchdog ping",
               systemd::loadError());
    return;
  }
  enabled_ = true;
  std::uint64_t usec = 0;
  if (systemd_->watchdogEnabled(0, &usec) > 0) watchdog_ = std::chrono::microseconds(usec);
}

void ServiceNotifier::send(const char* text) const {
  if (enabled_) (void)systemd_->notify(0, text);
}

void ServiceNotifier::ready() const { send("READY=1"); }
void ServiceNotifier::watchdogPing() const { send("WATCHDOG=1"); }
void ServiceNotifier::watchdogTrigger() const { send("WATCHDOG=trigger"); }
void ServiceNotifier::stopping() const { send("STOPPING=1"); }

void ServiceNotifier::reloading() const {
  // systemd 253 wants MONOTONIC_USEC with RELOADING=1; older ones ignore it.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  char text[64];
  std::snprintf(text, sizeof text, "RELOADING=1\nMONOTONIC_USEC=%llu",
                static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
                    static_cast<unsigned long long>(ts.tv_nsec / 1000));
  send(text);
}

void ServiceNotifier::status(std::string_view line) const {
  if (!enabled_) return;
  char text[7 + 256] = "STATUS=";
  const std::size_t n = std::min<std::size_t>(line.size(), 255);
  std::memcpy(text + 7, line.data(), n);
  text[7 + n] = '\0';
  send(text);
}

}  // namespace edgert::runtime
