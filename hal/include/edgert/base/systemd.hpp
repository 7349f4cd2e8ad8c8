// libsystemd, opened when first needed instead of linked (shared_library.hpp): linked, it
// and the six libraries it pulls in (gcrypt, gpg-error, lz4, zstd, lzma, cap) cost 1.7 ms
// of every start, for a library only the service under systemd uses (the journal,
// sd_notify, logind). The service opens it at start-up, before its loop, when it logs to
// the journal or finds $NOTIFY_SOCKET; `edgert bench` and the other commands never do.
#pragma once

// sd_journal_sendv without the macro that adds this header's CODE_FILE/CODE_LINE.
#ifndef SD_JOURNAL_SUPPRESS_LOCATION
#define SD_JOURNAL_SUPPRESS_LOCATION
#endif
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include <string>
#include <string_view>

namespace edgert::systemd {

// The entry points edgert uses, with libsystemd's own signatures.
struct Library {
  decltype(&::sd_journal_sendv) journalSendv = nullptr;
  decltype(&::sd_notify) notify = nullptr;
  decltype(&::sd_watchdog_enabled) watchdogEnabled = nullptr;
  decltype(&::sd_bus_open_system) busOpenSystem = nullptr;
  decltype(&::sd_bus_call_method) busCallMethod = nullptr;
  decltype(&::sd_bus_error_free) busErrorFree = nullptr;
  decltype(&::sd_bus_unref) busUnref = nullptr;
};

// The soname opened: the ABI edgert is built against.
inline constexpr const char* kSoname = "libsystemd.so.0";

// libsystemd's entry points, the library opened on the first call (thread-safe; it stays
// open). nullptr when it cannot be opened or lacks one of them; loadError() then says which
// and why.
const Library* library();
std::string_view loadError();

// Opens `soname` and binds every entry point into `out`: what library() does once with
// kSoname. False, with `error` naming the library or symbol and why, if it cannot.
bool open(const char* soname, Library& out, std::string& error);

}  // namespace edgert::systemd
