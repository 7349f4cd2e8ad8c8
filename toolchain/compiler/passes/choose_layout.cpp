// Layout and variant choice: which kernel runs each node and in which memory layout each
// value lives. For target kAny every node runs the reference kernel (variant 0); for an
// architecture, a node runs the last variant listed in the registry that the target's ISA
// has and that applies to the node's parameters and types (the registry lists variants
// from general to specialized), all on plain row-major tensors. Variants with their own
// layouts (packed weights, NHWC activations) plug in at chooseVariant: it sees the whole
// node and returns the variant and the layouts that variant needs; the pass then checks
// the choice against the registry and applies it.
#include "compiler/passes/passes.hpp"

#include "edgert/kernels/registry.hpp"

#include <algorithm>

namespace edgert::compiler {
namespace {

// What a kernel variant needs from the values it touches: a layout per input and per
// output slot (slots past the end of a list: plain).
struct VariantChoice {
  std::uint16_t variant = 0;
  std::vector<Layout> inputLayouts;
  std::vector<Layout> outputLayouts;
};

Layout slotLayout(const std::vector<Layout>& layouts, std::size_t slot) {
  return slot < layouts.size() ? layouts[slot] : Layout::kPlain;
}

// The ISAs an image for `target` may use. x86_64 images need AVX2 + FMA where they use a
// fast variant (the loader checks the CPU), x86_64-avx512 images AVX-512 too; aarch64
// images need plain NEON (Jetson Nano has no FP16 arithmetic).
bool targetHas(model::Target target, kernels::Isa isa) {
  switch (isa) {
    case kernels::Isa::kAny: return true;
    case kernels::Isa::kAvx2: return target == model::Target::kX86_64 || target == model::Target::kX86_64Avx512;
    case kernels::Isa::kAvx512: return target == model::Target::kX86_64Avx512;
    case kernels::Isa::kNeon: return target == model::Target::kAarch64;
    case kernels::Isa::kNeonFp16: return false;
  }
  return false;
}

VariantChoice chooseVariant(const Graph& graph, const Node& node, model::Target target) {
  VariantChoice choice;  // the reference kernel, plain layouts
  if (target == model::Target::kAny) return choice;
  std::vector<kernels::TensorType> ins;
  for (ValueId id : node.inputs) {
    kernels::TensorType t;
    if (id == kNoValue) {
      t.shape.rank = kernels::kAbsentRank;
    } else {
      t = graph.value(id).type;
    }
    ins.push_back(t);
  }
  std::vector<kernels::TensorType> outs;
  for (ValueId id : node.outputs) outs.push_back(graph.value(id).type);
  for (const kernels::KernelVariant& v : kernels::allVariants()) {
    if (v.code != node.op || v.id == 0 || !targetHas(target, v.isa)) continue;
    if (v.applies != nullptr && !v.applies(node.params.data(), ins, outs)) continue;
    choice.variant = v.id;
  }
  return choice;
}

// Records `layout` for a value; false when another node already needs another layout.
bool assignLayout(std::vector<bool>& assigned, Value& value, std::size_t id, Layout layout) {
  if (assigned[id]) return value.layout == layout;
  value.layout = layout;
  assigned[id] = true;
  return true;
}

}  // namespace

Result<void> chooseLayout(Graph& graph, model::Target target) {
  std::vector<bool> assigned(graph.values.size(), false);
  for (Node& node : graph.nodes) {
    const VariantChoice choice = chooseVariant(graph, node, target);
    const kernels::KernelVariant* variant = kernels::findVariant(node.op, choice.variant);
    // A variant for another architecture has no kernel in this build; any other must.
    const bool foreign = variant != nullptr && variant->isa != kernels::Isa::kAny &&
                         target != model::Target::kAny;
    if (variant == nullptr || (variant->run == nullptr && !foreign)) {
      return makeError(Errc::kInternal,
                       "node {} ({}): the registry has no kernel variant {} for op code {}",
                       node.name, node.onnxOp, choice.variant, static_cast<unsigned>(node.op));
    }
    node.variant = choice.variant;
    for (std::size_t slot = 0; slot < node.inputs.size(); ++slot) {
      const ValueId id = node.inputs[slot];
      if (id == kNoValue) continue;
      const Layout layout = slotLayout(choice.inputLayouts, slot);
      if (!assignLayout(assigned, graph.value(id), static_cast<std::size_t>(id), layout)) {
        return makeError(Errc::kInternal, "node {} ({}): value '{}' is needed in two layouts",
                         node.name, node.onnxOp, graph.value(id).name);
      }
    }
    for (std::size_t slot = 0; slot < node.outputs.size(); ++slot) {
      const ValueId id = node.outputs[slot];
      const Layout layout = slotLayout(choice.outputLayouts, slot);
      if (!assignLayout(assigned, graph.value(id), static_cast<std::size_t>(id), layout)) {
        return makeError(Errc::kInternal, "node {} ({}): value '{}' is needed in two layouts",
                         node.name, node.onnxOp, graph.value(id).name);
      }
    }
  }
  // Graph inputs and outputs are exchanged with the application in the plain layout.
  for (ValueId id : graph.inputs) {
    if (!assignLayout(assigned, graph.value(id), static_cast<std::size_t>(id), Layout::kPlain)) {
      return makeError(Errc::kInternal, "graph input '{}' must stay in the plain layout",
                       graph.value(id).name);
    }
  }
  for (ValueId id : graph.outputs) {
    if (!assignLayout(assigned, graph.value(id), static_cast<std::size_t>(id), Layout::kPlain)) {
      return makeError(Errc::kInternal, "graph output '{}' must stay in the plain layout",
                       graph.value(id).name);
    }
  }
  for (std::size_t i = 0; i < graph.values.size(); ++i) {
    if (!assigned[i]) graph.values[i].layout = Layout::kPlain;
  }
  return success();
}

Result<void> chooseAlternatives(Graph& graph, std::span<const model::Target> targets) {
  for (Node& node : graph.nodes) {
    node.alternatives.clear();
    for (model::Target target : targets) {
      const VariantChoice choice = chooseVariant(graph, node, target);
      if (choice.variant == 0 || choice.variant == node.variant) continue;
      // An alternative must read and write what the base does: the plain layout.
      for (const auto* layouts : {&choice.inputLayouts, &choice.outputLayouts}) {
        for (Layout l : *layouts) {
          if (l != Layout::kPlain) {
            return makeError(Errc::kInternal, "node {} ({}): alternative variant {} needs a packed layout",
                             node.name, node.onnxOp, choice.variant);
          }
        }
      }
      // chooseVariant picks from the registry's own list: the variant exists.
      if (std::find(node.alternatives.begin(), node.alternatives.end(), choice.variant) == node.alternatives.end()) {
        node.alternatives.push_back(choice.variant);
      }
    }
  }
  return success();
}

Result<void> runPasses(Graph& graph, model::Target target) {
  EDGERT_TRY(removeDeadNodes(graph));
  EDGERT_TRY(foldConstants(graph));
  EDGERT_TRY(fusePatterns(graph));
  EDGERT_TRY(foldAffine(graph));
  EDGERT_TRY(fuseEpilogue(graph));
  EDGERT_TRY(removeDeadNodes(graph));
  EDGERT_TRY(fuseDepthwisePointwise(graph));
  EDGERT_TRY(chooseLayout(graph, target));
  return success();
}

}  // namespace edgert::compiler
