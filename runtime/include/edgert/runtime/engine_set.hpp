// Engines that run one after another on one thread (a multi-model pipeline: detect, then
// recognise each region found) share one arena and one worker pool: the arena is as big as
// the largest model's plan, not the sum of them, and one set of worker threads (with one
// scratch region per worker, as big as the largest any op of any model plans) serves them
// all.
//
// The price of sharing: every engine's tensors, its inputs and outputs included, live in the
// one arena. Fill an engine's inputs, invoke it and read its outputs before any other engine
// of the set is invoked; the next one overwrites them. Invoke the engines from one thread
// (the pool is not reentrant).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "edgert/base/result.hpp"
#include "edgert/kernels/parallel.hpp"
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/model.hpp"

namespace edgert {

class EngineSet {
 public:
  // One engine per model, in order, on one arena mapped here once (every page faulted in,
  // like an engine's own) and, with options.threads > 1, one worker pool (started here
  // unless options.startWorkers is false). The models must outlive the set.
  static Result<std::unique_ptr<EngineSet>> create(std::span<const Model* const> models,
                                                   const Engine::Options& options = {});
  ~EngineSet();
  EngineSet(const EngineSet&) = delete;
  EngineSet& operator=(const EngineSet&) = delete;

  std::size_t size() const { return engines_.size(); }
  Engine& operator[](std::size_t i) { return *engines_[i]; }
  const Engine& operator[](std::size_t i) const { return *engines_[i]; }

  // The shared arena: the largest of the models' planned arenas.
  std::size_t arenaBytes() const { return arenaBytes_; }
  // What separate engines would have mapped: the sum of the models' arenas.
  std::size_t separateArenaBytes() const { return separateBytes_; }
  int threads() const { return threads_; }
  // Bytes beside the arena for the worker threads' scratch (0 with one thread).
  std::size_t workerScratchBytes() const { return workerScratch_ * static_cast<std::size_t>(threads_ - 1); }
  // Bytes of the kernels' prepared state (pre-packed weights), every engine's own.
  std::size_t stateBytes() const {
    std::size_t n = 0;
    for (const auto& e : engines_) n += e->stateBytes();
    return n;
  }
  // Starts the shared pool (Engine::Options::startWorkers = false); nothing when it runs.
  Result<void> startWorkers();
  const kernels::WorkerPool* pool() const { return pool_.get(); }

 private:
  EngineSet() = default;

  std::byte* arena_ = nullptr;
  std::size_t mapped_ = 0;
  std::size_t arenaBytes_ = 0;
  std::size_t separateBytes_ = 0;
  int threads_ = 1;
  std::size_t workerScratch_ = 0;  // each worker's: the largest of the engines'
  std::unique_ptr<kernels::WorkerPool> pool_;
  std::vector<std::unique_ptr<Engine>> engines_;
};

}  // namespace edgert
