// The `edgert run` config schema (systemd/README.md) as TableReader calls.
#include "edgert/runtime/service_config.hpp"

#include <filesystem>

#include "edgert/base/pixel_format_names.hpp"
#include "edgert/base/toml_schema.hpp"
#include "edgert/runtime/update/bundle.hpp"

namespace edgert::runtime {

namespace {

constexpr std::array kResizeNames{
    EnumName<kernels::FitMode>{"stretch", kernels::FitMode::kStretch},
    EnumName<kernels::FitMode>{"letterbox", kernels::FitMode::kLetterbox},
    EnumName<kernels::FitMode>{"crop", kernels::FitMode::kCrop},
};
constexpr std::array kChannelNames{
    EnumName<kernels::ChannelOrder>{"rgb", kernels::ChannelOrder::kRgb},
    EnumName<kernels::ChannelOrder>{"bgr", kernels::ChannelOrder::kBgr},
};
constexpr std::array kPostprocessNames{
    EnumName<PostprocessKind>{"blazeface", PostprocessKind::kBlazeFace},
    EnumName<PostprocessKind>{"topk", PostprocessKind::kTopK},
    EnumName<PostprocessKind>{"ocr", PostprocessKind::kOcr},
    EnumName<PostprocessKind>{"none", PostprocessKind::kNone},
};
constexpr std::array kIdleActionNames{
    EnumName<IdleAction>{"none", IdleAction::kNone},
    EnumName<IdleAction>{"standby", IdleAction::kStandby},
    EnumName<IdleAction>{"exit", IdleAction::kExit},
    EnumName<IdleAction>{"poweroff", IdleAction::kPoweroff},
};

constexpr IntRange kImageSideRange{16, 8192};
constexpr IntRange kFpsRange{1, 240};
constexpr IntRange kBuffersRange{2, 32};
constexpr IntRange kDetectionsRange{1, 256};
constexpr IntRange kBudgetMibRange{16, 65536};
constexpr IntRange kThreadsRange{1, 256};
constexpr FloatRange kUnitRange{0.0, 1.0};
constexpr FloatRange kSecondsRange{0.1, 86400.0};
constexpr FloatRange kMotionRange{0.0, 255.0};
constexpr FloatRange kStandbyFpsRange{0.1, 30.0};

bool isDetectionSink(std::string_view s) {
  return s == "stdout" || s == "none" || (s.rfind("file:", 0) == 0 && s.size() > 5) ||
         (s.rfind("unix:", 0) == 0 && s.size() > 5);
}
constexpr StringRule kDetectionSinkRule{"\"stdout\", \"none\", \"file:PATH\" or \"unix:PATH\"",
                                        isDetectionSink};

std::string resolve(const std::string& baseDir, const std::string& path) {
  if (path.empty() || path.front() == '/' || baseDir.empty()) return path;
  return (std::filesystem::path(baseDir) / path).lexically_normal().string();
}

std::chrono::milliseconds toMs(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0 + 0.5));
}

// mean = [r, g, b] or scale = [r, g, b]: three finite numbers.
std::optional<std::array<float, 3>> readTriple(TableReader& table, std::string_view key) {
  const toml::node* node = table.rawNode(key);
  if (node == nullptr) return std::nullopt;
  const toml::array* array = node->as_array();
  std::array<float, 3> out{};
  bool ok = array != nullptr && array->size() == 3;
  for (std::size_t i = 0; ok && i < 3; ++i) {
    const toml::node& v = (*array)[i];
    if (v.is_floating_point()) out[i] = static_cast<float>(*v.value<double>());
    else if (v.is_integer()) out[i] = static_cast<float>(*v.value<std::int64_t>());
    else ok = false;
    ok = ok && std::isfinite(out[i]);
  }
  if (!ok) {
    table.fail(key, fmt::format("expected an array of 3 numbers (one per channel), found {}",
                                describeFound(*node)));
    return std::nullopt;
  }
  return out;
}

