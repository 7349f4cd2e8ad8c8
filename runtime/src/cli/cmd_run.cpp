// `edgert run`: the service. Loads the config, builds the pipeline (Service::create sizes
// and allocates everything and prints the memory breakdown), runs it until SIGTERM/SIGINT,
// the frame limit, the idle policy or the end of a file source; SIGHUP reloads the config
// when it is valid and keeps the running one otherwise; SIGUSR1 writes a snapshot of the next
// frame with its detections drawn (output.snapshot_dir).
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "commands.hpp"
#include "edgert/base/log.hpp"
#include "edgert/runtime/service.hpp"
#include "edgert/runtime/service_bundles.hpp"

namespace edgert::cli {

namespace {

EDGERT_LOG_CATEGORY(kLog, "run");

void onStop(int) { runtime::Service::requestStop(); }
void onReload(int) { runtime::Service::requestReload(); }
void onSnapshot(int) { runtime::Service::requestSnapshot(); }

// Handlers for the service's lifetime; the previous ones come back on return.
class ServiceSignals {
 public:
  ServiceSignals() {
    runtime::Service::clearRequests();
    install(SIGTERM, onStop, oldTerm_);
    install(SIGINT, onStop, oldInt_);
    install(SIGHUP, onReload, oldHup_);
    install(SIGUSR1, onSnapshot, oldUsr1_);
  }
  ~ServiceSignals() {
    ::sigaction(SIGTERM, &oldTerm_, nullptr);
    ::sigaction(SIGINT, &oldInt_, nullptr);
    ::sigaction(SIGHUP, &oldHup_, nullptr);
    ::sigaction(SIGUSR1, &oldUsr1_, nullptr);
  }
  ServiceSignals(const ServiceSignals&) = delete;
  ServiceSignals& operator=(const ServiceSignals&) = delete;

 private:
  static void install(int sig, void (*handler)(int), struct sigaction& old) {
    struct sigaction sa {};
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, &old);
  }
  struct sigaction oldTerm_ {};
  struct sigaction oldInt_ {};
  struct sigaction oldHup_ {};
  struct sigaction oldUsr1_ {};
};

int exitCodeFor(const Error& error) {
  switch (error.code()) {
    case Errc::kCorrupt: return kExitDataInvalid;  // the model image
    case Errc::kNotFound:
    case Errc::kDisconnected:
    case Errc::kPermissionDenied:
    case Errc::kBusy: return kExitUnavailable;
    case Errc::kParse:
    case Errc::kSchema:
    case Errc::kInvalidArgument:
    case Errc::kOutOfRange:
    case Errc::kUnsupported:
    case Errc::kNoMemory: return kExitConfigInvalid;
    default: return kExitFailure;
  }
}

}  // namespace

int runService(Args args, Io io) {
  std::optional<std::string> configPath, source, frames;
  std::vector<std::string> positionals;
  if (int rc = parseOptions(args, io,
                            {{"config", true, &configPath},
                             {"source", true, &source},
                             {"frames", true, &frames}},
                            positionals);
      rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  if (!positionals.empty() || !configPath) {
    print(io.err, "edgert run: {}\n",
          configPath ? "unexpected argument '" + positionals[0] + "'" : std::string("--config FILE is required"));
    return kExitUsage;
  }
  long frameLimit = -1;
  if (frames && !parseInteger(*frames, 1, 1'000'000'000'000, frameLimit)) {
    print(io.err, "edgert run: --frames: expected a number of frames >= 1, found '{}'\n", *frames);
    return kExitUsage;
  }
  runtime::ServiceHooks hooks;
  hooks.console = io.err;
  hooks.detections = io.out;
  if (const char* fault = std::getenv("EDGERT_FAULT"); fault != nullptr) {
    long n = 0;
    const std::string text = fault;
    if (text.rfind("stall-after:", 0) == 0 && parseInteger(text.substr(12), 1, 1'000'000'000, n)) {
      hooks.stallAfterFrames = static_cast<std::uint64_t>(n);
    } else {
      print(io.err, "edgert run: EDGERT_FAULT: expected stall-after:N, found '{}'\n", text);
      return kExitUsage;
    }
  }
  const auto applyOverrides = [&](runtime::ServiceConfig& c) {
    if (source) c.camera.source = *source;
    if (frameLimit > 0) c.frameLimit = static_cast<std::uint64_t>(frameLimit);
  };

  Result<runtime::ServiceConfig> loaded = runtime::loadServiceConfig(*configPath);
  if (!loaded) {
    print(io.err, "{}\n", loaded.error().message());
    return kExitConfigInvalid;
  }
  // The device's own config; each start runs it or the active bundle's (update.state_dir).
  runtime::ServiceBundles bundles(std::move(*loaded));
  hooks.health = &bundles;
  ServiceSignals signals;
  for (;;) {
    runtime::ServiceConfig config = bundles.choose();
    applyOverrides(config);
    Result<std::unique_ptr<runtime::Service>> service = runtime::Service::create(config, hooks);
    if (!service) {
      // A bundle the device cannot run goes back to the last good one, and the service
      // keeps running.
      if (bundles.rollBack(config, service.error())) continue;
      print(io.err, "edgert run: {}\n", service.error().message());
      return exitCodeFor(service.error());
    }
    bundles.attach(service->get());
    const runtime::ServiceEnd end = (*service)->run();
    bundles.attach(nullptr);
    switch (end) {
      case runtime::ServiceEnd::kStopped:
      case runtime::ServiceEnd::kSourceEnded: return kExitOk;
      case runtime::ServiceEnd::kIdleExit:
        return config.idle.action == runtime::IdleAction::kExit ? runtime::kExitIdle : kExitOk;
      // Under systemd the unit powers off on this status (edgert.service's ExecStopPost).
      case runtime::ServiceEnd::kIdlePoweroff: return runtime::kExitIdlePoweroff;
      case runtime::ServiceEnd::kFault:
        if (bundles.rollBack(config, "the service faulted on it (non-finite outputs)")) continue;
        return kExitFailure;
      case runtime::ServiceEnd::kTrialFailed:
        if (bundles.rollBack(config, (*service)->trialFailure())) continue;
        return kExitFailure;
      case runtime::ServiceEnd::kReload: {
        // The device's config again (a bundle's slot may have changed too: the next start
        // takes it up).
        Result<runtime::ServiceConfig> device = runtime::loadServiceConfig(*configPath);
        if (device) {
          bundles.setDeviceConfig(std::move(*device));
        } else {
          log::error(kLog, "reload: {}; keeping the running device config", device.error().message());
        }
        log::notice(kLog, "running the reloaded config");
        break;
      }
    }
  }
}

}  // namespace edgert::cli
