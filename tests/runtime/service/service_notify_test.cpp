// `edgert run` under a real NOTIFY_SOCKET listener (a datagram socket this test owns, as
// systemd's is): READY=1 after the first inference, STATUS= lines, WATCHDOG=1 while frames
// complete; with the loop stalled by the test fault hook (EDGERT_FAULT=stall-after:N) the
// pings stop while the process stays alive; SIGTERM gives STOPPING=1 and a clean exit
// within a second.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Message {
  Clock::time_point at;
  std::string text;
};

class NotifyListener {
 public:
  explicit NotifyListener(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{0, 50'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifyListener() { ::close(fd_); }
  bool bound() const { return bound_; }
  // Collects messages until `until`.
  void collect(Clock::time_point until, std::vector<Message>& out) {
    char buf[4096];
    while (Clock::now() < until) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) out.push_back({Clock::now(), std::string(buf, static_cast<std::size_t>(n))});
    }
  }

 private:
  fs::path path_;
  int fd_ = -1;
  bool bound_ = false;
};

bool has(const std::vector<Message>& messages, const std::string& prefix) {
  for (const Message& m : messages) {
    if (m.text.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(ServiceNotify, ReadyStatusWatchdogAndStall) {
  const fs::path model = fs::path(EDGERT_SOURCE_DIR) / "build/model-export/blazeface_front_128/model.edgm";
  ASSERT_TRUE(fs::exists(model)) << model << " is exported by the models tests (ctest -L models)";
  std::string pattern = (fs::temp_directory_path() / "edgert-notify-XXXXXX").string();
  const fs::path dir = ::mkdtemp(pattern.data());
  {
    std::ofstream config(dir / "app.toml");
    config << "[service]\nmodel = \"" << model.string() << "\"\n"
           << "[camera]\nsource = \"synthetic\"\nwidth = 160\nheight = 120\nfps = 30\n"
           << "[postprocess]\nkind = \"blazeface\"\n"
           << "[output]\ndetections = \"none\"\nstatus_interval_s = 0.1\n";
  }
  NotifyListener listener(dir / "notify.sock");
  ASSERT_TRUE(listener.bound());

  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("NOTIFY_SOCKET", (dir / "notify.sock").c_str(), 1);
    ::setenv("WATCHDOG_USEC", "600000", 1);  // pings every 0.3 s
    // 20 frames: at least 0.66 s at the camera's 30 fps however fast the model runs, so at
    // least one 0.3 s ping falls before the stall.
    ::setenv("EDGERT_FAULT", "stall-after:20", 1);
    ::setenv("EDGERT_LOG_TARGET", "stderr", 1);
    const std::string config = (dir / "app.toml").string();
    ::execl(EDGERT_BINARY, EDGERT_BINARY, "run", "--config", config.c_str(), nullptr);
    ::_exit(127);
  }
  std::vector<Message> messages;
  // 20 frames take about a second here (several under ASan or emulation); then the loop
  // stalls. Collect until no WATCHDOG=1 came for 3 s after at least one did, or give up.
  Clock::time_point lastPing{};
  const Clock::time_point giveUp = Clock::now() + 60s;
  while (Clock::now() < giveUp) {
    std::vector<Message> more;
    listener.collect(Clock::now() + 100ms, more);
    for (const Message& m : more) {
      if (m.text == "WATCHDOG=1") lastPing = m.at;
    }
    messages.insert(messages.end(), more.begin(), more.end());
    if (lastPing != Clock::time_point{} && Clock::now() - lastPing > 3s) break;
  }
  EXPECT_TRUE(has(messages, "READY=1"));
  EXPECT_TRUE(has(messages, "STATUS="));
  ASSERT_TRUE(has(messages, "WATCHDOG=1"));
  // Stalled: alive, but no WATCHDOG=1 for the last 3 s.
  EXPECT_EQ(::kill(pid, 0), 0) << "the stalled service must stay alive";
  EXPECT_GT(Clock::now() - lastPing, 3s) << "WATCHDOG=1 kept coming while no frame completed";

  const Clock::time_point termAt = Clock::now();
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  pid_t done = 0;
  while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 && Clock::now() - termAt < 5s) {
    std::vector<Message> more;
    listener.collect(Clock::now() + 20ms, more);
    messages.insert(messages.end(), more.begin(), more.end());
  }
  ASSERT_EQ(done, pid) << "edgert did not exit within 5 s of SIGTERM";
  EXPECT_LT(Clock::now() - termAt, 1500ms) << "SIGTERM must stop the service within about 1 s";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  listener.collect(Clock::now() + 100ms, messages);
  EXPECT_TRUE(has(messages, "STOPPING=1"));
  fs::remove_all(dir);
}

}  // namespace

