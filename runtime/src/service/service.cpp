// The service loop. Everything it touches is created in Service::create(): the frame
// source's buffers, the model mapping and its arena, the pre-processor's tables, the
// post-processor's scratch, the detection and text buffers, the sensor sampler's ring. The
// loop then only borrows frames, runs kernels and formats into fixed buffers.
#include "edgert/runtime/service.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "edgert/base/log.hpp"
#include "edgert/hal/camera.hpp"
#include "edgert/hal/sampler.hpp"
#include "edgert/hal/sensors.hpp"
#include "edgert/hal/watchdog.hpp"
#include "edgert/kernels/image.hpp"
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/engine_set.hpp"
#include "edgert/runtime/model.hpp"
#include "edgert/runtime/postprocess.hpp"
#include "../decoders/decoder.hpp"
#include "capture.hpp"
#include "motion.hpp"
#include "notify.hpp"
#include "outputs.hpp"
#include "region_stage.hpp"
#include "snapshot.hpp"

namespace edgert::runtime {

namespace {

EDGERT_LOG_CATEGORY(gLog, "service");

// Stable journal MESSAGE_IDs, one per event type (journalctl MESSAGE_ID=...).
constexpr log::MessageId kStartedId{"5c1a8d2e0f3b4e7a9c6d1b2a3f4e5d60"};
constexpr log::MessageId kCameraLostId{"7e2b9c4d1a0f4b3e8d5c6a7b8c9d0e11"};
constexpr log::MessageId kCameraBackId{"8f3cad5e2b1e4c4f9e6d7b8c9dae1f22"};
constexpr log::MessageId kIdleId{"9a4dbe6f3c2f4d5a8f7e8c9dae0f2a33"};
constexpr log::MessageId kActiveId{"ab5ecf7a4d3a4e6b9a8f9dae0fa13b44"};
constexpr log::MessageId kFaultId{"bc6fda8b5e4b4f7c8b9aaebf1ab24c55"};
constexpr log::MessageId kStoppingId{"cd7aeb9c6f5c4a8d9cabbfca2bc35d66"};
constexpr log::MessageId kReloadId{"de8bfcad7a6d4b9e8dbccadb3cd46e77"};
constexpr log::MessageId kCameraWaitId{"ef9c0dbe8b7e4cafa9ecdbec4de57f88"};

std::atomic<bool> gStop{false};
std::atomic<bool> gReload{false};
// A snapshot is wanted (SIGUSR1, or output.snapshot_interval_s came round): the next
// captured frame keeps its pixels, and after it is processed it is written and this clears.
std::atomic<bool> gSnapshot{false};

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Latencies of the last kWindow frames; percentiles from a copy (fixed arrays).
class LatencyWindow {
 public:
  static constexpr std::size_t kWindow = 512;
  void add(float ms) {
    values_[next_ % kWindow] = ms;
    ++next_;
  }
  float percentile(double p) {
    const std::size_t n = std::min(next_, kWindow);
    if (n == 0) return 0;
    std::copy_n(values_.begin(), n, scratch_.begin());
    const auto k = static_cast<std::size_t>(p * static_cast<double>(n - 1) + 0.5);
    std::nth_element(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(k),
                     scratch_.begin() + static_cast<std::ptrdiff_t>(n));
    return scratch_[k];
  }

 private:
  std::array<float, kWindow> values_{};
  std::array<float, kWindow> scratch_{};
  std::size_t next_ = 0;
};

}  // namespace

struct Service::Impl {
  ServiceConfig config;
  ServiceHooks hooks;
  MemoryPlan plan;
  std::unique_ptr<hal::FrameSource> source;
  // The models of the pipeline: the frame's (service.model) first, then the region stage's
  // (the recogniser, the orientation classifier). Their engines share one arena and pool.
  std::vector<std::unique_ptr<Model>> models;
  std::unique_ptr<EngineSet> engines;
  Engine* engine = nullptr;  // the frame's
  std::optional<kernels::Preprocessor> preprocessor;
  std::unique_ptr<Decoder> decoder;  // the frame's; nullptr for postprocess.kind = "none"
  std::optional<RegionStage> regionStage;
  // The frame's pixels after capture, for the region stage and snapshots (one per staging
  // slot). Copied for every frame when the region stage needs them, else only when a
  // snapshot is wanted.
  std::array<FrameCopy, 2> frameCopies;
  bool keepFrames = false;
  std::optional<SnapshotWriter> snapshotWriter;  // nullopt: output.snapshots = false
  std::uint64_t snapshotFailures = 0;
  std::string lastSnapshotError;
  std::uint64_t droppedLines = 0;  // JSON lines over the line buffer (never expected)
  Clock::time_point nextSnapshot{};
  std::span<float> input;
  // Pipelined mode: frames are captured into these on the capture thread, then copied into
  // `input` (a few hundred KiB: microseconds) when their turn to be inferred comes.
  std::array<std::vector<float>, 2> staging;
  std::array<CapturedFrame, 2> stagingFrames;
  int stagingSlot = 0;
  std::unique_ptr<CaptureThread> captureThread;
  CapturedFrame current;       // the frame being inferred
  hal::CameraStats cameraStats;  // the source's counters as of the last capture
  std::vector<Detection> detections;
  std::unique_ptr<hal::Sampler> sampler;
  std::optional<hal::DeviceWatchdog> deviceWatchdog;
  ServiceNotifier notifier;
  DetectionSink sink;
  TextBuffer line{64 * 1024};
  TextBuffer status{512};
  PrometheusFile prometheus;
  MotionMeter motion;
  LatencyWindow latency;
  std::optional<ServiceConfig> reloaded;

