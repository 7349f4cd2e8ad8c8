// The worker pool's cost per job (kernels/src/parallel.cpp): parallelFor of N tasks on a
// pool of T threads, the tasks doing nothing (the handing-out and the waiting alone) or a
// fixed amount of arithmetic each, against the same tasks run in a loop on the caller.
// Also a pair of jobs that exchange data: each task rewrites its own slice of a buffer
// that the next job reads, so with fixed shares a worker reads what it wrote; the "swap"
// variant has every task read the slice the other worker wrote (the cross-core case).
//
//   build/host/bench/parallel_bench
#include "edgert/kernels/parallel.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace edgert::kernels {
namespace {

// About `n` dependent multiply-adds, opaque to the optimizer.
float spin(std::int64_t n, float x) {
  for (std::int64_t i = 0; i < n; ++i) x = x * 0.999f + 0.001f;
  return x;
}

void poolJob(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const std::int64_t tasks = state.range(1);
  const std::int64_t work = state.range(2);
  auto pool = WorkerPool::create(threads);
  if (!pool) {
    state.SkipWithError(pool.error().message().c_str());
    return;
  }
  std::vector<float> sink(static_cast<std::size_t>(tasks) * 16, 1.0f);
  auto task = [&](std::int64_t i, int) { sink[static_cast<std::size_t>(i) * 16] = spin(work, sink[static_cast<std::size_t>(i) * 16]); };
  for (auto _ : state) (*pool)->parallelFor(tasks, task);
  benchmark::DoNotOptimize(sink.data());
}

void serialJob(benchmark::State& state) {
  const std::int64_t tasks = state.range(1);
  const std::int64_t work = state.range(2);
  std::vector<float> sink(static_cast<std::size_t>(tasks) * 16, 1.0f);
  for (auto _ : state) {
    for (std::int64_t i = 0; i < tasks; ++i) sink[static_cast<std::size_t>(i) * 16] = spin(work, sink[static_cast<std::size_t>(i) * 16]);
  }
  benchmark::DoNotOptimize(sink.data());
}

// Two threads, 8 tasks, each streaming over 1/8 of a 1 MiB buffer; `swap`: task i works on
// slice 7 - i, so each worker's slices are the ones the other wrote in the previous job.
void sliceJobs(benchmark::State& state) {
  const bool swap = state.range(0) != 0;
  auto pool = WorkerPool::create(2);
  if (!pool) {
    state.SkipWithError(pool.error().message().c_str());
    return;
  }
  constexpr std::int64_t kTasks = 8;
  std::vector<float> data(1 << 18, 1.0f);
  const std::int64_t slice = static_cast<std::int64_t>(data.size()) / kTasks;
  bool odd = false;
  auto task = [&](std::int64_t i, int) {
    const std::int64_t s = swap && odd ? kTasks - 1 - i : i;
    float* p = data.data() + s * slice;
    for (std::int64_t k = 0; k < slice; ++k) p[k] = p[k] * 0.5f + 1.0f;
  };
  for (auto _ : state) {
    (*pool)->parallelFor(kTasks, task);
    odd = !odd;
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(data.size() * sizeof(float)) * 2);
}

// {threads, tasks, multiply-adds per task}
BENCHMARK(poolJob)->Args({2, 8, 0})->Args({2, 2, 0})->Args({2, 8, 1000})->Args({2, 8, 10000})->Args({4, 8, 0})->UseRealTime();
BENCHMARK(serialJob)->Args({1, 8, 0})->Args({1, 8, 1000})->Args({1, 8, 10000});
BENCHMARK(sliceJobs)->Arg(0)->Arg(1)->UseRealTime();

}  // namespace
}  // namespace edgert::kernels
