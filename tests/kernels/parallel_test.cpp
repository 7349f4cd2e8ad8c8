// The worker pool (kernels/src/parallel.cpp): every index exactly once, whatever the count
// and thread count; worker indexes in range and never shared by two tasks at a time; the
// workers really take part; each starts with its own share and takes over a held-up one's; per-worker scratch; no allocation per call; idle workers sleep;
// destruction while idle or never used.
#include "edgert/kernels/parallel.hpp"

#include "ref/ref_harness.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <thread>
#include <vector>

namespace edgert::kernels::test {
namespace {

std::unique_ptr<WorkerPool> makePool(int threads, std::size_t scratch = 0) {
  auto pool = WorkerPool::create(threads, scratch);
  EXPECT_TRUE(pool.ok()) << pool.error().message();
  return pool.ok() ? std::move(*pool) : nullptr;
}

TEST(WorkerPool, RejectsThreadCountsOutside1To256) {
  for (int threads : {0, -1, kMaxThreads + 1}) {
    auto pool = WorkerPool::create(threads);
    ASSERT_FALSE(pool.ok()) << threads;
    EXPECT_EQ(pool.error().code(), Errc::kInvalidArgument);
    EXPECT_NE(pool.error().message().find("expected 1..256"), std::string::npos) << pool.error().message();
  }
}

TEST(WorkerPool, CoversEveryIndexExactlyOnce) {
  // More threads than this machine has cores too: correctness must not depend on them.
  for (int threads : {1, 2, 3, 4, 8}) {
    auto pool = makePool(threads);
    ASSERT_NE(pool, nullptr);
    EXPECT_EQ(pool->threads(), threads);
    for (std::int64_t count : {0, 1, 2, 3, 5, 7, 13, 31, 97, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<std::size_t>(count));
      std::atomic<int> badWorker{0};
      auto task = [&](std::int64_t i, int worker) {
        hits[static_cast<std::size_t>(i)].fetch_add(1, std::memory_order_relaxed);
        if (worker < 0 || worker >= threads) badWorker.fetch_add(1);
      };
      pool->parallelFor(count, task);
      for (std::int64_t i = 0; i < count; ++i) {
        ASSERT_EQ(hits[static_cast<std::size_t>(i)].load(), 1)
            << "index " << i << " of " << count << " on " << threads << " threads";
      }
      EXPECT_EQ(badWorker.load(), 0);
    }
  }
}

TEST(WorkerPool, RepeatedCallsSeeEachOthersResults) {
  auto pool = makePool(3);
  ASSERT_NE(pool, nullptr);
  // Each call reads what the previous one wrote (plain, non-atomic memory): the pool must
  // order them, on every thread.
  std::vector<std::int64_t> values(37, 0);
  for (int round = 1; round <= 5000; ++round) {
    auto task = [&](std::int64_t i, int) { values[static_cast<std::size_t>(i)] += i + 1; };
    pool->parallelFor(static_cast<std::int64_t>(values.size()), task);
  }
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ(values[i], 5000 * static_cast<std::int64_t>(i + 1));
}

TEST(WorkerPool, AWorkerRunsOneTaskAtATimeAndAllWorkersTakePart) {
  constexpr int kThreads = 4;
  auto pool = makePool(kThreads);
  ASSERT_NE(pool, nullptr);
  std::atomic<bool> busy[kThreads] = {};
  std::atomic<int> overlaps{0};
  std::atomic<std::uint32_t> seen{0};
  auto task = [&](std::int64_t, int worker) {
    if (busy[worker].exchange(true)) overlaps.fetch_add(1);
    seen.fetch_or(1u << worker);
    // Long enough for every worker to wake and claim a task, even on a loaded machine.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    busy[worker].store(false);
  };
  pool->parallelFor(64, task);
  EXPECT_EQ(overlaps.load(), 0) << "two tasks ran at once under one worker index";
  EXPECT_EQ(seen.load(), (1u << kThreads) - 1) << "not every worker took a task (bitmask of those that did)";
}

// Waits up to 10 s for `flag` to become true (a test must fail, not hang, if it never does).
bool waitFor(const std::atomic<bool>& flag) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!flag.load()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(WorkerPool, EachWorkerStartsAtTheFrontOfItsOwnShare) {
  // Worker w owns [w * count / N, (w + 1) * count / N) and claims it from the front, so
  // that the same worker touches the same part of the data op after op. Each worker's first
  // task holds it until the other has started one: nobody can steal before both have made
  // their first claim, which must then be the front of their own shares (0 and 4 of 8).
  // (Holding only worker 0 let a worker 1 that ran first on a loaded machine finish its
  // share and steal task 0 before worker 0 was scheduled.)
  for (int round = 0; round < 20; ++round) {
    auto pool = makePool(2);
    ASSERT_NE(pool, nullptr);
    std::atomic<std::int64_t> first[2] = {-1, -1};
    std::atomic<bool> started[2] = {false, false};
    std::atomic<bool> timedOut{false};
    auto task = [&](std::int64_t i, int worker) {
      std::int64_t none = -1;
      const bool firstTask = first[worker].compare_exchange_strong(none, i);
      started[worker].store(true);
      if (firstTask && !waitFor(started[1 - worker])) timedOut.store(true);
    };
    pool->parallelFor(8, task);
    ASSERT_FALSE(timedOut.load()) << "a worker took no task in 10 s";
    EXPECT_EQ(first[0].load(), 0) << "round " << round;
    EXPECT_EQ(first[1].load(), 4) << "round " << round;
  }
}

TEST(WorkerPool, TheOthersTakeOverTheShareOfAWorkerThatIsHeldUp) {
  // A descheduled worker (here, the caller stuck in its first task) must not hold up the
  // rest of its share: its task 0 waits until every other task has finished, which only
  // happens if the other workers steal tasks 1..4 of share [0, 5).
  for (int threads : {2, 3, 4}) {
    auto pool = makePool(threads);
    ASSERT_NE(pool, nullptr);
    constexpr std::int64_t kCount = 5 * 4;
    std::atomic<int> finished{0};
    std::atomic<bool> othersDone{false};
    std::atomic<bool> timedOut{false};
    std::atomic<int> stolenFromZero{0};
    auto task = [&](std::int64_t i, int worker) {
      if (i == 0) {
        if (!waitFor(othersDone)) timedOut.store(true);
        return;
      }
      if (i < kCount / threads && worker != 0) stolenFromZero.fetch_add(1);
      if (finished.fetch_add(1) + 1 == kCount - 1) othersDone.store(true);
    };
    pool->parallelFor(kCount, task);
    ASSERT_FALSE(timedOut.load()) << threads << " threads: the held-up worker's share was not taken over";
    EXPECT_EQ(stolenFromZero.load(), kCount / threads - 1) << threads << " threads";
  }
}

TEST(WorkerPool, EachWorkerHasItsOwnAlignedScratch) {
  auto pool = makePool(4, 1000);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->scratchBytes(), 1000u);
  alignas(64) std::byte planned[640];
  const std::span<std::byte> own(planned, sizeof planned);
  EXPECT_EQ(pool->scratch(0, own).data(), planned) << "worker 0 uses the planned region";
  std::vector<std::span<std::byte>> regions;
  for (int w = 0; w < 4; ++w) {
    const std::span<std::byte> s = pool->scratch(w, own);
    EXPECT_EQ(s.size(), own.size());
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(s.data()) % 64, 0u) << "worker " << w;
    for (const std::span<std::byte>& other : regions) {
      EXPECT_TRUE(s.data() + s.size() <= other.data() || other.data() + other.size() <= s.data())
          << "worker " << w << "'s scratch overlaps another's";
    }
    regions.push_back(s);
  }
  // Every byte of the workers' regions, at the largest size, is writable (AddressSanitizer
  // checks the bounds). The span stands for a 1000-byte planned region; only its size is used.
  for (int w = 1; w < 4; ++w) {
    const std::span<std::byte> mine = pool->scratch(w, {planned, 1000});
    ASSERT_EQ(mine.size(), 1000u);
    for (std::byte& b : mine) b = std::byte{0x5a};
  }
  EXPECT_TRUE(pool->scratch(3, {}).empty()) << "an op with no scratch gets none";
}