void readService(TableReader& t, ServiceConfig& c, const std::string& baseDir) {
  const std::string board = t.optionalString("board", kNonEmptyString).value_or("");
  c.boardPath = board == "auto" ? board : resolve(baseDir, board);
  c.modelPath = resolve(baseDir, t.requiredString("model", kNonEmptyString).value_or(""));
  c.threads = static_cast<int>(t.optionalInt("threads", kThreadsRange).value_or(1));
  c.pipeline = t.optionalBool("pipeline").value_or(false);
  c.frameLimit = static_cast<std::uint64_t>(
      t.optionalInt("frames", IntRange{0, std::int64_t{1} << 40}).value_or(0));
}

void readCamera(TableReader& t, hal::CameraConfig& camera, const std::string& baseDir) {
  if (auto s = t.optionalString("source", kNonEmptyString)) {
    const bool path = s->rfind("synthetic", 0) != 0 && s->rfind("/", 0) != 0 &&
                      s->find('/') != std::string::npos;
    camera.source = path ? resolve(baseDir, *s) : *s;
  }
  if (auto v = t.optionalInt("width", kImageSideRange)) camera.width = static_cast<int>(*v);
  if (auto v = t.optionalInt("height", kImageSideRange)) camera.height = static_cast<int>(*v);
  if (auto v = t.optionalInt("fps", kFpsRange)) camera.fps = static_cast<int>(*v);
  if (auto v = t.optionalEnum("format", kPixelFormatNames)) camera.format = *v;
  if (auto v = t.optionalInt("buffers", kBuffersRange)) camera.buffers = static_cast<int>(*v);
  if (auto v = t.optionalBool("realtime")) camera.realtime = *v;
}

void readPreprocess(TableReader& t, ServiceConfig& c) {
  c.modelInput = t.optionalString("input", kNonEmptyString).value_or("");
  if (auto v = t.optionalEnum("resize", kResizeNames)) c.preprocess.resize = *v;
  if (auto v = t.optionalEnum("channels", kChannelNames)) c.preprocess.order = *v;
  if (auto v = readTriple(t, "mean")) c.preprocess.mean = *v;
  if (auto v = readTriple(t, "scale")) c.preprocess.scale = *v;
  if (auto v = t.optionalFloat("fill", FloatRange{0.0, 255.0})) c.preprocess.fill = static_cast<float>(*v);
}

// The bundle code's digest reader decides what a sha256 in hex is.
bool isSha256Hex(std::string_view s) {
  update::Digest digest{};
  return update::parseDigest(s, digest);
}
constexpr StringRule kSha256Rule{"64 hex digits (sha256sum's)", isSha256Hex};

void readPostprocess(TableReader& t, ServiceConfig::Postprocess& p, const std::string& baseDir) {
  p.kind = t.requiredEnum("kind", kPostprocessNames).value_or(PostprocessKind::kNone);
  const bool ocr = p.kind == PostprocessKind::kOcr;
  if (ocr) p.scoreThreshold = 0.5F;  // PaddleOCR's drop_score
  // The text keys: required or refused by kind, so that a typo in `kind` is not silent.
  constexpr std::array kTextKeys{"recognizer", "dictionary", "dictionary_sha256", "orientation",
                                 "orientation_threshold", "map_threshold", "box_threshold",
                                 "unclip_ratio"};
  if (!ocr) {
    for (const char* key : kTextKeys) {
      if (t.has(key)) t.fail(key, "only with kind = \"ocr\"");
    }
  } else {
    ServiceConfig::Postprocess::Text& x = p.text;
    x.recognizerPath = resolve(baseDir, t.requiredString("recognizer", kNonEmptyString).value_or(""));
    x.dictionaryPath = resolve(baseDir, t.requiredString("dictionary", kNonEmptyString).value_or(""));
    x.dictionarySha256 = t.optionalString("dictionary_sha256", kSha256Rule).value_or("");
    x.orientationPath = resolve(baseDir, t.optionalString("orientation", kNonEmptyString).value_or(""));
    if (auto v = t.optionalFloat("orientation_threshold", kUnitRange)) x.orientationThreshold = static_cast<float>(*v);
    if (auto v = t.optionalFloat("map_threshold", FloatRange{0.01, 0.99})) x.mapThreshold = static_cast<float>(*v);
    if (auto v = t.optionalFloat("box_threshold", FloatRange{0.01, 0.99})) x.boxThreshold = static_cast<float>(*v);
    if (auto v = t.optionalFloat("unclip_ratio", FloatRange{0.1, 10.0})) x.unclipRatio = static_cast<float>(*v);
  }
  if (auto v = t.optionalFloat("score_threshold", kUnitRange)) p.scoreThreshold = static_cast<float>(*v);
  if (auto v = t.optionalFloat("iou_threshold", kUnitRange)) p.iouThreshold = static_cast<float>(*v);
  if (auto v = t.optionalInt("max_detections", kDetectionsRange)) p.maxDetections = static_cast<int>(*v);
  if (auto v = t.optionalInt("top_k", kDetectionsRange)) p.topK = static_cast<int>(*v);
}

