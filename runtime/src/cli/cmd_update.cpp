// `edgert update install|status|commit|rollback` and `edgert health`: the device's side of
// over-the-air bundles (runtime/BUNDLE_FORMAT.md, update/slots.hpp).
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "commands.hpp"
#include "edgert/base/json.hpp"
#include "edgert/base/log.hpp"
#include "edgert/runtime/build_info.hpp"
#include "edgert/runtime/service_bundles.hpp"

namespace edgert::cli {

namespace {

EDGERT_LOG_CATEGORY(kLog, "update");

constexpr int kExitIoError = 74;   // EX_IOERR: the disk (full, failing)
constexpr int kExitTempFail = 75;  // EX_TEMPFAIL: a trial or another install is running
constexpr const char* kDefaultConfig = "/etc/edgert/edgert.toml";
constexpr const char* kDefaultStateDir = "/var/lib/edgert";

struct Where {
  std::optional<runtime::ServiceConfig> device;  // when the config could be read
  std::string stateDir;
  std::string keysDir;
  std::string compatible;
};

// The state directory, keys and compatible string: the options, else the device's config
// (--config, default /etc/edgert/edgert.toml), else the packaged defaults.
std::optional<Where> resolveWhere(Io io, const std::optional<std::string>& config,
                                  const std::optional<std::string>& stateDir,
                                  const std::optional<std::string>& keys,
                                  const std::optional<std::string>& compatible, bool needCompatible) {
  Where w;
  const std::string path = config.value_or(kDefaultConfig);
  Result<runtime::ServiceConfig> loaded = runtime::loadServiceConfig(path);
  if (loaded) {
    w.device = std::move(*loaded);
  } else if (config || (needCompatible && (!stateDir || !compatible))) {
    // Without the device's config only the options can say where and for what.
    print(io.err, "edgert update: {}\n", loaded.error().message());
    if (!config) print(io.err, "  (or give --state-dir and --compatible explicitly)\n");
    return std::nullopt;
  }
  w.stateDir = stateDir ? *stateDir
               : (w.device && !w.device->update.stateDir.empty()) ? w.device->update.stateDir
                                                                  : kDefaultStateDir;
  w.keysDir = keys ? *keys : w.device ? w.device->update.keysDir : "/etc/edgert/keys";
  w.compatible = compatible ? *compatible
                 : (w.device && !w.device->update.compatible.empty()) ? w.device->update.compatible
                 : w.device ? w.device->board.name
                            : "";
  return w;
}

int exitFor(const Error& e) {
  switch (e.code()) {
    case Errc::kPermissionDenied:
    case Errc::kCorrupt:
    case Errc::kSchema:
    case Errc::kParse:
    case Errc::kUnsupported:
    case Errc::kOutOfRange: return kExitDataInvalid;
    case Errc::kBusy: return kExitTempFail;
    case Errc::kIo:
    case Errc::kNoMemory: return kExitIoError;
    case Errc::kNotFound: return kExitConfigInvalid;
    default: return kExitFailure;
  }
}

char letter(int slot) { return update::kSlotNames[static_cast<std::size_t>(slot)]; }

int install(Args args, Io io) {
  std::optional<std::string> config, stateDir, keys, compatible, allowDowngrade, maxMib;
  std::vector<std::string> positionals;
  if (int rc = parseOptions(args, io,
                            {{"config", true, &config},
                             {"state-dir", true, &stateDir},
                             {"keys", true, &keys},
                             {"compatible", true, &compatible},
                             {"allow-downgrade", false, &allowDowngrade},
                             {"max-mib", true, &maxMib}},
                            positionals);
      rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  if (positionals.size() != 1) {
    print(io.err, "edgert update install: expected one bundle (FILE, or - for standard input)\n");
    return kExitUsage;
  }
  long mib = 1024;
  if (maxMib && !parseInteger(*maxMib, 1, 1 << 20, mib)) {
    print(io.err, "edgert update install: --max-mib: expected a number of MiB >= 1, found '{}'\n", *maxMib);
    return kExitUsage;
  }
  std::optional<Where> where = resolveWhere(io, config, stateDir, keys, compatible, true);
  if (!where) return kExitConfigInvalid;
  Result<update::Keyring> keyring = update::loadKeyring(where->keysDir);
  if (!keyring) {
    print(io.err, "edgert update install: {}\n", keyring.error().message());
    return kExitConfigInvalid;
  }
  const std::string& file = positionals[0];
  const bool fromStdin = file == "-";
  int fd = 0;
  if (!fromStdin) {
    fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      print(io.err, "edgert update install: {}\n", Error::fromErrno(errno, "open " + file).message());
      return kExitUnavailable;
    }
  }
  const std::string source = fromStdin ? "standard input" : file;
  update::InstallPolicy policy;
  policy.compatible = where->compatible;
  policy.edgertVersion = update::SemVer::parse(buildInfo().version).valueOr({});
  policy.allowDowngrade = allowDowngrade.has_value();
  policy.limits.maxPayloadBytes = static_cast<std::uint64_t>(mib) << 20;
  policy.limits.maxTotalBytes = 2 * policy.limits.maxPayloadBytes;
  runtime::ServiceConfig device = where->device.value_or(runtime::ServiceConfig{});
  runtime::BundlePayloadValidator validator(device);

  Result<update::SlotStore> store = update::SlotStore::open(where->stateDir);
  if (!store) {
    if (!fromStdin) ::close(fd);
    print(io.err, "edgert update install: {}\n", store.error().message());
    return exitFor(store.error());
  }
  for (const std::string& note : store->notes()) log::warning(kLog, "{}", note);
  Result<update::InstallReport> report = store->install(fd, source, *keyring, policy, validator);
  if (!fromStdin) ::close(fd);
  if (!report) {
    const int rc = exitFor(report.error());
    if (rc == kExitDataInvalid) {
      log::event(kLog, log::Level::kError, runtime::kBundleRefusedId, "refused {}: {}", source,
                 report.error().message());
    }
    print(io.err, "edgert update install: {}{}\n", rc == kExitDataInvalid ? "refused: " : "",
          report.error().message());
    print(io.err, "edgert update install: no slot was changed\n");
    return rc;
  }
  const update::BundleManifest& m = report->manifest;
  log::event(kLog, log::Level::kNotice, runtime::kBundleInstalledId,
             "installed bundle {} for {} (signed by key {}) into slot {}{}", m.version.str(),
             m.compatible, report->signer, letter(report->slot),
             report->replaced.empty() ? std::string() : " replacing " + report->replaced);
  log::event(kLog, log::Level::kNotice, runtime::kBundleActivatedId,
             "activated slot {} (bundle {}): on trial for the next {} service starts", letter(report->slot),
             m.version.str(), update::kTrialTries);
  print(io.out, "installed bundle {} for {} (signed by key {}) into slot {}{}\n", m.version.str(),
        m.compatible, report->signer, letter(report->slot),
        report->replaced.empty() ? std::string() : ", replacing " + report->replaced);
  print(io.out,
        "activated slot {}: the service tries it on its next start ({} tries), commits it once "
        "healthy and otherwise goes back by itself; restart it now with "
        "'systemctl restart edgert'\n",
        letter(report->slot), update::kTrialTries);
  return kExitOk;
}

// --verify: each slot holding a bundle re-hashed against its manifest ("" when intact).
using SlotChecks = std::array<std::optional<std::string>, 2>;

SlotChecks verifySlots(const update::SlotStore& store) {
  SlotChecks checks;
  for (int i = 0; i < 2; ++i) {
    const update::SlotState st = store.state().slots[static_cast<std::size_t>(i)].state;
    if (st != update::SlotState::kOk && st != update::SlotState::kPending) continue;
    Result<void> ok = store.verifySlot(i);
    checks[static_cast<std::size_t>(i)] = ok ? std::string() : std::string(ok.error().message());
  }
  return checks;
}

void printStatus(Io io, const update::SlotStore& store, bool json, const SlotChecks& checks) {
  const update::UpdateState& s = store.state();
  std::string why;
  const std::optional<runtime::HealthRecord> health = runtime::readHealthFile(store.dir(), why);
  const std::optional<int> current = store.current();
  if (json) {
    std::string out = "{\"state_dir\":" + jsonString(store.dir());
    out += ",\"current\":" + (current ? jsonString(std::string(1, letter(*current))) : std::string("null"));
    out += ",\"active_version\":" + jsonString(store.activeVersion());
    out += ",\"floor\":" + jsonString(s.floor);
    out += ",\"last_install\":" +
           (s.lastInstall >= 0 ? jsonString(std::string(1, letter(s.lastInstall))) : std::string("null"));
    out += ",\"healthy\":" + std::string(health ? "true" : "false");
    out += ",\"slots\":{";
    for (int i = 0; i < 2; ++i) {
      const update::SlotRecord& r = s.slots[static_cast<std::size_t>(i)];
      const std::optional<std::string>& check = checks[static_cast<std::size_t>(i)];
      out += fmt::format("{}\"{}\":{{\"state\":\"{}\",\"version\":{},\"tries_left\":{},\"boot_id\":{},\"reason\":{}{}}}",
                         i ? "," : "", letter(i), update::slotStateName(r.state), jsonString(r.version),
                         r.triesLeft, jsonString(r.bootId), jsonString(r.reason),
                         check ? ",\"damage\":" + (check->empty() ? std::string("null") : jsonString(*check)) : "");
    }
    out += "},\"notes\":[";
    for (std::size_t i = 0; i < store.notes().size(); ++i) out += (i ? "," : "") + jsonString(store.notes()[i]);
    out += "]}\n";
    print(io.out, "{}", out);
    return;
  }
  print(io.out, "state directory: {}\n", store.dir());
  if (current) {
    const update::SlotRecord& r = s.slots[static_cast<std::size_t>(*current)];
    print(io.out, "current: slot {}, bundle {}{}\n", letter(*current), r.version,
          r.state == update::SlotState::kPending ? fmt::format(" (on trial: {} tries left)", r.triesLeft) : "");
  } else {
    print(io.out, "current: none (the device's own config)\n");
  }
  print(io.out, "version floor: {}\n", s.floor.empty() ? "none" : s.floor);
  for (int i = 0; i < 2; ++i) {
    const update::SlotRecord& r = s.slots[static_cast<std::size_t>(i)];
    const std::optional<std::string>& check = checks[static_cast<std::size_t>(i)];
    print(io.out, "slot {}: {:<8} {:<12} {}{}\n", letter(i), update::slotStateName(r.state),
          r.version.empty() ? "-" : r.version, r.reason,
          !check ? "" : check->empty() ? " [files intact]" : " [DAMAGED: " + *check + "]");
  }
  print(io.out, "service: {}\n",
        health ? fmt::format("healthy (pid {}, {})", health->pid,
                             health->version.empty() ? "the device's own config" : "bundle " + health->version)
               : "not healthy: " + why);
  for (const std::string& note : store.notes()) print(io.out, "repaired: {}\n", note);
}

int status(Args args, Io io) {
  std::optional<std::string> config, stateDir, json, verify;
  std::vector<std::string> positionals;
  if (int rc = parseOptions(args, io,
                            {{"config", true, &config}, {"state-dir", true, &stateDir}, {"json", false, &json},
                             {"verify", false, &verify}},
                            positionals);
      rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  if (!positionals.empty()) {
    print(io.err, "edgert update status: unexpected argument '{}'\n", positionals[0]);
    return kExitUsage;
  }
  std::optional<Where> where = resolveWhere(io, config, stateDir, {}, {}, false);
  if (!where) return kExitConfigInvalid;
  Result<update::SlotStore> store = update::SlotStore::open(where->stateDir, nullptr, false);
  if (!store && store.error().code() == Errc::kNotFound) {
    print(io.out, "state directory: {} (not there: no bundle was ever installed)\n", where->stateDir);
    return kExitOk;
  }
  if (!store) {
    print(io.err, "edgert update status: {}\n", store.error().message());
    return exitFor(store.error());
  }
  const SlotChecks checks = verify ? verifySlots(*store) : SlotChecks{};
  printStatus(io, *store, json.has_value(), checks);
  // --verify: a slot that may run (ok, on trial) with damaged files is a failure.
  for (const std::optional<std::string>& c : checks) {
    if (c && !c->empty()) return kExitFailure;
  }
  return kExitOk;
}

int commit(Args args, Io io) {
  std::optional<std::string> config, stateDir, timeout, force;
  std::vector<std::string> positionals;
  if (int rc = parseOptions(args, io,
                            {{"config", true, &config}, {"state-dir", true, &stateDir},
                             {"timeout", true, &timeout}, {"force", false, &force}},
                            positionals);
      rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  long seconds = 300;
  if (!positionals.empty() || (timeout && !parseInteger(*timeout, 0, 86400, seconds))) {
    print(io.err, "edgert update commit: usage: [--timeout SECONDS] [--force] [--state-dir DIR]\n");
    return kExitUsage;
  }
  std::optional<Where> where = resolveWhere(io, config, stateDir, {}, {}, false);
  if (!where) return kExitConfigInvalid;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  StopSignals signals;
  for (;;) {
    Result<update::SlotStore> store = update::SlotStore::open(where->stateDir, nullptr, false);
    if (!store && store.error().code() == Errc::kNotFound) {
      print(io.out, "nothing to commit: no bundle was ever installed ({} is not there)\n", where->stateDir);
      return kExitOk;
    }
    if (!store) {
      print(io.err, "edgert update commit: {}\n", store.error().message());
      return exitFor(store.error());
    }
    const update::UpdateState& s = store->state();
    const int slot = s.lastInstall;
    if (slot < 0 || s.slots[static_cast<std::size_t>(slot)].state == update::SlotState::kEmpty) {
      print(io.out, "nothing to commit: no bundle was installed\n");
      return kExitOk;
    }
    const update::SlotRecord& r = s.slots[static_cast<std::size_t>(slot)];
    if (r.state == update::SlotState::kOk) {
      print(io.out, "slot {} (bundle {}) is committed: {}\n", letter(slot), r.version, r.reason);
      return kExitOk;
    }
    if (r.state == update::SlotState::kFailed) {
      print(io.err, "edgert update commit: slot {} (bundle {}) was rolled back: {}\n", letter(slot), r.version,
            r.reason);
      return kExitFailure;
    }
    if (force) {
      Result<bool> done = store->commit("committed by hand (edgert update commit --force)");
      if (!done) {
        print(io.err, "edgert update commit: {}\n", done.error().message());
        return exitFor(done.error());
      }
      log::event(kLog, log::Level::kNotice, runtime::kBundleCommittedId,
                 "committed bundle {} (slot {}) by hand", r.version, letter(slot));
      print(io.out, "committed slot {} (bundle {}) by hand\n", letter(slot), r.version);
      return kExitOk;
    }
    if (std::chrono::steady_clock::now() >= until || stopRequested()) {
      print(io.err,
            "edgert update commit: slot {} (bundle {}) is still on trial after {} s ({} tries left): the "
            "service has not passed its health check on it\n",
            letter(slot), r.version, seconds, r.triesLeft);
      return kExitFailure;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

int rollback(Args args, Io io) {
  std::optional<std::string> config, stateDir;
  std::vector<std::string> positionals;
  if (int rc = parseOptions(args, io, {{"config", true, &config}, {"state-dir", true, &stateDir}}, positionals);
      rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  if (!positionals.empty()) {
    print(io.err, "edgert update rollback: unexpected argument '{}'\n", positionals[0]);
    return kExitUsage;
  }
  std::optional<Where> where = resolveWhere(io, config, stateDir, {}, {}, false);
  if (!where) return kExitConfigInvalid;
  Result<update::SlotStore> store = update::SlotStore::open(where->stateDir, nullptr, false);
  if (!store) {
    print(io.err, "edgert update rollback: {}\n", store.error().message());
    return exitFor(store.error());
  }
  const update::UpdateState& s = store->state();
  const bool pending = s.slots[0].state == update::SlotState::kPending ||
                       s.slots[1].state == update::SlotState::kPending;
  if (!pending && s.lastInstall >= 0 &&
      s.slots[static_cast<std::size_t>(s.lastInstall)].state == update::SlotState::kFailed) {
    // Already done (by the service, or an earlier rollback): the same answer again.
    print(io.out, "slot {} (bundle {}) is already rolled back: {}\n", letter(s.lastInstall),
          s.slots[static_cast<std::size_t>(s.lastInstall)].version,
          s.slots[static_cast<std::size_t>(s.lastInstall)].reason);
    return kExitOk;
  }
  const std::optional<int> from = store->current();
  const std::string version = store->activeVersion();
  Result<std::optional<int>> now = store->rollback("rolled back by hand (edgert update rollback)");
  if (!now) {
    print(io.err, "edgert update rollback: {}\n", now.error().message());
    return kExitFailure;
  }
  const std::string to = *now ? fmt::format("slot {} (bundle {})", letter(**now), store->activeVersion())
                              : std::string("the device's own config");
  log::event(kLog, log::Level::kWarning, runtime::kBundleRolledBackId,
             "rolled back bundle {} (slot {}) by hand; now {}", version, from ? letter(*from) : '-', to);
  print(io.out, "rolled back slot {} (bundle {}); current is now {}; restart the service to run it "
        "('systemctl restart edgert')\n", from ? letter(*from) : '-', version, to);
  return kExitOk;
}

}  // namespace

int runUpdate(Args args, Io io) {
  if (args.argc < 2) {
    print(io.err, "edgert update: expected install, status, commit or rollback; run 'edgert help update'\n");
    return kExitUsage;
  }
  const std::string_view verb = args.argv[1];
  // Installs, commits, rollbacks and refusals are the device's audit trail: their events go
  // to the journal (MESSAGE_IDs in runtime/BUNDLE_FORMAT.md) also when an administrator or an
  // updater (Mender's module, whose output Mender keeps) runs this; what the command prints
  // tells them the same. EDGERT_LOG_TARGET still decides when set. No journal: stderr.
  if (std::getenv("EDGERT_LOG_TARGET") == nullptr) log::setTarget(log::Target::kJournal);
  // The verb's own options follow it; messages name the command as "edgert update".
  std::vector<char*> argv(args.argv + 1, args.argv + args.argc);
  argv[0] = args.argv[0];
  const Args rest{static_cast<int>(argv.size()), argv.data()};
  if (verb == "install") return install(rest, io);
  if (verb == "status") return status(rest, io);
  if (verb == "commit") return commit(rest, io);
  if (verb == "rollback") return rollback(rest, io);
  print(io.err, "edgert update: unknown action '{}': expected install, status, commit or rollback\n", verb);
  return kExitUsage;
}

int runHealth(Args args, Io io) {
  std::optional<std::string> config, stateDir, wait;
  std::vector<std::string> positionals;
  if (int rc = parseOptions(args, io, {{"config", true, &config}, {"state-dir", true, &stateDir}, {"wait", true, &wait}},
                            positionals);
      rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  long seconds = 0;
  if (!positionals.empty() || (wait && !parseInteger(*wait, 0, 86400, seconds))) {
    print(io.err, "edgert health: usage: [--wait SECONDS] [--state-dir DIR] [--config FILE]\n");
    return kExitUsage;
  }
  std::optional<Where> where = resolveWhere(io, config, stateDir, {}, {}, false);
  if (!where) return kExitConfigInvalid;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  StopSignals signals;
  std::string why;
  for (;;) {
    if (std::optional<runtime::HealthRecord> r = runtime::readHealthFile(where->stateDir, why)) {
      print(io.out, "healthy: edgert (pid {}) runs {}\n", r->pid,
            r->version.empty() ? "the device's own config" : "bundle " + r->version);
      return kExitOk;
    }
    if (std::chrono::steady_clock::now() >= until || stopRequested()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  print(io.out, "not healthy: {}\n", why);
  return kExitFailure;
}

}  // namespace edgert::cli