TEST(WorkerPool, ParallelForAllocatesNothing) {
  auto pool = makePool(3);
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(allocationCounterSeesAProbe());
  std::atomic<std::int64_t> sum{0};
  auto task = [&](std::int64_t i, int) { sum.fetch_add(i, std::memory_order_relaxed); };
  const std::uint64_t before = heapAllocations();
  for (int round = 0; round < 1000; ++round) pool->parallelFor(17, task);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the workers park on the futex
  pool->parallelFor(17, task);                                // and wake from it
  EXPECT_EQ(heapAllocations() - before, 0u);
  EXPECT_EQ(sum.load(), 1001 * (16 * 17 / 2));
}

TEST(WorkerPool, SerialWithoutAPoolOrWithOneThread) {
  std::vector<int> order;
  parallelFor(nullptr, 5, [&](std::int64_t i, int worker) {
    EXPECT_EQ(worker, 0);
    order.push_back(static_cast<int>(i));
  });
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  auto one = makePool(1, 256);
  ASSERT_NE(one, nullptr);
  order.clear();
  parallelFor(one.get(), 3, [&](std::int64_t i, int worker) {
    EXPECT_EQ(worker, 0);
    order.push_back(static_cast<int>(i));
  });
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(taskCount(nullptr, 1'000'000'000, 100), 1);
  EXPECT_EQ(taskCount(one.get(), 1'000'000'000, 100), 1);
}

TEST(WorkerPool, TaskCountGrowsWithWorkUpToAFewPerThread) {
  auto pool = makePool(2);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(taskCount(pool.get(), 100, 1000), 1) << "too small to split";
  EXPECT_EQ(taskCount(pool.get(), 3 * kMinTaskWork, 1000), 3);
  EXPECT_EQ(taskCount(pool.get(), 1'000'000'000, 1000), 2 * kTasksPerThread);
  EXPECT_EQ(taskCount(pool.get(), 1'000'000'000, 5), 5) << "at most maxTasks";
  EXPECT_EQ(taskCount(pool.get(), 1'000'000'000, 0), 1);
  pool->setMinTaskWork(1);
  EXPECT_EQ(taskCount(pool.get(), 7, 1000), 7);
}

double processCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

TEST(WorkerPool, IdleWorkersSleep) {
  // A service between frames: the workers must not spin. Over 200 ms of idling, 3 spinning
  // workers would use about 600 ms of CPU; sleeping ones, next to nothing.
  auto pool = makePool(4);
  ASSERT_NE(pool, nullptr);
  auto task = [](std::int64_t, int) {};
  pool->parallelFor(8, task);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the spin phase
  const double before = processCpuSeconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_LT(processCpuSeconds() - before, 0.05) << "CPU seconds used by an idle pool";
}

TEST(WorkerPool, DestroyedWhileIdleOrNeverUsed) {
  for (int i = 0; i < 20; ++i) {
    auto unused = makePool(3, 128);
    ASSERT_NE(unused, nullptr);
  }
  auto pool = makePool(4);
  ASSERT_NE(pool, nullptr);
  std::atomic<int> n{0};
  auto task = [&](std::int64_t, int) { n.fetch_add(1); };
  pool->parallelFor(10, task);
  std::this_thread::sleep_for(std::chrono::milliseconds(10));  // asleep on the futex
  pool.reset();                                                // wakes and joins them
  EXPECT_EQ(n.load(), 10);
}

}  // namespace
}  // namespace edgert::kernels::test