  // Counters.
  std::uint64_t frames = 0;
  std::uint64_t detectionsTotal = 0;
  std::uint64_t idleTransitions = 0;
  std::uint64_t activeTransitions = 0;
  std::uint64_t nonFiniteFrames = 0;
  std::uint64_t textLines = 0;  // lines read (postprocess.kind = "ocr")
  std::uint64_t snapshotsWritten = 0;
  bool frameNonFinite = false;  // the last frame's outputs had NaN or infinity
  double decodeMs = 0;   // the frame decoder's, last frame
  double regionsMs = 0;  // the region stage's, last frame
  std::uint64_t framesAtLastPing = 0;
  std::uint64_t framesAtLastStatus = 0;
  Clock::time_point lastPing{};
  Clock::time_point lastStatus{};
  Clock::time_point lastActivity{};
  Clock::time_point startTime{};
  bool cameraLost = false;
  bool idle = false;
  bool readySent = false;
  // Set when a stop or a valid reload came while waiting for the camera: build() ends
  // early and run() returns this at once.
  std::optional<ServiceEnd> endedWhileWaiting;

  // A bundle on trial (config.bundle.trial): its health check.
  struct Trial {
    bool active = false;
    std::uint64_t goodFrames = 0;
    std::uint64_t slowFrames = 0;
    Clock::time_point start{};
    Clock::time_point lastFrame{};
    std::string failure;
  } trial;
  double lastTotalMs = 0;
  bool healthTold = false;

