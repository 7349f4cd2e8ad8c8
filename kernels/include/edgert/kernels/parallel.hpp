// The worker pool the CPU kernels split their work over: created once at start-up (the
// engine makes one per model; its size comes from the board or the command line), then
// reused for every op of every inference with no allocation.
//
// parallelFor(count, fn) runs fn(index, worker) once for every index in [0, count): the
// calling thread is worker 0 and takes tasks too, the pool's threads are workers 1..N-1.
// Worker w owns a contiguous share of the indices, [w * count / N, (w + 1) * count / N),
// and claims them in order from the front; a worker whose share is done steals from the
// back of the others', so uneven tasks balance out. Owning the same share in every job
// keeps data in one core's cache from op to op: a kernel that maps the first indices to
// the first pixels has worker 0 read, in the next op, mostly what it wrote itself. (On the
// 2-vCPU machines here a line written by the other core reads at a third of the speed of
// one's own.) It returns when every task has finished, and everything the tasks wrote is
// then visible to the caller. It waits for tasks, never for threads: a worker the OS has
// not scheduled yet simply takes no task, its share being stolen, so an oversubscribed
// machine slows a job down by at most the task a descheduled worker holds. A task may use
// worker-private scratch: scratch(worker, planned).
//
// Between jobs the workers spin briefly (the ops of one inference follow each other within
// microseconds) and then sleep on a futex, so an idle pool burns no CPU.
//
// One thread drives a pool: parallelFor is not reentrant (a task must not call it) and
// must not be called from two threads at once.
#pragma once

#include "edgert/base/result.hpp"
#include "edgert/kernels/registry.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <pthread.h>
#include <span>

namespace edgert::kernels {

inline constexpr int kMaxThreads = 256;

// The least work (multiply-adds) worth a task of its own: 0.3-2 us of a fast kernel on
// one core, about what handing a task to another core costs. Measured on BlazeFace with 2
// threads: 32 Ki was the fastest of 32 Ki to 2 Mi (back: 3.5 ms against 3.7-4.5).
inline constexpr std::int64_t kMinTaskWork = 32 * 1024;
inline constexpr std::int64_t kTasksPerThread = 4;

class WorkerPool {
 public:
  // index in [0, count); worker in [0, threads()), 0 being the thread that called parallelFor.
  using TaskFn = void (*)(void* context, std::int64_t index, int worker);

  // Starts threads - 1 worker threads (threads in 1..kMaxThreads; 1: no thread, every task
  // runs on the caller) and reserves, for each of them, scratchBytes of 64-byte aligned
  // scratch. Returns once every worker is running, with all signals blocked in them (the
  // process's signal handling stays on the threads that set it up).
  static Result<std::unique_ptr<WorkerPool>> create(int threads, std::size_t scratchBytes = 0);

  // Stops and joins the workers. No parallelFor may be running.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int threads() const { return threads_; }
  std::size_t scratchBytes() const { return scratchBytes_; }

  // The least work (taskCount's units) worth a task of its own: kMinTaskWork by default.
  // Tests set 1 to make every kernel split as finely as it can.
  std::int64_t minTaskWork() const { return minTaskWork_; }
  void setMinTaskWork(std::int64_t work) { minTaskWork_ = work < 1 ? 1 : work; }

  // Runs fn(context, index, worker) for every index in [0, count) and waits for all of
  // them. Allocates nothing.
  void parallelFor(std::int64_t count, TaskFn fn, void* context);

  // The same for any callable f(index, worker), taken by reference (no copy, no allocation).
  template <typename F>
  void parallelFor(std::int64_t count, F& f) {
    parallelFor(count, [](void* c, std::int64_t i, int w) { (*static_cast<F*>(c))(i, w); }, &f);
  }

  // Worker `worker`'s copy of a kernel's scratch, whose planned region is `planned`: worker
  // 0 uses the planned region itself, the others a region of the pool of the same size
  // (planned.size() must not exceed scratchBytes()).
  std::span<std::byte> scratch(int worker, std::span<std::byte> planned) const;

 private:
  WorkerPool() = default;
  static void* threadMain(void* self);
  void workerLoop(int worker);
  void runTasks(int worker);
  void runJob(std::int64_t count, TaskFn fn, void* context);

  int threads_ = 1;
  int started_ = 0;  // worker threads created (joined in the destructor)
  std::size_t scratchBytes_ = 0;
  std::int64_t minTaskWork_ = kMinTaskWork;
  std::size_t scratchStride_ = 0;   // bytes between two workers' regions: a multiple of 64
  std::byte* scratch_ = nullptr;    // (threads - 1) regions; worker w >= 1 at (w - 1) * stride
  std::unique_ptr<pthread_t[]> handles_;

  // Worker w's view of the current job, on its own cache line, so that learning of a job
  // takes the worker one line from the caller (a cross-core transfer costs ~0.25 us on the
  // machines here): the caller writes fn, context and count, then the share (release),
  // then bumps epoch, which the worker polls. The share is end << 32 | next: the owner
  // claims `next` (and increments it), a thief claims end - 1 (and decrements end), both
  // by compare-exchange on the whole word; empty once next >= end. Whoever claims a task
  // from a slot calls that slot's fn and context: they were written before the share it
  // claimed from, and the caller cannot start another job while the task is held.
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> share{0};
    std::atomic<TaskFn> fn{nullptr};
    std::atomic<void*> context{nullptr};
    std::atomic<std::uint32_t> count{0};  // tasks in the whole job
    std::atomic<std::uint32_t> epoch{0};  // bumped once per job (and to stop)
  };
  // Claims a task from slot `from`'s share for `worker`: true and the index if one was left.
  bool claim(int worker, int from, std::int64_t& index);
  std::unique_ptr<Slot[]> slots_;  // one per worker, the caller's (0) included
  std::atomic<bool> stopping_{false};

  alignas(64) std::atomic<std::uint32_t> done_{0};      // tasks of the current job finished
  alignas(64) std::atomic<std::uint32_t> starting_{0};  // workers not yet in their loop
};

// The pool a kernel runs on, from KernelArgs: nullptr means serially on the caller.
inline int threadsOf(const WorkerPool* pool) { return pool ? pool->threads() : 1; }

// Runs f(index, worker) for index in [0, count): on `pool`, or on the caller alone (worker
// 0) when it is nullptr or has one thread.
template <typename F>
void parallelFor(WorkerPool* pool, std::int64_t count, F&& f) {
  if (pool == nullptr || pool->threads() == 1 || count <= 1) {
    for (std::int64_t i = 0; i < count; ++i) f(i, 0);
    return;
  }
  pool->parallelFor(count, f);
}

// Worker `worker`'s scratch for this kernel call (the planned region without a pool).
inline std::span<std::byte> workerScratch(const KernelArgs& args, int worker) {
  return args.pool ? args.pool->scratch(worker, args.scratch) : args.scratch;
}

// How many tasks to cut a kernel's work into: `work` in multiply-adds (or comparable
// units), split into at most maxTasks pieces. One without a pool or when the work is too
// small to pay for waking the workers; otherwise a few tasks per thread (claimed
// dynamically, so a worker the OS delays does not hold up the others), none smaller than
// the pool's minTaskWork().
std::int64_t taskCount(const WorkerPool* pool, std::int64_t work, std::int64_t maxTasks);

}  // namespace edgert::kernels
