// One full sensor sample (every rail, zone, CPU core and the GPU, as SensorSet::read does on
// the sampling thread): on the Orin Nano fixture tree, and on this machine's /sys and /proc
// with the host-sim board.
#include "edgert/hal/sensors.hpp"

#include <benchmark/benchmark.h>

#include <string>

namespace edgert::hal {
namespace {

void sampleLoop(benchmark::State& state, const Board& board, const SensorOptions& options) {
  Result<SensorSet> set = SensorSet::open(board, options);
  if (!set) {
    state.SkipWithError(set.error().message().c_str());
    return;
  }
  SensorSample sample;
  for (auto _ : state) {
    set->read(sample, monotonicNowNs());
    benchmark::DoNotOptimize(sample);
  }
}

void BM_SampleOrinNanoFixture(benchmark::State& state) {
  const Board board = loadBoardFile(std::string(EDGERT_SOURCE_DIR) + "/board/jetson-orin-nano.toml").value();
  SensorOptions options;
  const std::string fixture = std::string(EDGERT_SOURCE_DIR) + "/tests/hal/sensors/fixtures/jetson-orin-nano";
  options.sysfsRoot = fixture + "/sys";
  options.procfsRoot = fixture + "/proc";
  sampleLoop(state, board, options);
}
BENCHMARK(BM_SampleOrinNanoFixture);

void BM_SampleHostSys(benchmark::State& state) {
  sampleLoop(state, loadDefaultBoard().value(), SensorOptions{});
}
BENCHMARK(BM_SampleHostSys);

}  // namespace
}  // namespace edgert::hal
