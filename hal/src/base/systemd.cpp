#include "edgert/base/systemd.hpp"

#include "edgert/base/shared_library.hpp"

#include <string>

namespace edgert::systemd {
namespace {

struct Loaded {
  Library api;
  bool ok = false;
  std::string error;
};

Loaded load() {
  Loaded l;
  l.ok = open(kSoname, l.api, l.error);
  return l;
}

const Loaded& loaded() {
  static const Loaded l = load();
  return l;
}

}  // namespace

bool open(const char* soname, Library& out, std::string& error) {
  error.clear();
  void* handle = dl::open(soname, error);
  if (handle == nullptr) return false;
  Library a;
  bool ok = dl::bind(handle, soname, "sd_journal_sendv", a.journalSendv, error);
  ok = dl::bind(handle, soname, "sd_notify", a.notify, error) && ok;
  ok = dl::bind(handle, soname, "sd_watchdog_enabled", a.watchdogEnabled, error) && ok;
  ok = dl::bind(handle, soname, "sd_bus_open_system", a.busOpenSystem, error) && ok;
  ok = dl::bind(handle, soname, "sd_bus_call_method", a.busCallMethod, error) && ok;
  ok = dl::bind(handle, soname, "sd_bus_error_free", a.busErrorFree, error) && ok;
  ok = dl::bind(handle, soname, "sd_bus_unref", a.busUnref, error) && ok;
  if (!ok) {
    dl::close(handle);
    return false;
  }
  out = a;
  return true;
}

const Library* library() { return loaded().ok ? &loaded().api : nullptr; }

std::string_view loadError() { return loaded().error; }

}  // namespace edgert::systemd
