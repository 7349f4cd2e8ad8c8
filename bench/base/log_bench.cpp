// Cost of one log line on each path a steady-state loop can take.
#include "edgert/base/log.hpp"

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <string>

namespace edgert::log {
namespace {

EDGERT_LOG_CATEGORY(kUnlimited, "bench", kNoRateLimit);
EDGERT_LOG_CATEGORY(kLimited, "bench-limited", RateLimit{1, std::chrono::hours(1)});

constexpr MessageId kFrameLateId{"25dd60e77ec2483b908964dd2c11e1a2"};

// Throws records away: what is left is the level check, the limiter and the formatting.
class NullSink : public Sink {
 public:
  void write(const Record& record) override { benchmark::DoNotOptimize(record.message.data()); }
};

// Builds both output formats as the real sinks do, without the syscall.
class FormattingSink : public Sink {
 public:
  void write(const Record& record) override {
    formatJournalFields(record, journal_);
    benchmark::DoNotOptimize(formatStderrLine(record, line_).data());
  }

 private:
  JournalFields journal_;
  std::array<char, kStderrLineBytes> line_{};
};

// Fresh defaults around each benchmark, with `sink` (nullptr: the stderr target).
class Setup {
 public:
  explicit Setup(Sink* sink) {
    resetForTesting();
    setTarget(Target::kStderr);
    setSink(sink);
  }
  ~Setup() { resetForTesting(); }
  Setup(const Setup&) = delete;
  Setup& operator=(const Setup&) = delete;
};

const std::string kPath = "/dev/video0";

void lineBelowLevel(benchmark::State& state) {
  NullSink sink;
  Setup setup(&sink);
  int frame = 0;
  for (auto _ : state) {
    debug(kUnlimited, "frame {} from {} took {:.3f} ms", frame++, kPath, 1.25);
  }
}
BENCHMARK(lineBelowLevel);

void lineToNullSink(benchmark::State& state) {
  NullSink sink;
  Setup setup(&sink);
  int frame = 0;
  for (auto _ : state) {
    info(kUnlimited, "frame {} from {} took {:.3f} ms", frame++, kPath, 1.25);
  }
}
BENCHMARK(lineToNullSink);

void lineFormattedForBothTargets(benchmark::State& state) {
  FormattingSink sink;
  Setup setup(&sink);
  int frame = 0;
  for (auto _ : state) {
    info(kUnlimited, "frame {} from {} took {:.3f} ms", frame++, kPath, 1.25);
  }
}
BENCHMARK(lineFormattedForBothTargets);

void eventFormattedForBothTargets(benchmark::State& state) {
  FormattingSink sink;
  Setup setup(&sink);
  int frame = 0;
  for (auto _ : state) {
    event(kUnlimited, Level::kWarning, kFrameLateId, {{"DEVICE", kPath}, {"FRAME", frame}},
          "frame {} from {} late", frame, kPath);
    ++frame;
  }
}
BENCHMARK(eventFormattedForBothTargets);

void rateSuppressedLine(benchmark::State& state) {
  NullSink sink;
  Setup setup(&sink);
  info(kLimited, "the one line of this hour");
  int frame = 0;
  for (auto _ : state) {
    info(kLimited, "frame {} from {} took {:.3f} ms", frame++, kPath, 1.25);
  }
}
BENCHMARK(rateSuppressedLine);

// The real stderr path, write(2) included, into /dev/null.
void lineToStderrDevNull(benchmark::State& state) {
  Setup setup(nullptr);
  const int devNull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  const int saved = dup(STDERR_FILENO);
  if (devNull < 0 || saved < 0 || dup2(devNull, STDERR_FILENO) < 0) {
    state.SkipWithError("cannot point stderr at /dev/null");
    return;
  }
  int frame = 0;
  for (auto _ : state) {
    info(kUnlimited, "frame {} from {} took {:.3f} ms", frame++, kPath, 1.25);
  }
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(devNull);
}
BENCHMARK(lineToStderrDevNull);

}  // namespace
}  // namespace edgert::log
