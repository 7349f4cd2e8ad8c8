#include "commands.hpp"

#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/model.hpp"

#include <algorithm>
#include <numeric>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace edgert::cli {
namespace {

std::int64_t nowNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Deterministic, non-trivial input: the same bytes every run.
void fillInputs(Engine& engine) {
  for (const Engine::Binding& in : engine.inputs()) {
    if (in.type.dtype != kernels::DType::kFloat32) {
      std::memset(in.data, 0, in.type.bytes());
      continue;
    }
    float* f = reinterpret_cast<float*>(in.data);
    for (std::int64_t i = 0; i < in.type.shape.numel(); ++i) f[i] = static_cast<float>((i * 2654435761u) % 1000) / 500.0f - 1.0f;
  }
}

struct Cold {
  double ms = 0;          // exec of a fresh process to its first inference completed
  long peakRssKib = 0;    // that process's peak resident set
};

// Starts `edgert bench-cold MODEL THREADS` as a new process and measures from just before the
// spawn to the moment the child reports its first inference done (over a pipe: the 8-byte
// monotonic time, or, when it could not get there, the text of its error).
Result<Cold> measureColdStart(const std::string& self, const std::string& modelPath, int threads) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error::fromErrno(errno, "pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 3);
  std::string model = modelPath;
  std::string cmd = "bench-cold";
  std::string prog = self;
  std::string threadsText = std::to_string(threads);
  char* argv[] = {prog.data(), cmd.data(), model.data(), threadsText.data(), nullptr};
  pid_t pid = 0;
  const std::int64_t t0 = nowNs();
  const int rc = ::posix_spawn(&pid, self.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return Error::fromErrno(rc, "spawn " + self);
  }
  char report[512];
  std::size_t got = 0;
  for (ssize_t n; got < sizeof report && (n = ::read(fds[0], report + got, sizeof report - got)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fds[0]);
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && got == sizeof(std::int64_t)) {
    std::int64_t done = 0;
    std::memcpy(&done, report, sizeof done);
    return Cold{static_cast<double>(done - t0) / 1e6, usage.ru_maxrss};
  }
  const std::string how = WIFEXITED(status)   ? fmt::format("exit status {}", WEXITSTATUS(status))
                          : WIFSIGNALED(status) ? fmt::format("killed by signal {}", WTERMSIG(status))
                                                : fmt::format("wait status {}", status);
  if (got > 0 && !WIFSIGNALED(status)) return makeError(Errc::kInternal, "{} ({})", std::string(report, got), how);
  return makeError(Errc::kInternal, "the cold-start process ended before its first inference ({})", how);
}

// Mean time per op over `iters` profiled runs: the ops by time, then the totals by op and
// variant. JSON: one object per line after the summary line.
void printProfile(Io io, const Model& model, std::span<const std::uint64_t> opNanos, int iters, bool json) {
  const double total = static_cast<double>(std::accumulate(opNanos.begin(), opNanos.end(), std::uint64_t{0}));
  auto us = [iters](std::uint64_t ns) { return static_cast<double>(ns) / 1e3 / iters; };
  std::vector<std::size_t> order(opNanos.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return opNanos[a] > opNanos[b]; });
  struct Group {
    std::string name;
    std::uint64_t ns = 0;
    int count = 0;
  };
  std::vector<Group> groups;
  for (std::size_t k = 0; k < opNanos.size(); ++k) {
    const model::OpRecord& op = model.ops()[k];
    const auto code = static_cast<kernels::OpCode>(op.opcode);
    const std::string key = fmt::format("{} {}", kernels::findOp(code)->name, model.variant(k).name);
    auto g = std::find_if(groups.begin(), groups.end(), [&](const Group& x) { return x.name == key; });
    if (g == groups.end()) g = groups.insert(groups.end(), Group{key});
    g->ns += opNanos[k];
    ++g->count;
  }
  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) { return a.ns > b.ns; });
  if (json) {
    print(io.out, ", \"profile\": [");
    for (std::size_t i = 0; i < groups.size(); ++i) {
      print(io.out, "{}{{\"op\": \"{}\", \"count\": {}, \"us\": {:.2f}, \"share\": {:.4f}}}", i ? ", " : "",
            groups[i].name, groups[i].count, us(groups[i].ns), static_cast<double>(groups[i].ns) / total);
    }
    print(io.out, "]");
    return;
  }
  print(io.out, "\nprofile: mean per op over {} runs (total {:.3f} ms), by op and variant:\n", iters, total / 1e6 / iters);
  for (const Group& g : groups) {
    print(io.out, "  {:>9.1f} us {:>5.1f}%  {:>4}x {}\n", us(g.ns), 100.0 * static_cast<double>(g.ns) / total, g.count, g.name);
  }
  print(io.out, "the 25 slowest ops:\n");
  for (std::size_t i = 0; i < std::min<std::size_t>(25, order.size()); ++i) {
    const std::size_t k = order[i];
    const model::OpRecord& op = model.ops()[k];
    const auto code = static_cast<kernels::OpCode>(op.opcode);
    const kernels::TensorType out = model.tensorType(model.opOutputs(op)[0]);
    std::string dims;
    for (int d = 0; d < out.shape.rank; ++d) dims += fmt::format("{}{}", d ? "x" : "", out.shape.dims[d]);
    print(io.out, "  {:>9.1f} us {:>5.1f}%  #{:<4} {:<18} {:<14} {:<16} {}\n", us(opNanos[k]),
          100.0 * static_cast<double>(opNanos[k]) / total, k, kernels::findOp(code)->name,
          model.variant(k).name, dims, model.string(op.name));
  }
}