  Result<void> build();
  Result<void> warmUp();
  bool outputsFinite(const Engine& stage) const;
  std::optional<ServiceEnd> trackTrial();
  std::optional<ServiceEnd> trialExpired();
  void passTrial();
  Result<void> startCamera();
  void addItem(std::string name, std::size_t bytes) { plan.items.push_back({std::move(name), bytes}); }
  ServiceEnd loop();
  hal::WaitStatus nextFrame();
  void drainCapture();
  static void captureJob(void* context, int slot);
  // Where a capture into staging slot `slot` keeps the frame's pixels: always for the region
  // stage, else only while a snapshot is wanted; nullptr: not kept.
  FrameCopy* frameCopyFor(std::size_t slot) {
    return keepFrames || (snapshotWriter && gSnapshot.load()) ? &frameCopies[slot] : nullptr;
  }
  bool processFrame();
  void publish(std::size_t count, double inferMs, double totalMs);
  void writeSnapshot(std::size_t count);
  void maybeStatus(bool force);
  void showStatus();
  void maybePing();
  void pingIfDue();
  void enterIdle();
  void leaveIdle(double change);
  ServiceEnd standby();
  void stopOutputs();
  bool checkReload();
};

Result<void> Service::Impl::build() {
  // The models: mapped read-only (their weights stay in the page cache), arenas planned
  // offline. A config that names a model that is not there is a config error (exit 78, not
  // restarted), not a device that may come back.
  std::vector<std::pair<std::string, std::string>> wanted{{"service.model", config.modelPath}};
  if (config.postprocess.kind == PostprocessKind::kOcr) {
    wanted.emplace_back("postprocess.recognizer", config.postprocess.text.recognizerPath);
    if (!config.postprocess.text.orientationPath.empty()) {
      wanted.emplace_back("postprocess.orientation", config.postprocess.text.orientationPath);
    }
  }
  for (const auto& [key, path] : wanted) {
    Result<Model> opened = Model::open(path);
    if (!opened && opened.error().code() == Errc::kNotFound) {
      return makeError(Errc::kInvalidArgument,
                       "{}: {}: {} (put a model image compiled by edgert-compile there, "
                       "or point {} at one)",
                       config.sourceName, key, opened.error().message(), key);
    }
    if (!opened) return std::move(opened).error();
    models.push_back(std::make_unique<Model>(std::move(*opened)));
  }
  std::vector<const Model*> modelList;
  for (const std::unique_ptr<Model>& m : models) modelList.push_back(m.get());

  // The kernels' prepared state is mapped when the engines are created, before the memory
  // budget check below (which counts it again with everything else): an image whose state
  // alone is over the budget is refused before anything is mapped.
  for (const std::unique_ptr<Model>& m : models) {
    const std::uint64_t state = Engine::stateBytesFor(*m);
    if (state > config.memory.budgetBytes) {
      return makeError(Errc::kNoMemory,
                       "{}: {}: its kernels' prepared state (pre-packed weights) is {:.1f} MiB, more than the "
                       "memory budget of {:.1f} MiB (memory.budget_mib)",
                       config.sourceName, m->sourceName(), static_cast<double>(state) / (1 << 20),
                       static_cast<double>(config.memory.budgetBytes) / (1 << 20));
    }
  }
  // One arena (the largest model's plan) and one worker pool for the pipeline's engines:
  // they run one after another. The workers start after the memory budget check, below.
  EDGERT_ASSIGN_OR_RETURN(engines, EngineSet::create(modelList, Engine::Options{.threads = config.threads,
                                                                                .startWorkers = false}));
  engine = &(*engines)[0];
  const Engine::Binding* in = config.modelInput.empty()
                                  ? (engine->inputs().size() == 1 ? &engine->inputs()[0] : nullptr)
                                  : engine->findInput(config.modelInput);
  if (in == nullptr) {
    return makeError(Errc::kInvalidArgument,
                     "{}: preprocess.input: {} (the model has {} inputs; name one)",
                     config.sourceName,
                     config.modelInput.empty() ? "not given" : "no input named " + config.modelInput,
                     engine->inputs().size());
  }
  const kernels::Shape& s = in->type.shape;
  const bool nchw = s.rank == 4 && s.dims[0] == 1 && s.dims[1] == 3;
  const bool nhwc = s.rank == 4 && s.dims[0] == 1 && s.dims[3] == 3;
  if (in->type.dtype != kernels::DType::kFloat32 || (!nchw && !nhwc)) {
    return makeError(Errc::kUnsupported,
                     "{}: model input {} must be float32 1x3xHxW or 1xHxWx3 to take camera frames",
                     config.modelPath, in->name);
  }
  config.preprocess.layout = nchw ? kernels::TensorLayout::kNchw : kernels::TensorLayout::kNhwc;
  config.preprocess.height = static_cast<int>(nchw ? s.dims[2] : s.dims[1]);
  config.preprocess.width = static_cast<int>(nchw ? s.dims[3] : s.dims[2]);
  input = {reinterpret_cast<float*>(in->data),
           3 * static_cast<std::size_t>(config.preprocess.width) * config.preprocess.height};
  if (config.bundle.trial) EDGERT_TRY(warmUp());

  // The camera: buffers are created by start(). One that is not plugged in yet is waited
  // for.
  EDGERT_ASSIGN_OR_RETURN(source, hal::makeFrameSource(config.camera));
  EDGERT_TRY(startCamera());
  if (endedWhileWaiting) return success();
  const hal::StreamFormat& f = source->format();
  EDGERT_ASSIGN_OR_RETURN(auto pre, kernels::Preprocessor::create(f.format, f.width, f.height,
                                                                  config.preprocess));
  preprocessor.emplace(std::move(pre));

  EDGERT_ASSIGN_OR_RETURN(decoder, makeFrameDecoder(config.postprocess,
                                                     {*engine, config.preprocess.width, config.preprocess.height}));
  if (config.postprocess.kind == PostprocessKind::kOcr) {
    Engine& recognizer = (*engines)[1];
    Result<std::unique_ptr<Decoder>> made = makeCtcTextDecoder(config.postprocess, {recognizer, 0, 0});
    if (!made) return makeError(made.error().code(), "{}: {}", config.sourceName, made.error().message());
    std::unique_ptr<Decoder> reader = std::move(*made);
    RegionStage::Options options;
    if (engines->size() > 2) options.orientation = &(*engines)[2];
    options.orientationThreshold = config.postprocess.text.orientationThreshold;
    Result<RegionStage> stage = RegionStage::create(recognizer, std::move(reader), options);
    if (!stage) {
      return makeError(stage.error().code(), "{}: postprocess: {}", config.sourceName, stage.error().message());
    }
    regionStage.emplace(std::move(*stage));
    keepFrames = true;
  }
  if (keepFrames || config.output.snapshots) {
    for (std::size_t i = 0; i < (config.pipeline ? 2U : 1U); ++i) frameCopies[i].reserve(f.format, f.width, f.height);
  }
  if (config.output.snapshots) {
    std::string dir = config.output.snapshotDir;
    if (!dir.empty() && ::access(dir.c_str(), W_OK) != 0) {
      return Error::fromErrno(errno, fmt::format("{}: output.snapshot_dir {}", config.sourceName, dir));
    }
    if (dir.empty()) {
      // systemd's StateDirectory= (a colon-separated list; the first is ours).
      const char* state = std::getenv("STATE_DIRECTORY");
      dir = state != nullptr && *state != '\0' ? std::string(state).substr(0, std::string(state).find(':')) : ".";
    }
    Result<SnapshotWriter> writer = SnapshotWriter::create(f.width, f.height, dir);
    if (!writer) return makeError(writer.error().code(), "{}: output.snapshot_dir: {}", config.sourceName, writer.error().message());
    snapshotWriter.emplace(std::move(*writer));
  }
  detections.resize(static_cast<std::size_t>(std::max(config.postprocess.maxDetections,
                                                      config.postprocess.topK)));
  // The JSON line: room for every detection with the longest text the decoders can give,
  // each byte escaped (\u00XX at worst).
  {
    std::size_t textBytes = decoder ? decoder->maxTextBytes() : 0;
    if (regionStage) textBytes = std::max(textBytes, regionStage->decoder().maxTextBytes());
    line = TextBuffer(64 * 1024 + detections.size() * (6 * textBytes + 256));
  }

  // Telemetry: the board's sensors, sampled once a second into a ring of ten minutes.
  hal::SensorOptions sensorOptions;
  if (Result<hal::SensorSet> sensors = hal::SensorSet::open(config.board, sensorOptions); sensors) {
    Result<std::unique_ptr<hal::Sampler>> s2 = hal::Sampler::create(
        std::move(*sensors), {.interval = std::chrono::milliseconds(1000), .capacity = 600});
    if (s2) sampler = std::move(*s2);
  }

  EDGERT_TRY(sink.open(config.output.detections, config.output.detectionsPath, hooks.detections));
  if (!config.output.prometheusPath.empty()) prometheus.open(config.output.prometheusPath);

  // The complete memory need, biggest first.
  addItem(fmt::format("camera frame buffers ({} x {}x{} {})", f.buffers, f.width, f.height,
                      pixelFormatName(f.format)),
          static_cast<std::size_t>(f.buffers) * packedImageBytes(f.format, f.width, f.height));
  addItem(models.size() == 1 ? std::string("tensor arena (planned offline)")
                              : fmt::format("tensor arena (planned offline), shared by {} models "
                                            "(separately {:.1f} MiB)",
                                            models.size(),
                                            static_cast<double>(engines->separateArenaBytes()) / (1 << 20)),
          engines->arenaBytes());
  if (engines->stateBytes() > 0) addItem("kernels' prepared state (pre-packed weights)", engines->stateBytes());
  if (engines->workerScratchBytes() > 0) {
    addItem(fmt::format("worker scratch ({} extra threads)", engines->threads() - 1),
            engines->workerScratchBytes());
  }
  for (std::size_t i = 0; i < models.size(); ++i) {
    addItem(fmt::format("model image (mapped){}", models.size() == 1 ? "" : " " + models[i]->sourceName()),
            models[i]->fileBytes());
  }
  if (frameCopies[0].capacity() > 0) {
    addItem(fmt::format("frame copies for the region stage and snapshots ({})", config.pipeline ? 2 : 1),
            frameCopies[0].capacity() * (config.pipeline ? 2 : 1));
  }
  if (snapshotWriter) addItem("snapshot canvas (RGB)", snapshotWriter->memoryBytes());
  addItem("pre-processing tables", preprocessor->memoryBytes());
  if (config.pipeline) addItem("pipeline staging tensors (2)", 2 * input.size() * sizeof(float));
  addItem("post-processing scratch and detections",
          (decoder ? decoder->memoryBytes() : 0) +
              (regionStage ? regionStage->decoder().memoryBytes() : 0) + detections.size() * sizeof(Detection));
  addItem("output line buffers", line.capacity() + status.capacity() + prometheus.capacity());
  addItem("telemetry ring (600 samples)", sampler ? sampler->capacity() * sizeof(hal::SensorSample) : 0);
  addItem("log line buffers", log::kStderrLineBytes + log::kMaxMessageBytes);
  std::sort(plan.items.begin(), plan.items.end(),
            [](const MemoryItem& a, const MemoryItem& b) { return a.bytes > b.bytes; });
  plan.budget = config.memory.budgetBytes;
  for (const MemoryItem& item : plan.items) plan.total += item.bytes;
  if (plan.total > plan.budget) {
    std::string biggest;
    for (std::size_t i = 0; i < std::min<std::size_t>(3, plan.items.size()); ++i) {
      biggest += fmt::format("{}{} {:.1f} MiB", i ? ", " : "", plan.items[i].name,
                             static_cast<double>(plan.items[i].bytes) / (1 << 20));
    }
    return makeError(Errc::kNoMemory,
                     "{}: needs {:.1f} MiB, more than the memory budget of {:.1f} MiB "
                     "(memory.budget_mib); biggest: {}",
                     config.sourceName, static_cast<double>(plan.total) / (1 << 20),
                     static_cast<double>(plan.budget) / (1 << 20), biggest);
  }
  if (config.memory.lock && ::mlockall(MCL_CURRENT) != 0) {
    const int err = errno;
    log::warning(gLog, "mlockall: {} (memory.lock asked for it; running unlocked)",
                 std::strerror(err));
  }

  // Within the budget: the threads start here, so run() creates nothing.
  EDGERT_TRY(engines->startWorkers());
  if (config.pipeline) {
    for (std::vector<float>& tensor : staging) tensor.assign(input.size(), 0.0F);
    captureThread = std::make_unique<CaptureThread>(&Impl::captureJob, this);
  }
  if (sampler) (void)sampler->start();

  if (config.board.watchdog.mode == hal::WatchdogMode::kDevice) {
    EDGERT_ASSIGN_OR_RETURN(auto wd, hal::DeviceWatchdog::open(config.board.watchdog.device,
                                                               config.board.watchdog.timeoutSeconds));
    deviceWatchdog.emplace(std::move(wd));
    log::info(gLog, "watchdog {}: armed ({}), timeout {} s; fed only while the loop makes progress",
              config.board.watchdog.device, deviceWatchdog->identity(),
              deviceWatchdog->timeoutSeconds());
  }
  return success();
}

// A bundle on trial: K inferences on a blank input before the camera starts; every float
// output of each must be finite.
Result<void> Service::Impl::warmUp() {
  // Every model of the pipeline, one after another as in a frame: each on a blank input,
  // its outputs read before the next one runs (they share the arena).
  for (int k = 0; k < config.update.warmupInferences; ++k) {
    for (std::size_t e = 0; e < engines->size(); ++e) {
      Engine& stage = (*engines)[e];
      for (const Engine::Binding& in : stage.inputs()) std::memset(in.data, 0, in.type.bytes());
      stage.invoke();
      if (!outputsFinite(stage)) {
        return makeError(Errc::kCorrupt,
                         "{}: warm-up inference {} of {} (update.warmup_inferences) gave non-finite outputs",
                         models[e]->sourceName(), k + 1, config.update.warmupInferences);
      }
    }
  }
  if (config.update.warmupInferences > 0) {
    log::info(gLog, "bundle {} on trial: {} warm-up inferences of {} model{} gave finite outputs",
              config.bundle.version, config.update.warmupInferences, engines->size(),
              engines->size() == 1 ? "" : "s");
  }
  return success();
}

bool Service::Impl::outputsFinite(const Engine& stage) const {
  for (const Engine::Binding& out : stage.outputs()) {
    if (!allFinite(floatValues(out))) return false;
  }
  return true;
}

// After each frame on trial: non-finite outputs fail it at once; a frame within the latency
// limit and the watchdog interval counts towards update.trial_frames.
std::optional<ServiceEnd> Service::Impl::trackTrial() {
  const Clock::time_point now = Clock::now();
  if (frameNonFinite) {
    trial.failure = fmt::format("health check: frame {} gave non-finite outputs", frames);
    return ServiceEnd::kTrialFailed;
  }
  const auto watchdog = notifier.watchdogInterval().count() > 0
                            ? std::chrono::duration_cast<Clock::duration>(notifier.watchdogInterval())
                            : std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::seconds(std::max(1, config.board.watchdog.timeoutSeconds)));
  const bool inTime = lastTotalMs <= static_cast<double>(config.update.trialMaxLatency.count()) &&
                      now - trial.lastFrame < watchdog;
  trial.lastFrame = now;
  if (inTime) {
    ++trial.goodFrames;
  } else {
    ++trial.slowFrames;
  }
  if (trial.goodFrames >= config.update.trialFrames) passTrial();
  return std::nullopt;
}

