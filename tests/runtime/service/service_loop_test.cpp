// The service loop in-process, on the real BlazeFace image: 1,000 frames through capture ->
// pre-process -> infer -> post-process -> publish (detections to a file, status lines,
// the Prometheus textfile, sd_notify to a socket this test owns) with zero heap allocations,
// sequential and pipelined; both modes find the same face on the astronaut photo; and the
// idle policy's standby is entered and left with a synthetic source that stops and starts
// moving. This binary counts allocations (tests/support/alloc_counter.cpp).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "edgert/kernels/cpu_features.hpp"
#include "edgert/runtime/service.hpp"
#include "support/alloc_counter.hpp"
#include "support/temp_dir.hpp"
#include "support/thread_counter.hpp"

namespace edgert::runtime {
namespace {

namespace fs = std::filesystem;

// The image with this CPU's fast kernels (postprocess.compile_blazeface compiles one per
// target), or the reference one where this CPU lacks their ISA: 1,000 frames on reference
// kernels take minutes.
fs::path frontModel() {
  const kernels::CpuFeatures& cpu = kernels::cpuFeatures();
  const bool fast = std::string_view(EDGERT_TARGET_ARCH) == "aarch64" ? cpu.neon : cpu.avx2 && cpu.fma;
  return fs::path(EDGERT_FACE_MODEL_DIR) /
         (fast ? "blazeface_front_128." EDGERT_TARGET_ARCH ".edgm" : "blazeface_front_128.edgm");
}
const fs::path kFrontModel = frontModel();

using edgert::test::TempDir;

// A datagram socket bound where $NOTIFY_SOCKET points, as systemd's is, read by a thread
// of its own as systemd reads it (a full queue would block sd_notify: Linux queues only
// net.unix.max_dgram_qlen datagrams, often 10). The thread counts messages by kind into
// atomics: it must not allocate while the test counts allocations.
class NotifySocket {
 public:
  enum Kind { kReady, kStatus, kWatchdog, kStopping, kKinds };

  explicit NotifySocket(const fs::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{0, 50'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
    ::setenv("WATCHDOG_USEC", "1000000", 1);
    reader_ = std::thread([this] { read(); });
  }
  ~NotifySocket() {
    quit_.store(true);
    reader_.join();
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::close(fd_);
  }
  bool bound() const { return bound_; }
  // After the sender is done: waits for the queue to drain.
  int count(Kind kind) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return counts_[kind].load();
  }

 private:
  void read() {
    static constexpr std::array<std::string_view, kKinds> kPrefixes{"READY=1", "STATUS=run ",
                                                                   "WATCHDOG=1", "STOPPING=1"};
    char buf[1024];
    while (!quit_.load()) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      const std::string_view text(buf, static_cast<std::size_t>(n));
      for (std::size_t k = 0; k < kPrefixes.size(); ++k) {
        if (text.substr(0, kPrefixes[k].size()) == kPrefixes[k]) ++counts_[k];
      }
    }
  }

