#include "commands.hpp"

#include "edgert/hal/board.hpp"
#include "edgert/hal/inventory.hpp"
#include "edgert/hal/sampler.hpp"
#include "edgert/hal/sensors.hpp"


namespace edgert::cli {

int runSensors(Args args, Io io) {
  std::optional<std::string> boardPath, sysfsRoot, procfsRoot, intervalText, countText, json;
  std::vector<std::string> positionals;
  if (int rc = parseOptions(args, io,
                            {{"board", true, &boardPath},
                             {"sysfs-root", true, &sysfsRoot},
                             {"procfs-root", true, &procfsRoot},
                             {"interval", true, &intervalText},
                             {"count", true, &countText},
                             {"json", false, &json}},
                            positionals);
      rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  if (!positionals.empty()) {
    print(io.err, "edgert sensors: unexpected argument '{}'\n", positionals[0]);
    return kExitUsage;
  }
  long intervalMs = 1000;
  if (intervalText && !parseInteger(*intervalText, 1, 3'600'000, intervalMs)) {
    print(io.err, "edgert sensors: --interval: expected milliseconds in 1..3600000, found '{}'\n",
          *intervalText);
    return kExitUsage;
  }
  long count = 0;  // 0: until SIGINT/SIGTERM
  if (countText && !parseInteger(*countText, 1, 1'000'000'000, count)) {
    print(io.err, "edgert sensors: --count: expected a number of samples >= 1, found '{}'\n", *countText);
    return kExitUsage;
  }

  Result<hal::Board> board = boardPath ? hal::loadBoardFile(*boardPath) : hal::loadDefaultBoard();
  if (!board) {
    print(io.err, "{}\n", board.error().message());
    return kExitConfigInvalid;
  }
  hal::SensorOptions options;
  if (sysfsRoot) options.sysfsRoot = *sysfsRoot;
  options.procfsRoot = procfsRoot ? *procfsRoot : hal::procfsBesideSysfs(options.sysfsRoot);

  Result<hal::SensorSet> sensors = hal::SensorSet::open(*board, options);
  if (!sensors) {
    print(io.err, "edgert sensors: {}\n", sensors.error().message());
    return kExitFailure;
  }
  // Said once, here; while sampling, the states in each sample tell the rest.
  for (const std::string& problem : sensors->problems()) {
    print(io.err, "edgert sensors: warning: {}\n", problem);
  }

  // Whether the OpenCL backend could run: only asked of the ICD loader when the board
  // expects a driver (on Jetson the board file says why there is none).
  const hal::OpenClStatus openCl = hal::describeOpenCl(
      board->gpu, board->gpu.opencl == hal::OpenClExpectation::kExpected
                      ? hal::probeOpenCl()
                      : Result<std::vector<hal::OpenClPlatform>>(std::vector<hal::OpenClPlatform>{}));
  if (!json) {
    print(io.out, "OpenCL: {}{}\n", openCl.available ? "" : "unavailable: ", openCl.detail);
  }

  Result<std::unique_ptr<hal::Sampler>> sampler = hal::Sampler::create(
      std::move(*sensors), {.interval = std::chrono::milliseconds(intervalMs), .capacity = 600});
  if (!sampler) {
    print(io.err, "edgert sensors: {}\n", sampler.error().message());
    return kExitFailure;
  }
  hal::Sampler& s = **sampler;
  StopSignals signals;
  if (Result<void> started = s.start(); !started) {
    print(io.err, "edgert sensors: {}\n", started.error().message());
    return kExitFailure;
  }
  std::uint64_t seen = 0;
  std::int64_t startNs = 0;
  hal::SensorSample sample;
  for (long printed = 0; (count == 0 || printed < count) && !stopRequested();) {
    if (!s.waitForSample(seen, std::chrono::milliseconds(100), sample)) continue;
    if (seen == 0) startNs = sample.timeNs;
    seen = sample.sequence;
    const hal::WindowStats window = s.stats(0);  // tegrastats' average: since start
    if (json) {
      print(io.out, "{}\n", hal::formatSampleJson(s.sensors(), sample, window, startNs, &openCl));
    } else {
      print(io.out, "{}\n", hal::formatSampleLine(s.sensors(), sample, window));
    }
    std::fflush(io.out);
    ++printed;
  }
  s.stop();
  return kExitOk;
}

}  // namespace edgert::cli