void readOutput(TableReader& t, ServiceConfig::Output& o, const std::string& baseDir) {
  const std::string sink = t.optionalString("detections", kDetectionSinkRule).value_or("stdout");
  if (sink == "stdout") o.detections = DetectionSinkKind::kStdout;
  else if (sink == "none") o.detections = DetectionSinkKind::kNone;
  else if (sink.rfind("file:", 0) == 0) {
    o.detections = DetectionSinkKind::kFile;
    o.detectionsPath = resolve(baseDir, sink.substr(5));
  } else if (sink.rfind("unix:", 0) == 0) {
    o.detections = DetectionSinkKind::kUnixDatagram;
    o.detectionsPath = resolve(baseDir, sink.substr(5));
  }
  o.emptyFrames = t.optionalBool("empty_frames").value_or(true);
  if (auto v = t.optionalFloat("status_interval_s", kSecondsRange)) o.statusInterval = toMs(*v);
  o.prometheusPath = resolve(baseDir, t.optionalString("prometheus", kNonEmptyString).value_or(""));
  o.snapshots = t.optionalBool("snapshots").value_or(true);
  // At least a second: a snapshot encodes a PNG and syncs a file on the loop's thread.
  if (auto v = t.optionalFloat("snapshot_interval_s", FloatRange{1.0, 86400.0})) o.snapshotInterval = toMs(*v);
  if (!o.snapshots && (t.has("snapshot_interval_s") || t.has("snapshot_dir"))) {
    t.fail("snapshots", "false, but snapshot_interval_s or snapshot_dir is set");
  }
  o.snapshotDir = resolve(baseDir, t.optionalString("snapshot_dir", kNonEmptyString).value_or(""));
  if (!o.prometheusPath.empty() && o.prometheusPath.size() > 5 &&
      o.prometheusPath.substr(o.prometheusPath.size() - 5) != ".prom") {
    t.fail("prometheus", "expected a path ending in .prom (node_exporter's textfile collector "
                         "reads only those), found \"" + o.prometheusPath + "\"");
  }
}

void readIdle(TableReader& t, ServiceConfig::Idle& idle) {
  idle.action = t.requiredEnum("action", kIdleActionNames).value_or(IdleAction::kNone);
  if (auto v = t.optionalFloat("timeout_s", kSecondsRange)) idle.timeout = toMs(*v);
  if (auto v = t.optionalFloat("motion_threshold", kMotionRange)) idle.motionThreshold = *v;
  if (auto v = t.optionalFloat("standby_fps", kStandbyFpsRange)) idle.standbyFps = *v;
}

}  // namespace

std::string_view idleActionName(IdleAction action) { return enumNameOf(kIdleActionNames, action); }