namespace {

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t countOf(const std::vector<Message>& messages, const std::string& prefix) {
  std::size_t n = 0;
  for (const Message& m : messages) n += m.text.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

// `edgert run --config DIR/app.toml` under DIR/notify.sock, its stderr in DIR/stderr.txt.
pid_t startService(const fs::path& dir) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("NOTIFY_SOCKET", (dir / "notify.sock").c_str(), 1);
    ::setenv("WATCHDOG_USEC", "600000", 1);
    ::setenv("EDGERT_LOG_TARGET", "stderr", 1);
    ::freopen((dir / "stderr.txt").c_str(), "w", stderr);
    const std::string config = (dir / "app.toml").string();
    ::execl(EDGERT_BINARY, EDGERT_BINARY, "run", "--config", config.c_str(), nullptr);
    ::_exit(127);
  }
  return pid;
}

// Collects until `count` messages start with `prefix` (60 s at most).
bool waitFor(NotifyListener& listener, std::vector<Message>& messages, const std::string& prefix,
             std::size_t count) {
  const Clock::time_point giveUp = Clock::now() + 60s;
  while (countOf(messages, prefix) < count && Clock::now() < giveUp) {
    listener.collect(Clock::now() + 50ms, messages);
  }
  return countOf(messages, prefix) >= count;
}

// SIGHUP with a valid new config: RELOADING=1, the pipeline rebuilt on it (its frames are
// 192 wide, not 160), READY=1 again. SIGHUP with a broken one: the error is logged, the
// service keeps running on the old config and keeps completing frames (WATCHDOG=1).
TEST(ServiceReload, ValidConfigIsTakenBrokenOneIsRefused) {
  const fs::path model = fs::path(EDGERT_SOURCE_DIR) / "build/model-export/blazeface_front_128/model.edgm";
  ASSERT_TRUE(fs::exists(model)) << model << " is exported by the models tests (ctest -L models)";
  std::string pattern = (fs::temp_directory_path() / "edgert-reload-XXXXXX").string();
  const fs::path dir = ::mkdtemp(pattern.data());
  const auto writeConfig = [&](int width) {
    std::ofstream config(dir / "app.toml.new");
    config << "[service]\nmodel = \"" << model.string() << "\"\n"
           << "[camera]\nsource = \"synthetic\"\nwidth = " << width << "\nheight = 120\nfps = 30\n"
           << "[postprocess]\nkind = \"blazeface\"\n"
           << "[output]\ndetections = \"file:" << (dir / "detections.jsonl").string() << "\"\n"
           << "status_interval_s = 0.2\n";
    config.close();
    fs::rename(dir / "app.toml.new", dir / "app.toml");
  };
  writeConfig(160);
  NotifyListener listener(dir / "notify.sock");
  ASSERT_TRUE(listener.bound());
  const pid_t pid = startService(dir);
  ASSERT_GE(pid, 0);
  std::vector<Message> messages;
  const auto waitFor = [&](const std::string& prefix, std::size_t count) {
    return ::waitFor(listener, messages, prefix, count);
  };
  ASSERT_TRUE(waitFor("READY=1", 1)) << readFile(dir / "stderr.txt");

  writeConfig(192);
  ASSERT_EQ(::kill(pid, SIGHUP), 0);
  EXPECT_TRUE(waitFor("RELOADING=1", 1));
  ASSERT_TRUE(waitFor("READY=1", 2)) << readFile(dir / "stderr.txt");
  // Frames from the new pipeline.
  const Clock::time_point giveUp = Clock::now() + 30s;
  while (readFile(dir / "detections.jsonl").find("\"width\":192,") == std::string::npos &&
         Clock::now() < giveUp) {
    listener.collect(Clock::now() + 50ms, messages);
  }
  EXPECT_NE(readFile(dir / "detections.jsonl").find("\"width\":192,"), std::string::npos);

  {
    std::ofstream broken(dir / "app.toml");
    broken << "[service]\nmodel = \"" << model.string() << "\"\n[camera]\nwidth = \"wide\"\n";
  }
  ASSERT_EQ(::kill(pid, SIGHUP), 0);
  EXPECT_TRUE(waitFor("RELOADING=1", 2));
  EXPECT_TRUE(waitFor("READY=1", 3));
  // Still running, still completing frames on the old config.
  const std::size_t pings = countOf(messages, "WATCHDOG=1");
  EXPECT_TRUE(waitFor("WATCHDOG=1", pings + 2)) << "no progress after a refused reload";
  EXPECT_EQ(::kill(pid, 0), 0);
  const std::string log = readFile(dir / "stderr.txt");
  EXPECT_NE(log.find("is valid; restarting the pipeline"), std::string::npos) << log;
  EXPECT_NE(log.find("camera.width"), std::string::npos) << log;
  EXPECT_NE(log.find("keeping the running config"), std::string::npos) << log;

  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  fs::remove_all(dir);
}

}  // namespace