  int fd_ = -1;
  bool bound_ = false;
  std::array<std::atomic<int>, kKinds> counts_{};
  std::atomic<bool> quit_{false};
  std::thread reader_;
};

std::vector<std::string> readLines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

ServiceConfig parse(const std::string& text, const fs::path& dir) {
  Result<ServiceConfig> config = parseServiceConfig(text, "loop-test.toml", dir.string());
  EXPECT_TRUE(config.ok()) << config.error().message();
  return config.ok() ? std::move(*config) : ServiceConfig{};
}

class ServiceLoop : public ::testing::TestWithParam<bool> {};

// 1,000 frames natively; under emulation (qemu-aarch64 runs NEON some hundred times slower)
// and ThreadSanitizer the same loop over EDGERT_LOOP_FRAMES (tests/CMakeLists.txt).
constexpr int kLoopFrames = EDGERT_LOOP_FRAMES;

TEST_P(ServiceLoop, ThousandFramesAllocateNothing) {
  ASSERT_TRUE(fs::exists(kFrontModel)) << kFrontModel << " is compiled by postprocess.compile_blazeface";
  const bool pipeline = GetParam();
  TempDir dir("edgert-loop");
  NotifySocket notify(dir.path() / "notify.sock");
  ASSERT_TRUE(notify.bound());
  std::ostringstream text;
  text << "[service]\nmodel = \"" << kFrontModel.string() << "\"\nframes = " << kLoopFrames << "\npipeline = "
       << (pipeline ? "true" : "false") << "\n"
       << "[camera]\nsource = \"synthetic\"\nwidth = 160\nheight = 120\nrealtime = false\n"
       << "[postprocess]\nkind = \"blazeface\"\n"
       << "[output]\ndetections = \"file:" << (dir.path() / "detections.jsonl").string() << "\"\n"
       << "status_interval_s = 0.2\nprometheus = \"" << (dir.path() / "edgert.prom").string() << "\"\n";
  std::FILE* console = std::tmpfile();
  ASSERT_NE(console, nullptr);
  Result<std::unique_ptr<Service>> service =
      Service::create(parse(text.str(), dir.path()), {.console = console});
  ASSERT_TRUE(service.ok()) << service.error().message();

  ASSERT_TRUE(test::allocationCounterWorks()) << "allocation counter is not wired";
  test::startCountingAllocations();
  const ServiceEnd end = (*service)->run();
  const long allocations = test::stopCountingAllocations();
  EXPECT_EQ(allocations, 0) << "run() allocated on the heap";
  EXPECT_EQ(end, ServiceEnd::kStopped);
  EXPECT_EQ((*service)->framesCompleted(), static_cast<std::uint64_t>(kLoopFrames));

  // What the loop published while nothing was allocated.
  const std::vector<std::string> lines = readLines(dir.path() / "detections.jsonl");
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kLoopFrames));
  EXPECT_NE(lines.back().find(fmt::format("\"frame\":{},", kLoopFrames)), std::string::npos) << lines.back();
  EXPECT_NE(lines.back().find("\"width\":160,\"height\":120,\"detections\":["), std::string::npos);
  std::ifstream prom(dir.path() / "edgert.prom");
  const std::string metrics((std::istreambuf_iterator<char>(prom)), std::istreambuf_iterator<char>());
  EXPECT_NE(metrics.find(fmt::format("\nedgert_frames_total {}\n", kLoopFrames)), std::string::npos) << metrics;
  EXPECT_EQ(notify.count(NotifySocket::kReady), 1);
  EXPECT_GE(notify.count(NotifySocket::kStatus), 1);
  EXPECT_EQ(notify.count(NotifySocket::kStopping), 1);
  std::rewind(console);
  char status[256] = {};
  EXPECT_NE(std::fgets(status, sizeof status, console), nullptr);  // the memory breakdown
  std::fclose(console);
  if (!test::countsMalloc()) RecordProperty("note", "sanitizer build: operator new counted, malloc not");
}

INSTANTIATE_TEST_SUITE_P(Modes, ServiceLoop, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "Pipelined" : "Sequential";
                         });

// The JSON line of a frame without its timings (which differ from run to run).
// ("t":S,"infer_ms":X,"total_ms":Y, sit between "seq" and "width").
std::string withoutTimings(const std::string& line) {
  const std::size_t from = line.find("\"t\":");
  const std::size_t to = line.find("\"width\":");
  if (from == std::string::npos || to == std::string::npos || to < from) return line;
  return line.substr(0, from) + line.substr(to);
}

// Nothing of a service that does not fit its memory budget starts: create() fails naming
// the budget before the engine's worker threads (or any other) exist. Within the budget
// the same config starts them.
TEST(ServiceBudget, NoThreadStartsWhenTheBudgetIsExceeded) {
  ASSERT_TRUE(fs::exists(kFrontModel)) << kFrontModel << " is compiled by postprocess.compile_blazeface";
  TempDir dir("edgert-loop");
  const auto config = [&](int budgetMib) {
    std::ostringstream text;
    text << "[service]\nmodel = \"" << kFrontModel.string() << "\"\nthreads = 2\nframes = 1\n"
         << "[camera]\nsource = \"synthetic\"\nwidth = 3840\nheight = 2160\nrealtime = false\n"
         << "[postprocess]\nkind = \"blazeface\"\n"
         << "[output]\ndetections = \"file:" << (dir.path() / "detections.jsonl").string() << "\"\n"
         << "[memory]\nbudget_mib = " << budgetMib << "\n";
    return parse(text.str(), dir.path());
  };
  std::FILE* console = std::tmpfile();
  ASSERT_NE(console, nullptr);
  test::startCountingThreads();
  Result<std::unique_ptr<Service>> over = Service::create(config(16), {.console = console});
  const long startedOver = test::stopCountingThreads();
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code(), Errc::kNoMemory);
  EXPECT_NE(over.error().message().find("more than the memory budget of 16.0 MiB"), std::string::npos)
      << over.error().message();
  EXPECT_EQ(startedOver, 0) << "threads started before the budget check";

  test::startCountingThreads();
  Result<std::unique_ptr<Service>> within = Service::create(config(4096), {.console = console});
  const long startedWithin = test::stopCountingThreads();
  ASSERT_TRUE(within.ok()) << within.error().message();
  EXPECT_GE(startedWithin, 1) << "the engine's worker";
  EXPECT_EQ((*within)->run(), ServiceEnd::kStopped);
  std::fclose(console);
}