// The model's multiply-adds per inference (kernels::multiplyAdds over its ops).
std::uint64_t modelMultiplyAdds(const Model& model) {
  std::uint64_t total = 0;
  std::vector<kernels::TensorType> inputs, outputs;
  for (const model::OpRecord& op : model.ops()) {
    inputs.clear();
    outputs.clear();
    for (std::uint32_t t : model.opInputs(op)) {
      kernels::TensorType absent;
      absent.shape.rank = kernels::kAbsentRank;
      inputs.push_back(t == model::kNoTensor ? absent : model.tensorType(t));
    }
    for (std::uint32_t t : model.opOutputs(op)) outputs.push_back(model.tensorType(t));
    const std::uint64_t n =
        kernels::multiplyAdds(static_cast<kernels::OpCode>(op.opcode), model.params(op), inputs, outputs);
    total = n > UINT64_MAX - total ? UINT64_MAX : total + n;
  }
  return total;
}

}  // namespace

// Internal: the child of measureColdStart. Maps and validates the model, creates the
// engine (and its worker threads), runs it once, writes the monotonic time to fd 3.
int runBenchCold(Args args, Io io) {
  if (args.argc != 3) return kExitUsage;
  // What went wrong goes to the parent over the same pipe, which names it.
  const auto report = [](const Error& e, int code) {
    const std::string text(e.message());
    if (::write(3, text.data(), std::min<std::size_t>(text.size(), 500)) < 0) return code;
    return code;
  };
  Result<Model> model = Model::open(args.argv[1]);
  if (!model) return report(model.error(), kExitDataInvalid);
  auto engine = Engine::create(*model, {}, Engine::Options{std::atoi(args.argv[2])});
  if (!engine) return report(engine.error(), kExitFailure);
  fillInputs(**engine);
  (*engine)->invoke();
  const std::int64_t t = nowNs();
  (void)io;
  return ::write(3, &t, sizeof t) == sizeof t ? kExitOk : kExitFailure;
}

