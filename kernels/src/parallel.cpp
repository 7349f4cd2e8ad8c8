#include "edgert/kernels/parallel.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sys/prctl.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace edgert::kernels {
namespace {

// How long a waiting thread polls before it sleeps on the futex. Long enough to span the
// gap between two ops of one inference (a serial reference op, the caller's own last
// task), short enough that an idle pool costs nothing measurable.
constexpr std::chrono::microseconds kSpin{50};

inline void cpuRelax() {
#if defined(__x86_64__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Waits until `value` differs from `old` and returns the new value: polls for kSpin, then
// sleeps (std::atomic::wait: a futex on Linux, no allocation).
std::uint32_t awaitChange(const std::atomic<std::uint32_t>& value, std::uint32_t old) {
  const auto start = std::chrono::steady_clock::now();
  for (unsigned i = 1;; ++i) {
    const std::uint32_t now = value.load(std::memory_order_acquire);
    if (now != old) return now;
    cpuRelax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() - start > kSpin) break;
  }
  for (;;) {
    value.wait(old, std::memory_order_acquire);
    const std::uint32_t now = value.load(std::memory_order_acquire);
    if (now != old) return now;
  }
}

// Waits until `value` is zero (polls, then sleeps like awaitChange).
void awaitZero(const std::atomic<std::uint32_t>& value) {
  std::uint32_t now = value.load(std::memory_order_acquire);
  while (now != 0) now = awaitChange(value, now);
}

struct StartArgs {
  WorkerPool* pool;
  int worker;
};

}  // namespace

Result<std::unique_ptr<WorkerPool>> WorkerPool::create(int threads, std::size_t scratchBytes) {
  if (threads < 1 || threads > kMaxThreads) {
    return makeError(Errc::kInvalidArgument, "worker pool: {} threads requested, expected 1..{}", threads,
                     kMaxThreads);
  }
  std::unique_ptr<WorkerPool> pool(new WorkerPool());
  pool->threads_ = threads;
  pool->scratchBytes_ = scratchBytes;
  pool->scratchStride_ = (scratchBytes + 63) / 64 * 64;
  const int workers = threads - 1;
  if (workers == 0) return pool;

  if (pool->scratchStride_ > 0) {
    const std::size_t total = pool->scratchStride_ * static_cast<std::size_t>(workers);
    pool->scratch_ = static_cast<std::byte*>(std::aligned_alloc(64, total));
    if (pool->scratch_ == nullptr) {
      return makeError(Errc::kNoMemory, "worker pool: cannot allocate {} bytes of scratch for {} workers",
                       total, workers);
    }
    std::memset(pool->scratch_, 0, total);  // touch it now, not in the first inference
  }
  pool->handles_ = std::make_unique<pthread_t[]>(static_cast<std::size_t>(workers));
  pool->slots_ = std::make_unique<Slot[]>(static_cast<std::size_t>(threads));
  auto starts = std::make_unique<StartArgs[]>(static_cast<std::size_t>(workers));

  // The workers inherit a mask with every signal blocked: SIGTERM, SIGHUP and the like
  // stay with the threads that handle them.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pool->starting_.store(static_cast<std::uint32_t>(workers), std::memory_order_relaxed);
  int err = 0;
  for (int w = 1; w <= workers; ++w) {
    starts[w - 1] = StartArgs{pool.get(), w};
    err = pthread_create(&pool->handles_[w - 1], nullptr, &WorkerPool::threadMain, &starts[w - 1]);
    if (err != 0) break;
    ++pool->started_;
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (err != 0) {
    // Wait until those started have copied their StartArgs (the count, less the threads
    // never created, reaches zero); the destructor then stops and joins them.
    pool->starting_.fetch_sub(static_cast<std::uint32_t>(workers - pool->started_), std::memory_order_release);
    pool->starting_.notify_all();
    awaitZero(pool->starting_);
    return Error::fromErrno(err, fmt::format("worker pool: starting worker thread {} of {}", pool->started_ + 1,
                                             workers));
  }
  // Every worker has read its StartArgs and named itself once this returns: nothing they
  // do at start-up can land in the first inference.
  awaitZero(pool->starting_);
  return pool;
}

WorkerPool::~WorkerPool() {
  if (started_ > 0) {
    stopping_.store(true, std::memory_order_relaxed);
    for (int w = 1; w <= started_; ++w) {
      slots_[w].epoch.fetch_add(1, std::memory_order_release);
      slots_[w].epoch.notify_all();
    }
    for (int w = 0; w < started_; ++w) pthread_join(handles_[w], nullptr);
  }
  std::free(scratch_);
}

void* WorkerPool::threadMain(void* arg) {
  const StartArgs start = *static_cast<StartArgs*>(arg);
  WorkerPool& pool = *start.pool;
  // A name for top, perf and core dumps ("edgert-work-3"); prctl names the calling thread.
  char name[16];
  fmt::format_to_n(name, sizeof name - 1, "edgert-work-{}", start.worker).out[0] = '\0';
  prctl(PR_SET_NAME, name, 0, 0, 0);
  if (pool.starting_.fetch_sub(1, std::memory_order_acq_rel) == 1) pool.starting_.notify_all();
  pool.workerLoop(start.worker);
  return nullptr;
}

void WorkerPool::workerLoop(int worker) {
  std::uint32_t seen = 0;  // the slot's epoch starts at 0 and changes only after start-up
  for (;;) {
    seen = awaitChange(slots_[worker].epoch, seen);
    if (stopping_.load(std::memory_order_relaxed)) return;
    runTasks(worker);
  }
}

bool WorkerPool::claim(int worker, int from, std::int64_t& index) {
  std::atomic<std::uint64_t>& share = slots_[from].share;
  std::uint64_t c = share.load(std::memory_order_acquire);
  for (;;) {
    const std::uint64_t end = c >> 32;
    const std::uint64_t next = c & 0xffffffffu;
    if (next >= end) return false;  // this share is done (or being finished by others)
    const bool own = from == worker;
    const std::uint64_t taken = own ? c + 1 : c - (std::uint64_t{1} << 32);
    if (share.compare_exchange_weak(c, taken, std::memory_order_acq_rel, std::memory_order_acquire)) {
      index = static_cast<std::int64_t>(own ? next : end - 1);
      return true;
    }
  }
}

void WorkerPool::runTasks(int worker) {
  for (int k = 0; k < threads_; ++k) {
    // Its own share first, from the front; then the others', from the back, next worker
    // first.
    const int from = (worker + k) % threads_;
    const Slot& slot = slots_[from];
    std::int64_t index = 0;
    while (claim(worker, from, index)) {
      slot.fn.load(std::memory_order_relaxed)(slot.context.load(std::memory_order_relaxed), index, worker);
      // The caller waits for the count of finished tasks; the one finishing the last wakes
      // it if it went to sleep.
      if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == slot.count.load(std::memory_order_relaxed)) {
        done_.notify_one();
      }
    }
  }
}