std::optional<ServiceEnd> Service::Impl::trialExpired() {
  if (!trial.active || Clock::now() - trial.start <= config.update.trialTimeout) return std::nullopt;
  trial.failure = fmt::format(
      "health check: {} of {} frames within {} ms (update.trial_frames, trial_max_latency_ms) in "
      "{:.0f} s (update.trial_timeout_s); {} too slow",
      trial.goodFrames, config.update.trialFrames, config.update.trialMaxLatency.count(),
      std::chrono::duration<double>(config.update.trialTimeout).count(), trial.slowFrames);
  return ServiceEnd::kTrialFailed;
}

void Service::Impl::passTrial() {
  trial.active = false;
  healthTold = true;
  config.bundle.trial = false;
  const std::string summary = fmt::format(
      "{} warm-up inferences finite, {} frames within {} ms in {:.1f} s",
      config.update.warmupInferences, trial.goodFrames, config.update.trialMaxLatency.count(),
      msSince(trial.start) / 1000.0);
  if (hooks.health != nullptr) hooks.health->healthy(summary, true);
}

// Starts the camera. A pluggable one that is not there yet (a V4L2 camera not plugged in,
// or whose driver is not loaded) is waited for instead of failing the start: systemd hears
// READY=1 (the service is up; what it waits for is in STATUS= and on the console each
// status period), the watchdog is fed while the wait polls, and the camera is tried twice
// a second. A stop ends the wait; a valid reload ends it and restarts with the new config.
Result<void> Service::Impl::startCamera() {
  Result<void> started = source->start();
  // Not there, or there but not ours yet: udev sets a new node's group a moment after the
  // kernel creates it, so a camera that just appeared may refuse us (EACCES) briefly.
  const auto absent = [&](const Error& e) {
    return source->pluggable() && (e.code() == Errc::kNotFound || e.code() == Errc::kDisconnected ||
                                   e.code() == Errc::kPermissionDenied);
  };
  if (started || !absent(started.error())) return started;

  log::event(gLog, log::Level::kWarning, kCameraWaitId, "waiting for the camera: {}",
             started.error().message());
  notifier.ready();
  readySent = true;
  const Clock::time_point since = Clock::now();
  lastPing = Clock::now();
  Clock::time_point nextStatus{};
  Clock::time_point nextTry = since + std::chrono::milliseconds(500);
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (now >= nextStatus) {
      status.clear();
      status.append("waiting for camera {} for {:.0f} s: {}", config.camera.source,
                    std::chrono::duration<double>(now - since).count(), started.error().message());
      showStatus();
      nextStatus = now + std::chrono::duration_cast<Clock::duration>(config.output.statusInterval);
    }
    pingIfDue();
    if (gStop.load()) {
      endedWhileWaiting = ServiceEnd::kStopped;
      return success();
    }
    if (gReload.load() && checkReload()) {
      endedWhileWaiting = ServiceEnd::kReload;
      return success();
    }
    if (now >= nextTry) {
      nextTry = now + std::chrono::milliseconds(500);
      const std::string before = started.error().message();
      started = source->start();
      if (started) break;
      if (!absent(started.error())) return started;
      if (started.error().message() != before) {
        log::event(gLog, log::Level::kWarning, kCameraWaitId, "waiting for the camera: {}",
                   started.error().message());
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  log::event(gLog, log::Level::kNotice, kCameraBackId, "camera {} is there after {:.1f} s: {}",
             config.camera.source, msSince(since) / 1000.0, source->describe());
  return success();
}

void Service::Impl::captureJob(void* context, int slot) {
  auto& self = *static_cast<Impl*>(context);
  const auto s = static_cast<std::size_t>(slot);
  captureFrame(*self.source, *self.preprocessor, self.motion, std::chrono::milliseconds(100),
               self.stagingFrames[s], self.staging[s], self.frameCopyFor(s));
}

// The next frame into `current` and, when there is one, into the engine's input.
hal::WaitStatus Service::Impl::nextFrame() {
  if (!captureThread) {
    captureFrame(*source, *preprocessor, motion, std::chrono::milliseconds(100), current, input,
                 frameCopyFor(0));
  } else {
    const auto slot = static_cast<std::size_t>(stagingSlot);
    if (!captureThread->pending()) captureThread->start(stagingSlot);
    captureThread->wait();
    current = stagingFrames[slot];
    if (current.status == hal::WaitStatus::kFrame) {
      std::copy(staging[slot].begin(), staging[slot].end(), input.begin());
      // Frame N+1 is captured while frame N is inferred. After anything else nothing is
      // pending, so the loop may use the source (lastError(), re-open, standby).
      stagingSlot ^= 1;
      captureThread->start(stagingSlot);
    }
  }
  cameraStats = current.stats;
  return current.status;
}

// Before the loop thread touches the source: the capture thread is done with it. A frame it
// captured meanwhile is dropped (it went back to the source already).
void Service::Impl::drainCapture() {
  if (captureThread) captureThread->wait();
}

bool Service::Impl::processFrame() {
  const Clock::time_point t1 = Clock::now();
  engine->invoke();
  const double inferMs = msSince(t1);
  const Clock::time_point t2 = Clock::now();
  std::size_t count = 0;
  // Non-finite outputs: the decoders say so for what they read (ten such frames in a row are
  // a fault). A bundle on trial (and a config without a decoder) also has every float output
  // of the frame's model checked, now: the region stage's engines reuse the arena.
  const bool outputsBad = (trial.active || !decoder) && !outputsFinite(*engine);
  bool decodedNonFinite = false;
  if (decoder) {
    decoder->beginFrame();
    count = decoder->decode(detections);
    decodedNonFinite = decoder->lastOutputsNonFinite();
  }
  // Model coordinates to source pixels.
  const kernels::ImageMapping& m = preprocessor->mapping();
  for (std::size_t i = 0; i < count; ++i) detections[i] = toSourcePixels(detections[i], m);
  decodeMs = msSince(t2);
  // The region stage reads each region from the frame's copy (its decoder's texts live
  // until the next frame).
  if (regionStage && current.pixels != nullptr) {
    const Clock::time_point t3 = Clock::now();
    count = regionStage->run(current.pixels->view(), detections, count);
    regionsMs = msSince(t3);
    decodedNonFinite = decodedNonFinite || regionStage->lastOutputsNonFinite();
    textLines += count;
  }
  frameNonFinite = outputsBad || decodedNonFinite;
  if (decodedNonFinite) {
    ++nonFiniteFrames;
  } else {
    nonFiniteFrames = 0;
  }
  const double totalMs = current.preprocessMs + msSince(t1);
  lastTotalMs = totalMs;
  latency.add(static_cast<float>(inferMs));
  ++frames;
  detectionsTotal += count;
  publish(count, inferMs, totalMs);
  if (gSnapshot.load()) {
    if (!snapshotWriter) {
      gSnapshot.store(false);
      log::notice(gLog, "snapshot asked for, but output.snapshots = false: no snapshot");
    } else if (current.pixels != nullptr) {
      writeSnapshot(count);
    }
  }
  return count > 0;
}

// The current frame with its detections drawn, written atomically (SnapshotWriter). Not per
// frame: on SIGUSR1 or every output.snapshot_interval_s. It allocates (libpng, zlib) and
// takes some milliseconds of the loop; a failure is logged and the service goes on.
void Service::Impl::writeSnapshot(std::size_t count) {
  gSnapshot.store(false);
  Result<std::string> written = snapshotWriter->write(current.pixels->view(), {detections.data(), count});
  if (!written) {
    // Said once, and again only when the reason changes (a full disk must not flood the log).
    ++snapshotFailures;
    if (written.error().message() != lastSnapshotError) {
      lastSnapshotError = written.error().message();
      log::warning(gLog, "snapshot: {} ({} failed so far)", lastSnapshotError, snapshotFailures);
    }
    return;
  }
  lastSnapshotError.clear();
  ++snapshotsWritten;
  log::info(gLog, "snapshot of frame {} ({} detections): {}", frames, count, *written);
}

void Service::Impl::publish(std::size_t count, double inferMs, double totalMs) {
  if (sink.kind() == DetectionSinkKind::kNone || (count == 0 && !config.output.emptyFrames)) return;
  line.clear();
  line.append("{{\"frame\":{},\"seq\":{},\"t\":{:.3f},\"infer_ms\":{:.2f},\"total_ms\":{:.2f},",
              frames, current.sequence, static_cast<double>(current.timestampNs) / 1e9, inferMs, totalMs);
  if (regionStage) {
    // Where an OCR frame's time went: pre-processing, the detector (infer_ms), its decoder,
    // and the regions (cropping each, the orientation classifier and recogniser, CTC).
    line.append("\"pre_ms\":{:.2f},\"decode_ms\":{:.2f},\"regions_ms\":{:.2f},\"crop_ms\":{:.2f},"
                "\"read_ms\":{:.2f},",
                current.preprocessMs, decodeMs, regionsMs, regionStage->cropMs(), regionStage->inferMs());
  }
  line.append("\"width\":{},\"height\":{},\"detections\":[", current.width, current.height);
  for (std::size_t i = 0; i < count; ++i) {
    const Detection& d = detections[i];
    line.append("{}{{\"score\":{:.3f}", i ? "," : "", d.score);
    if (config.postprocess.kind == PostprocessKind::kTopK) {
      line.append(",\"class\":{}}}", d.classId);
      continue;
    }
    if (d.hasCorners) {
      // A text line (or any rotated region): its text, and its four corners as it reads.
      if (!d.text.empty() || config.postprocess.kind == PostprocessKind::kOcr) {
        line.append(",\"text\":");
        line.appendJsonString(d.text);
      }
      line.append(",\"box\":[[{:.1f},{:.1f}],[{:.1f},{:.1f}],[{:.1f},{:.1f}],[{:.1f},{:.1f}]]}}",
                  d.corners[0].x, d.corners[0].y, d.corners[1].x, d.corners[1].y, d.corners[2].x,
                  d.corners[2].y, d.corners[3].x, d.corners[3].y);
      continue;
    }
    line.append(",\"box\":[{:.1f},{:.1f},{:.1f},{:.1f}],\"keypoints\":[", d.x0, d.y0, d.x1, d.y1);
    for (int k = 0; k < d.numKeypoints; ++k) {
      line.append("{}[{:.1f},{:.1f}]", k ? "," : "", d.keypoints[static_cast<std::size_t>(k)][0],
                  d.keypoints[static_cast<std::size_t>(k)][1]);
    }
    line.append("]}}");
  }
  line.append("]}}\n");
  if (line.truncated()) {
    // Sized at start for the most detections and text; a cut line would corrupt the stream.
    if (droppedLines++ == 0) log::error(gLog, "frame {}: its JSON line is over {} bytes; dropped", frames, line.capacity());
    return;
  }
  sink.write(line.view());
}

void Service::Impl::maybeStatus(bool force) {
  const Clock::time_point now = Clock::now();
  if (!force && now - lastStatus < config.output.statusInterval) return;
  const double seconds = std::chrono::duration<double>(now - lastStatus).count();
  const double fps = seconds > 0 ? static_cast<double>(frames - framesAtLastStatus) / seconds : 0;
  lastStatus = now;
  framesAtLastStatus = frames;
  hal::SensorSample sample;
  hal::WindowStats window;
  const bool haveSensors = sampler && sampler->latest(sample);
  if (haveSensors) window = sampler->stats(std::max<std::size_t>(1, static_cast<std::size_t>(seconds)));
  // One snapshot for the status line and the Prometheus file.
  StatusSnapshot v;
  v.frames = frames;
  v.detections = detectionsTotal;
  v.readsText = regionStage.has_value();
  v.textLines = textLines;
  v.snapshots = snapshotsWritten;
  v.fps = fps;
  v.latencyP50 = latency.percentile(0.5) / 1000.0;
  v.latencyP99 = latency.percentile(0.99) / 1000.0;
  v.dropped = cameraStats.dropped;
  v.cameraLost = cameraStats.lost;
  v.cameraLostNow = cameraLost;
  v.idle = idle;
  v.idleTransitions = idleTransitions;
  if (haveSensors) {
    v.cpuLoad = window.cpuLoadPercent.count ? window.cpuLoadPercent.avg / 100.0 : -1;
    v.gpuLoad = window.gpuLoadPercent.count ? window.gpuLoadPercent.avg / 100.0 : -1;
    v.haveWatts = window.totalMilliwatts.count > 0;
    v.watts = v.haveWatts ? window.totalMilliwatts.avg / 1000.0 : 0;
    v.joulesPerInference = v.watts * v.latencyP50;
    v.sampler = sampler.get();
    v.sample = &sample;
  }
  v.bundleVersion = config.bundle.version;
  v.bundleSlot = config.bundle.slot;
  v.bundleTrial = trial.active;
  v.trialGoodFrames = trial.goodFrames;
  v.trialFrames = static_cast<std::uint64_t>(config.update.trialFrames);
  if (!config.update.stateDir.empty()) v.slotStates = {config.bundle.slotStates[0], config.bundle.slotStates[1]};
  formatStatusLine(status, v);
  showStatus();
  if (prometheus.isOpen()) prometheus.write(v);
}

// The status line in `status`: on the console (the serial console under the unit) and in
// systemd's STATUS=.
void Service::Impl::showStatus() {
  std::fprintf(hooks.console, "edgert: %.*s\n", static_cast<int>(status.view().size()), status.view().data());
  std::fflush(hooks.console);
  notifier.status(status.view());
}

void Service::Impl::maybePing() {
  // Only progress pets the watchdog: frames completed since the last ping (standby probes
  // count as frames). Never from a timer alone.
  if (frames == framesAtLastPing) return;
  framesAtLastPing = frames;
  pingIfDue();
}

// A watchdog ping when the last one is half the watchdog interval (at most 1 s) old. Called
// on progress: frames completed, or a wait (for the camera to appear or to come back)
// that is still polling.
void Service::Impl::pingIfDue() {
  const Clock::time_point now = Clock::now();
  const auto systemdEvery = notifier.watchdogInterval() / 2;
  const auto deviceEvery = std::chrono::seconds(std::max(1, config.board.watchdog.timeoutSeconds / 2));
  const auto every = notifier.watchdogInterval().count() > 0
                         ? std::chrono::duration_cast<Clock::duration>(systemdEvery)
                         : std::chrono::duration_cast<Clock::duration>(deviceEvery);
  if (now - lastPing < std::min<Clock::duration>(every, std::chrono::seconds(1))) return;
  lastPing = now;
  notifier.watchdogPing();
  if (deviceWatchdog) (void)deviceWatchdog->keepalive();
}

void Service::Impl::enterIdle() {
  idle = true;
  ++idleTransitions;
  log::event(gLog, log::Level::kNotice, kIdleId,
             "idle: nothing detected and no motion for {:.1f} s; action {}",
             std::chrono::duration<double>(config.idle.timeout).count(),
             idleActionName(config.idle.action));
}

void Service::Impl::leaveIdle(double change) {
  idle = false;
  ++activeTransitions;
  lastActivity = Clock::now();
  log::event(gLog, log::Level::kNotice, kActiveId, "active again: motion {:.1f} levels", change);
}

// Standby: the camera stream is off; every 1/standby_fps s it is started for one frame,
// compared with the last thumbnail, and stopped again. Motion resumes the loop.
ServiceEnd Service::Impl::standby() {
  drainCapture();
  source->stop();
  const auto period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / config.idle.standbyFps));
  while (!gStop.load()) {
    const Clock::time_point until = Clock::now() + period;
    while (Clock::now() < until && !gStop.load()) {
      maybeStatus(false);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (gStop.load()) break;
    if (gReload.load() && checkReload()) return ServiceEnd::kReload;
    if (Result<void> started = source->start(); !started) {
      log::warning(gLog, "standby probe: {}", started.error().message());
      continue;
    }
    hal::Frame frame;
    double change = 0;
    bool got = false;
    for (int tries = 0; tries < 10 && !got; ++tries) {
      got = source->waitFrame(std::chrono::milliseconds(200), frame) == hal::WaitStatus::kFrame;
    }
    cameraStats = source->stats();
    if (got) {
      change = motion.update(frame.image);
      source->release(frame);
      ++frames;  // a probe is progress for the watchdog
      maybePing();
    }
    if (got && change >= config.idle.motionThreshold) {
      leaveIdle(change);
      return ServiceEnd::kStopped;  // not an end: the caller resumes the loop
    }
    source->stop();
  }
  return ServiceEnd::kStopped;
}

bool Service::Impl::checkReload() {
  gReload.store(false);
  notifier.reloading();
  Result<ServiceConfig> next = loadServiceConfig(config.sourceName);
  if (!next) {
    log::error(gLog, "reload: {}; keeping the running config", next.error().message());
    notifier.ready();
    return false;
  }
  log::event(gLog, log::Level::kNotice, kReloadId, "reload: {} is valid; restarting the pipeline",
             config.sourceName);
  reloaded = std::move(*next);
  return true;
}

void Service::Impl::stopOutputs() {
  drainCapture();
  source->stop();
  if (deviceWatchdog) {
    const bool disarmed = deviceWatchdog->close();
    log::info(gLog, "watchdog {}: closed ({})", config.board.watchdog.device,
              disarmed ? "disarmed by the magic character" : "this driver cannot be disarmed");
    deviceWatchdog.reset();
  }
  if (sampler) sampler->stop();
}

ServiceEnd Service::Impl::loop() {
  if (endedWhileWaiting) return *endedWhileWaiting;
  startTime = lastStatus = lastActivity = lastPing = Clock::now();
  log::event(gLog, log::Level::kInfo, kStartedId, "started: {} on {} with {}{}, {}",
             config.sourceName, source->describe(), config.modelPath,
             config.bundle.version.empty()
                 ? std::string()
                 : fmt::format(" (bundle {}, slot {}{})", config.bundle.version, config.bundle.slot,
                               config.bundle.trial
                                   ? fmt::format(", on trial: {} tries left after this one",
                                                 config.bundle.triesLeft)
                                   : std::string()),
             config.boardChoice.empty() ? fmt::format("board {}", config.board.name) : config.boardChoice);
  if (config.bundle.trial) {
    trial.active = true;
    trial.start = trial.lastFrame = Clock::now();
    if (config.update.trialFrames == 0) passTrial();
  }
  std::uint64_t lastWarnedLost = 0;
  while (true) {
    if (gStop.load()) break;
    if (gReload.load() && checkReload()) {
      stopOutputs();
      return ServiceEnd::kReload;
    }
    if (config.frameLimit != 0 && frames >= config.frameLimit) break;
    if (std::optional<ServiceEnd> expired = trialExpired()) {
      stopOutputs();
      return *expired;
    }
    if (hooks.stallAfterFrames != 0 && frames >= hooks.stallAfterFrames) {
      // The test fault: alive, but no frame completes, so the watchdog is not petted.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (config.output.snapshotInterval.count() > 0 && Clock::now() >= nextSnapshot) {
      nextSnapshot = Clock::now() + std::chrono::duration_cast<Clock::duration>(config.output.snapshotInterval);
      gSnapshot.store(true);
    }
    const hal::WaitStatus got = nextFrame();
    if (got == hal::WaitStatus::kEnded) {
      stopOutputs();
      maybeStatus(true);
      return ServiceEnd::kSourceEnded;
    }
    if (got == hal::WaitStatus::kLost) {
      if (!cameraLost || cameraStats.lost != lastWarnedLost) {
        log::event(gLog, log::Level::kWarning, kCameraLostId, "camera lost: {}; re-opening",
                   source->lastError());
        lastWarnedLost = cameraStats.lost;
      }
      cameraLost = true;
    }
    if (got != hal::WaitStatus::kFrame) {
      // Re-opening a lost camera is the loop doing its job: the watchdog stays fed, and
      // the status line and the Prometheus file say camera-lost.
      if (cameraLost) pingIfDue();
      maybeStatus(false);
      continue;
    }
    if (cameraLost) {
      cameraLost = false;
      log::event(gLog, log::Level::kNotice, kCameraBackId, "camera back: {}", source->describe());
    }
    const double change = current.motion;
    const bool detected = processFrame();
    if (trial.active) {
      if (std::optional<ServiceEnd> failed = trackTrial()) {
        log::event(gLog, log::Level::kError, kFaultId, "bundle {} on trial: {}", config.bundle.version,
                   trial.failure);
        stopOutputs();
        return *failed;
      }
    }
    if (!readySent) {
      notifier.ready();  // after the first completed inference
      readySent = true;
    }
    if (!healthTold && !config.bundle.trial) {
      healthTold = true;
      if (hooks.health != nullptr) hooks.health->healthy("frames flow", false);
    }
    if (nonFiniteFrames >= 10) {
      log::event(gLog, log::Level::kCritical, kFaultId,
                 "fault: the model produced non-finite outputs for 10 frames in a row");
      notifier.watchdogTrigger();
      stopOutputs();
      return ServiceEnd::kFault;
    }
    const Clock::time_point now = Clock::now();
    if (detected || change >= config.idle.motionThreshold) lastActivity = now;
    if (config.idle.action != IdleAction::kNone && now - lastActivity >= config.idle.timeout) {
      enterIdle();
      maybeStatus(true);
      switch (config.idle.action) {
        case IdleAction::kExit: stopOutputs(); return ServiceEnd::kIdleExit;
        case IdleAction::kPoweroff: {
          stopOutputs();
          if (notifier.underSystemd()) {
            // The unit powers off on exit status kExitIdlePoweroff (ExecStopPost, as root,
            // through logind): a sandboxed dynamic user cannot reach the system bus.
            log::notice(gLog, "idle poweroff: exiting with {} for the unit to power the device off",
                        kExitIdlePoweroff);
            return ServiceEnd::kIdlePoweroff;
          }
          if (Result<void> off = requestPoweroff(); !off) {
            log::error(gLog, "{}", off.error().message());
          }
          return ServiceEnd::kIdleExit;
        }
        case IdleAction::kStandby: {
          const ServiceEnd end = standby();
          if (end == ServiceEnd::kReload) {
            stopOutputs();
            return end;
          }
          if (gStop.load()) break;
          if (Result<void> started = source->start(); !started) {
            log::error(gLog, "resuming from standby: {}", started.error().message());
          }
          motion.reset();
          break;
        }
        case IdleAction::kNone: break;
      }
    }
    maybePing();
    maybeStatus(false);
  }
  log::event(gLog, log::Level::kNotice, kStoppingId, "stopping after {} frames", frames);
  notifier.stopping();
  stopOutputs();
  maybeStatus(true);
  return ServiceEnd::kStopped;
}

// ---- Service ----------------------------------------------------------------------------

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::create(ServiceConfig config, ServiceHooks hooks) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  impl->hooks = hooks;
  EDGERT_TRY(impl->build());
  if (impl->endedWhileWaiting) return std::unique_ptr<Service>(new Service(std::move(impl)));
  std::fprintf(hooks.console, "edgert: memory %.1f of %.1f MiB budget:\n",
               static_cast<double>(impl->plan.total) / (1 << 20),
               static_cast<double>(impl->plan.budget) / (1 << 20));
  for (const MemoryItem& item : impl->plan.items) {
    std::fprintf(hooks.console, "edgert:   %10zu  %s\n", item.bytes, item.name.c_str());
  }
  std::fflush(hooks.console);
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

const MemoryPlan& Service::memory() const { return impl_->plan; }
ServiceEnd Service::run() { return impl_->loop(); }
const ServiceConfig& Service::reloadedConfig() const { return *impl_->reloaded; }
std::uint64_t Service::framesCompleted() const { return impl_->frames; }
std::uint64_t Service::idleTransitions() const { return impl_->idleTransitions; }
std::uint64_t Service::activeTransitions() const { return impl_->activeTransitions; }
const std::string& Service::trialFailure() const { return impl_->trial.failure; }
void Service::setSlotStates(const std::array<std::string, 2>& states) {
  impl_->config.bundle.slotStates = states;
}

void Service::requestStop() { gStop.store(true); }
void Service::requestReload() { gReload.store(true); }
void Service::requestSnapshot() { gSnapshot.store(true); }
void Service::clearRequests() {
  gStop.store(false);
  gReload.store(false);
  gSnapshot.store(false);
}

}  // namespace edgert::runtime