int runBench(Args args, Io io) {
  std::optional<std::string> threadsText, itersText, warmupText, json, profile;
  std::vector<std::string> positionals;
  if (int rc = parseOptions(args, io,
                            {{"threads", true, &threadsText},
                             {"iters", true, &itersText},
                             {"warmup", true, &warmupText},
                             {"json", false, &json},
                             {"profile", false, &profile}},
                            positionals);
      rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  auto number = [&](const std::optional<std::string>& t, int fallback, int lo, int hi, const char* what) -> int {
    if (!t) return fallback;
    char* end = nullptr;
    const long v = std::strtol(t->c_str(), &end, 10);
    if (end == t->c_str() || *end != '\0' || v < lo || v > hi) {
      print(io.err, "edgert bench: --{} {}: expected a number in {}..{}\n", what, *t, lo, hi);
      return -1;
    }
    return static_cast<int>(v);
  };
  const int threads = number(threadsText, 1, 1, kernels::kMaxThreads, "threads");
  const int iters = number(itersText, 100, 1, 1'000'000, "iters");
  const int warmup = number(warmupText, 10, 0, 1'000'000, "warmup");
  if (threads < 0 || iters < 0 || warmup < 0) return kExitUsage;
  if (positionals.size() != 1) {
    print(io.err, "edgert bench: expected one MODEL.edgm\n");
    return kExitUsage;
  }
  const std::string& path = positionals[0];

  // Cold start first, in a fresh process, before this one warms any cache.
  char self[4096];
  const ssize_t len = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) {
    print(io.err, "edgert bench: cannot find its own executable: {}\n", std::strerror(errno));
    return kExitFailure;
  }
  self[len] = '\0';
  Result<Cold> cold = measureColdStart(self, path, threads);

  Result<Model> model = Model::open(path);
  if (!model) {
    print(io.err, "edgert bench: {}\n", model.error().message());
    return kExitDataInvalid;
  }
  if (!cold) {
    print(io.err, "edgert bench: cold start: {}\n", cold.error().message());
    return kExitFailure;
  }
  auto engine = Engine::create(*model, {}, Engine::Options{threads});
  if (!engine) {
    print(io.err, "edgert bench: {}\n", engine.error().message());
    return kExitFailure;
  }
  fillInputs(**engine);
  for (int i = 0; i < warmup; ++i) (*engine)->invoke();
  std::vector<double> ms(static_cast<std::size_t>(iters));
  for (double& m : ms) {
    const std::int64_t t = nowNs();
    (*engine)->invoke();
    m = static_cast<double>(nowNs() - t) / 1e6;
  }
  // The profile runs after the timed runs, so that reading the clock per op does not
  // perturb them.
  std::vector<std::uint64_t> opNanos;
  if (profile) {
    opNanos.assign(model->ops().size(), 0);
    for (int i = 0; i < iters; ++i) (*engine)->invoke(opNanos);
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&ms](double p) {
    const auto i = static_cast<std::size_t>(p * static_cast<double>(ms.size() - 1) + 0.5);
    return ms[std::min(i, ms.size() - 1)];
  };
  const double p50 = pct(0.50), p99 = pct(0.99);
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const std::uint64_t arena = model->header().arenaBytes;
  const double flops = 2.0 * static_cast<double>(modelMultiplyAdds(*model));
  if (json) {
    print(io.out,
          "{{\"model\": \"{}\", \"threads\": {}, \"iters\": {}, \"min_ms\": {:.4f}, \"p50_ms\": {:.4f}, "
          "\"p99_ms\": {:.4f}, \"cold_start_ms\": {:.3f}, \"cold_peak_rss_kib\": {}, \"peak_rss_kib\": {}, "
          "\"arena_bytes\": {}, \"state_bytes\": {}, \"flops\": {:.0f}, \"gflops_p50\": {:.2f}",
          path, threads, iters, ms.front(), p50, p99, cold->ms, cold->peakRssKib, usage.ru_maxrss, arena,
          (*engine)->stateBytes(), flops,
          flops / p50 / 1e6);
    if (profile) printProfile(io, *model, opNanos, iters, true);
    print(io.out, "}}\n");
  } else {
    print(io.out, "model: {}\nthreads: {}, iterations: {} (after {} warm-up)\n", path, threads, iters, warmup);
    print(io.out, "latency: min {:.3f} ms, p50 {:.3f} ms, p99 {:.3f} ms (p99/p50 {:.2f})\n", ms.front(), p50, p99,
          p99 / p50);
    print(io.out, "cold start: {:.2f} ms (a new process: exec, map and validate, first inference)\n", cold->ms);
    print(io.out, "peak RSS: {} KiB (cold-start process), {} KiB (this process)\n", cold->peakRssKib,
          usage.ru_maxrss);
    print(io.out, "arena: {} bytes; kernels' prepared state (pre-packed weights): {} bytes\n", arena,
          (*engine)->stateBytes());
    print(io.out, "work: {:.1f} MFLOP per inference (Conv, ConvTranspose, Gemm, MatMul, DepthwisePointwise), {:.1f} GFLOP/s at p50\n",
          flops / 1e6, flops / p50 / 1e6);
    print(io.out, "{}\n", describeKernelChoice(*model));
    if (profile) printProfile(io, *model, opNanos, iters, false);
  }
  return kExitOk;
}

}  // namespace edgert::cli