namespace {

Result<ServiceConfig> readServiceConfig(const toml::table& document, std::string_view sourceName,
                                        const std::string& baseDir, const std::string& boardFile) {
  ServiceConfig c;
  c.sourceName = std::string(sourceName);
  // The board comes first: the camera defaults and the memory budget are the board's.
  std::string boardKey;
  if (const toml::node* service = document.get("service"); service != nullptr && service->is_table()) {
    if (const toml::node* b = service->as_table()->get("board"); b != nullptr && b->is_string()) {
      boardKey = *b->value<std::string>();
    }
  }
  // "auto": the installed board file that matches the device tree, else host-sim.
  if (!boardFile.empty()) {
    boardKey = boardFile;
    c.boardChoice = fmt::format("board {} (given in place of service.board)", boardFile);
  } else if (boardKey != "auto") {
    boardKey = boardKey.empty() ? "" : resolve(baseDir, boardKey);
  } else {
    std::vector<std::string> skipped;
    Result<std::optional<std::string>> found = hal::detectBoardFile(hal::installedBoardSearch(), &skipped);
    for (const std::string& why : skipped) c.boardChoice += fmt::format("skipped {}; ", why);
    if (found && *found) {
      boardKey = **found;
      c.boardChoice += fmt::format("board {} (service.board = \"auto\": matches the device tree)", boardKey);
    } else {
      boardKey.clear();
      c.boardChoice += fmt::format("board host-sim (service.board = \"auto\": {})",
                                   found ? "no board file matches this device" : found.error().message());
    }
  }
  Result<hal::Board> board = boardKey.empty() ? hal::loadDefaultBoard() : hal::loadBoardFile(boardKey);
  if (!board) {
    return Error(board.error().code(), fmt::format("{}: service.board: {}", sourceName,
                                                   board.error().message()));
  }
  c.board = std::move(*board);
  c.camera = hal::cameraConfigFromBoard(c.board.camera);
  c.memory.budgetBytes = static_cast<std::size_t>(c.board.memory.budgetMib) << 20;
  c.memory.lock = c.board.memory.lock;
  c.threads = c.board.cpu.inferenceThreads;
  c.preprocess.mean = {127.5F, 127.5F, 127.5F};
  c.preprocess.scale = {1 / 127.5F, 1 / 127.5F, 1 / 127.5F};

  EDGERT_TRY(readSchema(document, sourceName, [&](TableReader& root) {
    root.requiredTable("service", [&](TableReader& t) {
      const int boardThreads = c.threads;
      readService(t, c, baseDir);
      if (!t.has("threads")) c.threads = boardThreads;
    });
    root.optionalTable("camera", [&](TableReader& t) { readCamera(t, c.camera, baseDir); });
    root.optionalTable("preprocess", [&](TableReader& t) { readPreprocess(t, c); });
    root.requiredTable("postprocess", [&](TableReader& t) { readPostprocess(t, c.postprocess, baseDir); });
    root.optionalTable("output", [&](TableReader& t) { readOutput(t, c.output, baseDir); });
    root.optionalTable("idle", [&](TableReader& t) { readIdle(t, c.idle); });
    root.optionalTable("update", [&](TableReader& t) {
      c.update.present = true;
      c.update.stateDir = resolve(baseDir, t.optionalString("state_dir", kNonEmptyString).value_or(""));
      if (auto v = t.optionalString("keys", kNonEmptyString)) c.update.keysDir = resolve(baseDir, *v);
      c.update.compatible = t.optionalString("compatible", kNonEmptyString).value_or("");
      if (auto v = t.optionalInt("warmup_inferences", IntRange{0, 1000})) {
        c.update.warmupInferences = static_cast<int>(*v);
      }
      if (auto v = t.optionalInt("trial_frames", IntRange{0, 1'000'000})) {
        c.update.trialFrames = static_cast<std::uint64_t>(*v);
      }
      if (auto v = t.optionalFloat("trial_timeout_s", kSecondsRange)) c.update.trialTimeout = toMs(*v);
      if (auto v = t.optionalFloat("trial_max_latency_ms", FloatRange{1.0, 600000.0})) {
        c.update.trialMaxLatency = std::chrono::milliseconds(static_cast<std::int64_t>(*v + 0.5));
      }
    });
    root.optionalTable("memory", [&](TableReader& t) {
      if (auto v = t.optionalInt("budget_mib", kBudgetMibRange)) {
        c.memory.budgetBytes = static_cast<std::size_t>(*v) << 20;
      }
      if (auto v = t.optionalBool("lock")) c.memory.lock = *v;
    });
  }));
  return c;
}

}  // namespace

Result<ServiceConfig> parseServiceConfig(std::string_view text, std::string_view sourceName,
                                         const std::string& baseDir) {
  EDGERT_ASSIGN_OR_RETURN(const toml::table document, parseToml(text, sourceName));
  return readServiceConfig(document, sourceName, baseDir, {});
}

Result<ServiceConfig> loadServiceConfig(const std::string& path, const std::string& boardFile) {
  EDGERT_ASSIGN_OR_RETURN(const toml::table document, parseTomlFile(path));
  return readServiceConfig(document, path, std::filesystem::path(path).parent_path().string(), boardFile);
}

}  // namespace edgert::runtime