void WorkerPool::runJob(std::int64_t count, TaskFn fn, void* context) {
  // The previous job is over (every task finished): no worker reads a slot's fn or context.
  done_.store(0, std::memory_order_relaxed);
  for (int w = 0; w < threads_; ++w) {
    Slot& slot = slots_[w];
    slot.fn.store(fn, std::memory_order_relaxed);
    slot.context.store(context, std::memory_order_relaxed);
    slot.count.store(static_cast<std::uint32_t>(count), std::memory_order_relaxed);
    const auto begin = static_cast<std::uint64_t>(count * w / threads_);
    const auto end = static_cast<std::uint64_t>(count * (w + 1) / threads_);
    // Publishes the share (release: a worker claiming from it sees the stores above and
    // done_'s reset).
    slot.share.store(end << 32 | begin, std::memory_order_release);
    if (w > 0) {
      slot.epoch.fetch_add(1, std::memory_order_release);
      slot.epoch.notify_all();  // a system call only when the worker sleeps
    }
  }
  runTasks(0);
  // Wait for the tasks the workers hold (acquire: their writes are visible from here).
  const auto target = static_cast<std::uint32_t>(count);
  std::uint32_t now = done_.load(std::memory_order_acquire);
  while (now != target) now = awaitChange(done_, now);
}

void WorkerPool::parallelFor(std::int64_t count, TaskFn fn, void* context) {
  if (count <= 0) return;
  if (threads_ == 1 || count == 1) {
    for (std::int64_t i = 0; i < count; ++i) fn(context, i, 0);
    return;
  }
  // The claim word holds 32-bit counts: a (never seen) larger job runs as several.
  constexpr std::int64_t kMaxJob = 0x7fffffff;
  struct Offset {
    TaskFn fn;
    void* context;
    std::int64_t first;
  };
  if (count > kMaxJob) {
    for (std::int64_t first = 0; first < count; first += kMaxJob) {
      Offset o{fn, context, first};
      runJob(std::min(kMaxJob, count - first),
             [](void* c, std::int64_t i, int w) {
               const auto& off = *static_cast<Offset*>(c);
               off.fn(off.context, off.first + i, w);
             },
             &o);
    }
    return;
  }
  runJob(count, fn, context);
}

std::span<std::byte> WorkerPool::scratch(int worker, std::span<std::byte> planned) const {
  if (worker == 0 || planned.empty()) return planned;
  return {scratch_ + static_cast<std::size_t>(worker - 1) * scratchStride_, planned.size()};
}

std::int64_t taskCount(const WorkerPool* pool, std::int64_t work, std::int64_t maxTasks) {
  const int threads = threadsOf(pool);
  if (threads == 1 || maxTasks <= 1) return 1;
  const std::int64_t bySize = work / pool->minTaskWork();
  return std::max<std::int64_t>(1, std::min({bySize, maxTasks, threads * kTasksPerThread}));
}

}  // namespace edgert::kernels