namespace {

// A V4L2 camera that is not there at start (unplugged, or its driver not loaded yet) is
// waited for, not a failed start: READY=1 (the service is up), STATUS= and the console say
// what it waits for, the watchdog stays fed while the wait polls, and the process neither
// exits nor asks to be restarted. A valid reload during the wait restarts on the new
// config (here a synthetic source, so frames flow); SIGTERM during the wait exits 0.
TEST(ServiceCameraWait, WaitsFedAndReportingThenReloadsOrStops) {
  const fs::path model = fs::path(EDGERT_SOURCE_DIR) / "build/model-export/blazeface_front_128/model.edgm";
  ASSERT_TRUE(fs::exists(model)) << model << " is exported by the models tests (ctest -L models)";
  std::string pattern = (fs::temp_directory_path() / "edgert-camwait-XXXXXX").string();
  const fs::path dir = ::mkdtemp(pattern.data());
  const fs::path missing = dir / "video7";
  const auto writeConfig = [&](const std::string& source) {
    std::ofstream config(dir / "app.toml.new");
    config << "[service]\nmodel = \"" << model.string() << "\"\n"
           << "[camera]\nsource = \"" << source << "\"\nwidth = 160\nheight = 120\nfps = 30\n"
           << "[postprocess]\nkind = \"blazeface\"\n"
           << "[output]\ndetections = \"file:" << (dir / "detections.jsonl").string() << "\"\n"
           << "status_interval_s = 0.2\n";
    config.close();
    fs::rename(dir / "app.toml.new", dir / "app.toml");
  };
  writeConfig(missing.string());
  NotifyListener listener(dir / "notify.sock");
  ASSERT_TRUE(listener.bound());
  const auto exitStatus = [](pid_t pid) {
    int status = 0;
    const Clock::time_point giveUp = Clock::now() + 10s;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (Clock::now() > giveUp) return -1;
      std::this_thread::sleep_for(20ms);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  };

  // 1. Waiting: ready, saying so, fed, alive, for 2 s of pings.
  pid_t pid = startService(dir);
  ASSERT_GT(pid, 0);
  std::vector<Message> messages;
  const auto waitFor = [&](const std::string& prefix, std::size_t count) {
    return ::waitFor(listener, messages, prefix, count);
  };
  ASSERT_TRUE(waitFor("READY=1", 1)) << readFile(dir / "stderr.txt");
  ASSERT_TRUE(waitFor("STATUS=waiting for camera " + missing.string(), 1)) << readFile(dir / "stderr.txt");
  const std::size_t pingsBefore = countOf(messages, "WATCHDOG=1");
  listener.collect(Clock::now() + 2s, messages);
  EXPECT_GE(countOf(messages, "WATCHDOG=1"), pingsBefore + 4) << "the wait must keep the watchdog fed";
  EXPECT_EQ(::kill(pid, 0), 0) << "the service must wait, not exit: " << readFile(dir / "stderr.txt");
  EXPECT_FALSE(fs::exists(dir / "detections.jsonl") && !readFile(dir / "detections.jsonl").empty());
  std::string log = readFile(dir / "stderr.txt");
  EXPECT_NE(log.find("waiting for the camera: camera " + missing.string()), std::string::npos) << log;
  EXPECT_NE(log.find("edgert: waiting for camera " + missing.string()), std::string::npos) << log;

  // 2. A valid reload while waiting: the new config runs.
  writeConfig("synthetic");
  ASSERT_EQ(::kill(pid, SIGHUP), 0);
  ASSERT_TRUE(waitFor("READY=1", 2)) << readFile(dir / "stderr.txt");
  const Clock::time_point giveUp = Clock::now() + 30s;
  while (readFile(dir / "detections.jsonl").find("\"frame\":") == std::string::npos && Clock::now() < giveUp) {
    listener.collect(Clock::now() + 50ms, messages);
  }
  EXPECT_NE(readFile(dir / "detections.jsonl").find("\"frame\":"), std::string::npos) << readFile(dir / "stderr.txt");
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  EXPECT_EQ(exitStatus(pid), 0);

  // 3. SIGTERM while waiting: a clean exit.
  writeConfig(missing.string());
  pid = startService(dir);
  ASSERT_GT(pid, 0);
  messages.clear();
  ASSERT_TRUE(waitFor("STATUS=waiting for camera", 1)) << readFile(dir / "stderr.txt");
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  EXPECT_EQ(exitStatus(pid), 0) << readFile(dir / "stderr.txt");
  fs::remove_all(dir);
}

}  // namespace
