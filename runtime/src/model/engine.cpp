#include "edgert/runtime/engine.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sys/mman.h>

#include "arena_mapping.hpp"

namespace edgert {

Engine::~Engine() {
  if (ownedArena_ != nullptr) ::munmap(ownedArena_, ownedBytes_);
}

Result<void> Engine::startWorkers() {
  if (pool_ != nullptr || shared_ || threads_ <= 1) return success();
  auto pool = kernels::WorkerPool::create(threads_, workerScratch_);
  if (!pool) return makeError(pool.error().code(), "{}: {}", sourceName_, pool.error().message());
  ownedPool_ = std::move(*pool);
  pool_ = ownedPool_.get();
  return success();
}

Result<std::unique_ptr<Engine>> Engine::create(const Model& model, std::span<std::byte> arena) {
  return create(model, arena, Options{});
}

Result<std::unique_ptr<Engine>> Engine::create(const Model& model, std::span<std::byte> arena,
                                               const Options& options) {
  if (!model.runsHere()) {
    return makeError(Errc::kUnsupported, "{}: checked for its own target, not for this machine: it cannot run here",
                     model.sourceName());
  }
  if (options.threads < 1 || options.threads > kernels::kMaxThreads) {
    return makeError(Errc::kInvalidArgument, "{}: {} threads requested, expected 1..{}", model.sourceName(),
                     options.threads, kernels::kMaxThreads);
  }
  const std::uint64_t need = model.header().arenaBytes;
  std::unique_ptr<Engine> e(new Engine());
  if (arena.empty()) {
    const std::size_t alloc = detail::arenaBytesFor(need);
    e->ownedArena_ = detail::mapArena(alloc, e->ownedBytes_);
    if (e->ownedArena_ == nullptr) {
      return makeError(Errc::kNoMemory, "{}: cannot map the {}-byte arena: {}", model.sourceName(), need,
                       std::strerror(errno));
    }
    e->arena_ = {e->ownedArena_, alloc};
  } else {
    if (arena.size() < need) {
      return makeError(Errc::kNoMemory, "{}: arena of {} bytes given, the model needs {}",
                       model.sourceName(), arena.size(), need);
    }
    if (reinterpret_cast<std::uintptr_t>(arena.data()) % model::kArenaAlignment != 0) {
      return makeError(Errc::kInvalidArgument, "{}: the arena is not 64-byte aligned", model.sourceName());
    }
    e->arena_ = arena;
  }

  std::byte* const base = e->arena_.data();
  auto dataOf = [&](std::uint32_t t) -> std::byte* {
    const model::TensorRecord& r = model.tensors()[t];
    if (r.storage == model::Storage::kArena) return base + r.offset;
    // Weights are mapped read-only; only inputs ever point at them.
    return const_cast<std::byte*>(model.weight(r));
  };

  e->ops_.reserve(model.ops().size());
  for (std::size_t k = 0; k < model.ops().size(); ++k) {
    const model::OpRecord& op = model.ops()[k];
    PreparedOp p{};
    p.run = model.variant(k).run;  // validated by Model: runs on this CPU
    p.params = model.params(op);
    p.firstInput = static_cast<std::uint32_t>(e->opInputs_.size());
    p.numInputs = op.numInputs;
    for (std::uint32_t t : model.opInputs(op)) {
      kernels::InTensor in;
      if (t == model::kNoTensor) {
        in.type.shape.rank = kernels::kAbsentRank;
      } else {
        in.data = dataOf(t);
        in.type = model.tensorType(t);
      }
      e->opInputs_.push_back(in);
    }
    p.firstOutput = static_cast<std::uint32_t>(e->opOutputs_.size());
    p.numOutputs = op.numOutputs;
    for (std::uint32_t t : model.opOutputs(op)) {
      e->opOutputs_.push_back({dataOf(t), model.tensorType(t)});
    }
    if (op.scratchBytes > 0) p.scratch = {base + op.scratchOffset, op.scratchBytes};
    e->ops_.push_back(p);
  }
  e->threads_ = options.threads;
  e->sourceName_ = model.sourceName();
  if (options.threads > 1) {
    // Every worker gets a copy of the largest scratch any op plans (the caller, worker 0,
    // uses the op's own region in the arena): kernels that split their work give each
    // worker its own copy, whichever op runs.
    std::uint64_t scratch = 0;
    for (const model::OpRecord& op : model.ops()) scratch = std::max<std::uint64_t>(scratch, op.scratchBytes);
    e->workerScratch_ = static_cast<std::size_t>(scratch);
    if (options.startWorkers) EDGERT_TRY(e->startWorkers());
  }
  for (const model::BindingRecord& b : model.bindings()) {
    Binding binding{model.string(b.name), model.tensorType(b.tensor), dataOf(b.tensor)};
    (b.kind == model::BindingKind::kInput ? e->inputs_ : e->outputs_).push_back(binding);
  }
  return e;
}

const Engine::Binding* Engine::findInput(std::string_view name) const {
  for (const Binding& b : inputs_) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

const Engine::Binding* Engine::findOutput(std::string_view name) const {
  for (const Binding& b : outputs_) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

void Engine::run(const PreparedOp& op) {
  kernels::KernelArgs args;
  args.params = op.params;
  args.inputs = {opInputs_.data() + op.firstInput, op.numInputs};
  args.outputs = {opOutputs_.data() + op.firstOutput, op.numOutputs};
  args.scratch = op.scratch;
  args.pool = pool_;
  op.run(args);
}

void Engine::invoke() {
  for (const PreparedOp& op : ops_) run(op);
}

void Engine::invoke(std::span<std::uint64_t> opNanos) {
  if (opNanos.size() != ops_.size()) {
    invoke();
    return;
  }
  auto now = [] {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::uint64_t(ts.tv_sec) * 1'000'000'000u + std::uint64_t(ts.tv_nsec);
  };
  std::uint64_t t = now();
  for (std::size_t k = 0; k < ops_.size(); ++k) {
    run(ops_[k]);
    const std::uint64_t u = now();
    opNanos[k] += u - t;
    t = u;
  }
}

}  // namespace edgert
