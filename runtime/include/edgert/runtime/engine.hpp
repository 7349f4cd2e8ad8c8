// Runs a validated Model. Everything is prepared once in create(): the arena (the
// caller's, or allocated here once), for every op its kernel, parameters, tensor views and
// prepared state (pre-packed weights), and the worker pool with each worker's scratch. invoke() then only calls kernels:
// no allocation, no validation, no failure.
#pragma once

#include "edgert/base/result.hpp"
#include "edgert/kernels/parallel.hpp"
#include "edgert/kernels/registry.hpp"
#include "edgert/runtime/model.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edgert {

class EngineSet;

class Engine {
 public:
  struct Binding {
    std::string_view name;
    kernels::TensorType type;
    std::byte* data;  // inputs: write here before invoke(); outputs: read after it
  };

  struct Options {
    // Threads invoke() runs the kernels on, the caller's included (1..kernels::kMaxThreads):
    // threads - 1 workers are started in create() and live as long as the engine. Usually
    // the board's cpu.inference_threads. 1: everything on the calling thread, no pool.
    int threads = 1;
    // false: create() only sizes the workers' scratch; startWorkers() starts them (and
    // allocates that scratch). Until then invoke() runs on the calling thread alone, with
    // the same results. The service starts them once its memory budget check has passed.
    bool startWorkers = true;
  };

  // `arena`: at least model.header().arenaBytes bytes, 64-byte aligned, owned by the caller
  // and outliving the engine; empty: the engine maps it once, here, with every page faulted
  // in (arenas of 1 MiB or more on 2 MiB boundaries, advised as huge pages). The model must
  // outlive the engine. With options.threads > 1 it also allocates, once, a copy of the
  // largest op's scratch for each worker thread (workerScratchBytes()).
  static Result<std::unique_ptr<Engine>> create(const Model& model, std::span<std::byte> arena = {});
  static Result<std::unique_ptr<Engine>> create(const Model& model, std::span<std::byte> arena,
                                                const Options& options);

  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  std::span<const Binding> inputs() const { return inputs_; }
  std::span<const Binding> outputs() const { return outputs_; }
  const Binding* findInput(std::string_view name) const;
  const Binding* findOutput(std::string_view name) const;

  // Runs every op once, in order, each split over the engine's threads. Performs no heap
  // allocation. Call it from one thread at a time.
  void invoke();
  // invoke(), also adding each op's wall time in nanoseconds to opNanos[k] (k: the op's
  // index in the model; opNanos.size() must be model.ops().size()). For profiling: it reads
  // the monotonic clock twice per op and allocates nothing.
  void invoke(std::span<std::uint64_t> opNanos);

  std::size_t arenaBytes() const { return arena_.size(); }
  // The model's source (its file), for messages.
  const std::string& sourceName() const { return sourceName_; }
  std::span<const std::byte> arena() const { return arena_; }
  // The threads invoke() runs on once the workers are started.
  int threads() const { return threads_; }
  // Bytes beside the arena for the worker threads' scratch (0 with one thread), allocated
  // when the workers start.
  std::size_t workerScratchBytes() const { return workerScratch_ * static_cast<std::size_t>(threads_ - 1); }
  // Starts the threads - 1 workers of Options::startWorkers = false; nothing when they run.
  Result<void> startWorkers();
  // Bytes beside the arena for the state the kernels prepared in create() (pre-packed
  // weights: the kernel life cycle, kernels/registry.hpp); 0 when none asked for any.
  std::size_t stateBytes() const { return stateBytes_; }
  // What create() would map for it, from the image alone: for a memory budget check before
  // anything is allocated (UINT64_MAX when the sum overflows).
  static std::uint64_t stateBytesFor(const Model& model);

 private:
  Engine() = default;

  struct PreparedOp {
    kernels::KernelFn run;
    const void* params;
    std::uint32_t firstInput;
    std::uint32_t numInputs;
    std::uint32_t firstOutput;
    std::uint32_t numOutputs;
    std::span<std::byte> scratch;
    std::span<const std::byte> state;  // prepared in create(), or empty
  };

  void run(const PreparedOp& op);
  Result<void> prepareStates(const Model& model);

  std::span<std::byte> arena_;
  std::byte* ownedArena_ = nullptr;  // the engine's own mapping, when no arena was given
  std::size_t ownedBytes_ = 0;
  std::byte* state_ = nullptr;  // the kernels' prepared state, mapped once
  std::size_t stateMapped_ = 0;
  std::size_t stateBytes_ = 0;
  friend class EngineSet;  // binds its members to its shared arena and pool

  kernels::WorkerPool* pool_ = nullptr;  // nullptr: one thread, or not started yet
  std::unique_ptr<kernels::WorkerPool> ownedPool_;  // the engine's own pool, when not shared
  bool shared_ = false;  // a member of an EngineSet: its pool is the set's
  int threads_ = 1;
  std::size_t workerScratch_ = 0;  // each worker's
  std::string sourceName_;
  std::vector<PreparedOp> ops_;
  std::vector<kernels::InTensor> opInputs_;
  std::vector<kernels::OutTensor> opOutputs_;
  std::vector<Binding> inputs_;
  std::vector<Binding> outputs_;
};

}  // namespace edgert
