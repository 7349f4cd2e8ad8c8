#include "edgert/runtime/engine.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>
#include <sys/mman.h>

#include "arena_mapping.hpp"

namespace edgert {

Engine::~Engine() {
  if (ownedArena_ != nullptr) ::munmap(ownedArena_, ownedBytes_);
  if (state_ != nullptr) ::munmap(state_, stateMapped_);
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

  e->sourceName_ = model.sourceName();
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
  EDGERT_TRY(e->prepareStates(model));
  e->threads_ = options.threads;
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

namespace {

// The kernel life cycle (kernels/registry.hpp): each op's state, sized from its types and
// which of its inputs are constants of the image (weights), on its own 64-byte line.
struct StateLayout {
  std::vector<std::uint64_t> offsets, sizes;
  std::vector<std::uint32_t> constants;  // per op, bit i: input i is a constant (the first 32)
  std::uint64_t total = 0;  // saturates at UINT64_MAX
};

StateLayout stateLayout(const Model& model) {
  StateLayout l;
  l.offsets.assign(model.ops().size(), 0);
  l.sizes.assign(model.ops().size(), 0);
  l.constants.assign(model.ops().size(), 0);
  std::vector<kernels::TensorType> ins;
  std::vector<kernels::TensorType> outs;
  for (std::size_t k = 0; k < model.ops().size(); ++k) {
    const kernels::KernelVariant& v = model.variant(k);
    if (v.state == nullptr || v.prepare == nullptr) continue;
    const model::OpRecord& op = model.ops()[k];
    ins.clear();
    outs.clear();
    std::uint32_t constants = 0;  // inputs past the 32nd are never prepared from
    std::uint32_t slot = 0;
    for (std::uint32_t t : model.opInputs(op)) {
      kernels::TensorType type;
      if (t == model::kNoTensor) {
        type.shape.rank = kernels::kAbsentRank;
      } else {
        type = model.tensorType(t);
        if (model.tensors()[t].storage == model::Storage::kWeight && slot < 32) constants |= 1u << slot;
      }
      ins.push_back(type);
      ++slot;
    }
    for (std::uint32_t t : model.opOutputs(op)) outs.push_back(model.tensorType(t));
    const std::uint64_t bytes = v.state(model.params(op), ins, outs, constants);
    if (bytes == 0) continue;
    const std::uint64_t at = (l.total + model::kArenaAlignment - 1) / model::kArenaAlignment * model::kArenaAlignment;
    if (at < l.total || bytes > UINT64_MAX - at) {
      l.total = UINT64_MAX;
      return l;
    }
    l.offsets[k] = at;
    l.sizes[k] = bytes;
    l.constants[k] = constants;
    l.total = at + bytes;
  }
  return l;
}

}  // namespace

std::uint64_t Engine::stateBytesFor(const Model& model) { return stateLayout(model).total; }

// Maps every op's state once, in one block, and prepares it from the constants.
Result<void> Engine::prepareStates(const Model& model) {
  const StateLayout layout = stateLayout(model);
  if (layout.total == 0) return success();
  if (layout.total > SIZE_MAX / 2) {
    return makeError(Errc::kNoMemory, "{}: its kernels ask for {} bytes of prepared state", sourceName_,
                     layout.total);
  }
  state_ = detail::mapArena(static_cast<std::size_t>(layout.total), stateMapped_);
  if (state_ == nullptr) {
    return makeError(Errc::kNoMemory, "{}: cannot map the {} bytes of the kernels' prepared state: {}",
                     sourceName_, layout.total, std::strerror(errno));
  }
  stateBytes_ = static_cast<std::size_t>(layout.total);
  std::vector<kernels::InTensor> constantsOnly;
  std::vector<kernels::TensorType> outTypes;
  for (std::size_t k = 0; k < ops_.size(); ++k) {
    if (layout.sizes[k] == 0) continue;
    PreparedOp& p = ops_[k];
    constantsOnly.assign(opInputs_.begin() + p.firstInput, opInputs_.begin() + p.firstInput + p.numInputs);
    for (std::size_t slot = 0; slot < constantsOnly.size(); ++slot) {
      // Exactly the inputs StateFn was told are constants.
      if (slot >= 32 || (layout.constants[k] & (1u << slot)) == 0) constantsOnly[slot].data = nullptr;
    }
    outTypes.clear();
    for (std::uint32_t i = 0; i < p.numOutputs; ++i) outTypes.push_back(opOutputs_[p.firstOutput + i].type);
    const std::span<std::byte> state{state_ + layout.offsets[k], static_cast<std::size_t>(layout.sizes[k])};
    model.variant(k).prepare(kernels::PrepareArgs{p.params, constantsOnly, outTypes, state});
    p.state = state;
  }
  return success();
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
  args.state = op.state;
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
