#include "edgert/runtime/engine_set.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "arena_mapping.hpp"

namespace edgert {

EngineSet::~EngineSet() {
  engines_.clear();  // before the arena and the pool they use
  pool_.reset();
  if (arena_ != nullptr) ::munmap(arena_, mapped_);
}

Result<std::unique_ptr<EngineSet>> EngineSet::create(std::span<const Model* const> models,
                                                     const Engine::Options& options) {
  if (models.empty()) return makeError(Errc::kInvalidArgument, "an engine set needs at least one model");
  if (options.threads < 1 || options.threads > kernels::kMaxThreads) {
    return makeError(Errc::kInvalidArgument, "{} threads requested, expected 1..{}", options.threads,
                     kernels::kMaxThreads);
  }
  std::unique_ptr<EngineSet> set(new EngineSet());
  for (const Model* m : models) {
    const std::size_t bytes = detail::arenaBytesFor(m->header().arenaBytes);
    set->arenaBytes_ = std::max(set->arenaBytes_, bytes);
    set->separateBytes_ += bytes;
  }
  set->arena_ = detail::mapArena(set->arenaBytes_, set->mapped_);
  if (set->arena_ == nullptr) {
    return makeError(Errc::kNoMemory, "cannot map the shared {}-byte arena of {} models: {}",
                     set->arenaBytes_, models.size(), std::strerror(errno));
  }
  const std::span<std::byte> arena{set->arena_, set->arenaBytes_};
  set->threads_ = options.threads;
  for (const Model* m : models) {
    EDGERT_ASSIGN_OR_RETURN(auto engine, Engine::create(*m, arena,
                                                        Engine::Options{.threads = options.threads,
                                                                        .startWorkers = false}));
    engine->shared_ = true;
    set->workerScratch_ = std::max(set->workerScratch_, engine->workerScratch_);
    set->engines_.push_back(std::move(engine));
  }
  if (options.startWorkers) EDGERT_TRY(set->startWorkers());
  return set;
}

Result<void> EngineSet::startWorkers() {
  if (pool_ || threads_ <= 1) return success();
  auto pool = kernels::WorkerPool::create(threads_, workerScratch_);
  if (!pool) return makeError(pool.error().code(), "the shared worker pool: {}", pool.error().message());
  pool_ = std::move(*pool);
  for (const std::unique_ptr<Engine>& e : engines_) e->pool_ = pool_.get();
  return success();
}

}  // namespace edgert
