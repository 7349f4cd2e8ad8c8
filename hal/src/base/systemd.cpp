#include "edgert/base/systemd.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <string>

namespace edgert::systemd {
namespace {

struct Loaded {
  Library api;
  bool ok = false;
  std::string error;
};

template <typename Fn>
bool bind(void* handle, const char* soname, const char* name, Fn& fn, std::string& error) {
  fn = reinterpret_cast<Fn>(::dlsym(handle, name));
  if (fn == nullptr && error.empty()) error = fmt::format("{} has no {}", soname, name);
  return fn != nullptr;
}

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
  // RTLD_LOCAL: its symbols stay out of the global namespace; the handle stays open for
  // the life of the process (the entry points are kept).
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    error = fmt::format("cannot open {}: {}", soname, why != nullptr ? why : "unknown error");
    return false;
  }
  Library a;
  bool ok = bind(handle, soname, "sd_journal_sendv", a.journalSendv, error);
  ok = bind(handle, soname, "sd_notify", a.notify, error) && ok;
  ok = bind(handle, soname, "sd_watchdog_enabled", a.watchdogEnabled, error) && ok;
  ok = bind(handle, soname, "sd_bus_open_system", a.busOpenSystem, error) && ok;
  ok = bind(handle, soname, "sd_bus_call_method", a.busCallMethod, error) && ok;
  ok = bind(handle, soname, "sd_bus_error_free", a.busErrorFree, error) && ok;
  ok = bind(handle, soname, "sd_bus_unref", a.busUnref, error) && ok;
  if (!ok) {
    ::dlclose(handle);
    return false;
  }
  out = a;
  return true;
}

const Library* library() { return loaded().ok ? &loaded().api : nullptr; }

std::string_view loadError() { return loaded().error; }

}  // namespace edgert::systemd