TEST(ServicePipeline, SameDetectionsAsSequentialOnTheAstronaut) {
  ASSERT_TRUE(fs::exists(kFrontModel)) << kFrontModel << " is compiled by postprocess.compile_blazeface";
  ASSERT_TRUE(fs::exists(EDGERT_FACE_PHOTO)) << "fetched by toolchain/fetch-testdata.sh";
  std::vector<std::string> outputs[2];
  for (const bool pipeline : {false, true}) {
    TempDir dir("edgert-loop");
    std::ostringstream text;
    text << "[service]\nmodel = \"" << kFrontModel.string() << "\"\nframes = 4\npipeline = "
         << (pipeline ? "true" : "false") << "\n"
         << "[camera]\nsource = \"" << EDGERT_FACE_PHOTO << "\"\nrealtime = false\n"
         << "[postprocess]\nkind = \"blazeface\"\n"
         << "[output]\ndetections = \"file:" << (dir.path() / "d.jsonl").string() << "\"\n";
    Result<std::unique_ptr<Service>> service = Service::create(parse(text.str(), dir.path()));
    ASSERT_TRUE(service.ok()) << service.error().message();
    EXPECT_EQ((*service)->run(), ServiceEnd::kStopped);
    for (const std::string& line : readLines(dir.path() / "d.jsonl")) {
      outputs[pipeline ? 1 : 0].push_back(withoutTimings(line));
    }
  }
  ASSERT_EQ(outputs[0].size(), 4U);
  EXPECT_EQ(outputs[0], outputs[1]);
  for (const std::string& line : outputs[1]) {
    // Exactly one face (one "score"), with 6 keypoints.
    EXPECT_EQ(line.find("\"score\""), line.rfind("\"score\"")) << line;
    EXPECT_NE(line.find("\"score\""), std::string::npos) << line;
  }
}

// The idle policy's standby: at 30 fps the synthetic square moves for 15 frames and stands
// still for 30. Still for 0.3 s means idle: the stream stops, a probe frame every 40 ms (each
// one the source's next frame) looks for motion, and the square moving again resumes the
// loop. Nothing is allocated throughout.
TEST(ServiceIdle, StandbyAndBackAllocatesNothing) {
  ASSERT_TRUE(fs::exists(kFrontModel)) << kFrontModel << " is compiled by postprocess.compile_blazeface";
  for (const bool pipeline : {false, true}) {
    SCOPED_TRACE(pipeline ? "pipelined" : "sequential");
    TempDir dir("edgert-loop");
    std::ostringstream text;
    text << "[service]\nmodel = \"" << kFrontModel.string() << "\"\nframes = 100\npipeline = "
         << (pipeline ? "true" : "false") << "\n"
         << "[camera]\nsource = \"synthetic:pulse=15,30\"\nwidth = 160\nheight = 120\nfps = 30\n"
         << "[postprocess]\nkind = \"blazeface\"\n"
         << "[output]\ndetections = \"none\"\nstatus_interval_s = 0.1\n"
         << "[idle]\naction = \"standby\"\ntimeout_s = 0.3\nmotion_threshold = 0.5\nstandby_fps = 25\n";
    std::FILE* console = std::tmpfile();
    ASSERT_NE(console, nullptr);
    Result<std::unique_ptr<Service>> service =
        Service::create(parse(text.str(), dir.path()), {.console = console});
    ASSERT_TRUE(service.ok()) << service.error().message();
    test::startCountingAllocations();
    EXPECT_EQ((*service)->run(), ServiceEnd::kStopped);
    EXPECT_EQ(test::stopCountingAllocations(), 0);
    // 100 frames (probes included) cover two moving spells and two still ones.
    EXPECT_GE((*service)->idleTransitions(), 1U);
    EXPECT_GE((*service)->activeTransitions(), 1U);
    EXPECT_LE((*service)->idleTransitions() - (*service)->activeTransitions(), 1U);
    std::rewind(console);
    std::string status;
    for (char buf[512]; std::fgets(buf, sizeof buf, console) != nullptr;) status += buf;
    EXPECT_NE(status.find("edgert: idle "), std::string::npos) << status;
    std::fclose(console);
  }
}

}  // namespace
}  // namespace edgert::runtime
