// The inference service behind `edgert run`: capture -> pre-process -> infer ->
// post-process -> publish, with the watchdog, the idle policy and telemetry. create() sizes
// and allocates everything (refusing when the config's memory budget is too small, naming
// the biggest items); run() then allocates nothing per frame.
#pragma once

#include <array>
#include <cstdio>
#include <string_view>
#include <memory>
#include <string>
#include <vector>

#include "edgert/base/result.hpp"
#include "edgert/runtime/service_config.hpp"

namespace edgert::runtime {

// Exit codes of `edgert run` beyond the CLI's (cli.hpp): the unit file maps them.
inline constexpr int kExitIdle = 3;  // idle.action = "exit" and the device was idle
// idle.action = "poweroff" under systemd: the unit powers the device off when the service
// exits with this (edgert.service's ExecStopPost). Debian 12's dbus-daemon does not resolve
// DynamicUser= users, so the service cannot ask logind over the bus itself.
inline constexpr int kExitIdlePoweroff = 4;

struct MemoryItem {
  std::string name;
  std::size_t bytes = 0;
};

struct MemoryPlan {
  std::vector<MemoryItem> items;  // biggest first
  std::size_t total = 0;
  std::size_t budget = 0;
};

// What run() ended with.
enum class ServiceEnd : std::uint8_t {
  kStopped,     // SIGTERM/SIGINT, or the frame limit
  kReload,      // SIGHUP with a valid new config: reloadedConfig() has it
  kIdleExit,    // idle.action = "exit", or "poweroff" asked of logind by the service itself
  kIdlePoweroff,  // idle.action = "poweroff" left to the unit (under systemd): kExitIdlePoweroff
  kSourceEnded, // a file source without looping reached its end
  kFault,       // an internal fault (WATCHDOG=trigger was sent)
  kTrialFailed, // a bundle on trial failed its health check: trialFailure() says why
};

// Told once per run when the service is healthy: after its first frame, or, for a bundle on
// trial (config.bundle.trial), when the trial passed its health check (warm-up inferences
// finite, then update.trial_frames frames end to end within the latency and watchdog
// limits, within update.trial_timeout_s). Called on the loop's thread.
class HealthListener {
 public:
  virtual ~HealthListener() = default;
  virtual void healthy(std::string_view summary, bool trialPassed) = 0;
};

struct ServiceHooks {
  // Tests: after this many frames the loop stalls (keeps running, completes nothing) until
  // stopped. From $EDGERT_FAULT=stall-after:N when the CLI starts the service.
  std::uint64_t stallAfterFrames = 0;
  std::FILE* console = stderr;  // status lines, the memory breakdown
  std::FILE* detections = stdout;  // DetectionSinkKind::kStdout
  HealthListener* health = nullptr;  // told when the run is healthy
};

class Service {
 public:
  static Result<std::unique_ptr<Service>> create(ServiceConfig config, ServiceHooks hooks = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  const MemoryPlan& memory() const;
  ServiceEnd run();
  // After kReload: the new config to create the next Service from.
  const ServiceConfig& reloadedConfig() const;
  std::uint64_t framesCompleted() const;
  std::uint64_t idleTransitions() const;    // active -> idle
  std::uint64_t activeTransitions() const;  // idle -> active (standby resumed on motion)
  // After kTrialFailed (or a failed create() on trial): why.
  const std::string& trialFailure() const;
  // The bundle's slot states changed (a commit): the status and metrics say so.
  void setSlotStates(const std::array<std::string, 2>& states);

  // Async-signal-safe requests (the CLI's signal handlers call them).
  static void requestStop();
  static void requestReload();
  // A snapshot of the next frame (SIGUSR1): output.snapshot_dir/snapshot.png.
  static void requestSnapshot();
  static void clearRequests();

  struct Impl;

 private:
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgert::runtime
