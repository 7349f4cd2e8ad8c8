// The compiler's graph passes, run between import and memory planning. Each pass keeps
// the node order topological and every output type equal to what the op's infer function
// computes. A pass that fails returns an error naming the node; the graph is then left
// unusable and compilation stops.
#pragma once

#include "compiler/graph.hpp"
#include "edgert/base/result.hpp"
#include "edgert/kernels/tensor.hpp"
#include "edgert/runtime/model_format.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace edgert::compiler {

// --- The passes, in the order runPasses applies them --------------------------------------

// Nodes whose present inputs are all constant run their reference kernel on the host; the
// outputs become constants and the node is removed.
Result<void> foldConstants(Graph& graph);

// Conv or ConvTranspose -> a per-channel affine map (BatchNorm; Add, Sub, Mul or Div with a
// scalar or per-channel float32 constant) becomes one node: weights scaled per output
// channel, bias adjusted (or created); chains fold one by one. Only where the conv output
// feeds the map alone, is not a graph output, the conv has no fused epilogue yet, and its
// weights (and bias) are float32 constants used by no other node.
Result<void> foldAffine(Graph& graph);

// Pattern fusion: the spelled-out LayerNorm (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt,
// Div, then an optional Mul and Add by constants) becomes one LayerNormalization node, and
// GELU's Erf form (Erf(x / sqrt 2) + 1, times x and 0.5) one Unary Gelu node. Only where the
// intermediate values are read by the pattern alone and are not graph outputs.
Result<void> fusePatterns(Graph& graph);

// Epilogue fusion, in this order:
//   1. x * Clip(x + 3, 0, 6) / 6 (or * 1/6) becomes HardSwish(x);
//   2. Conv -> Add(same-shaped other operand) becomes a Conv with a residual input;
//   3. Conv, ConvTranspose or Binary -> Activation becomes a fused activation;
//   4. a fused HardSwish followed by Add/Sub/Mul/Div with a scalar constant becomes the
//      fused HardSwishAffine (Conv and ConvTranspose).
// Only where each intermediate value has exactly one consumer and is not a graph output.
Result<void> fuseEpilogue(Graph& graph);

// A depthwise Conv whose output only a pointwise Conv reads becomes one DepthwisePointwise
// node (the intermediate then stays in cache), where the fast kernels cover both parts.
Result<void> fuseDepthwisePointwise(Graph& graph);

// Removes nodes whose outputs reach no graph output, then drops values that no node and no
// graph input or output refers to (ValueIds are renumbered; order is kept).
Result<void> removeDeadNodes(Graph& graph);

// Picks a kernel variant per node and a memory layout per value, and checks that the
// registry has the variant. For target kAny: the reference variant everywhere; for
// kX86_64 (AVX2 + FMA) or kAarch64 (NEON): per node, the last variant in the registry
// whose ISA the target has and that applies to the node. The plain layout everywhere.
Result<void> chooseLayout(Graph& graph, model::Target target = model::Target::kAny);

// For an image that also runs elsewhere: per node, the variant chooseLayout would pick for
// each of `targets` (best first), where it is a fast one and not the node's own or already
// listed, goes into Node::alternatives. Layouts stay plain (every variant today reads and
// writes the plain layout).
Result<void> chooseAlternatives(Graph& graph, std::span<const model::Target> targets);
// removeDeadNodes, foldConstants, fusePatterns, foldAffine, fuseEpilogue, removeDeadNodes,
// fuseDepthwisePointwise, chooseLayout(target).
Result<void> runPasses(Graph& graph, model::Target target = model::Target::kAny);

// --- Helpers shared by the importer and the passes (fold_constants.cpp) --------------------

// The output types of `node` as its op's infer function computes them from the current
// input types. Errors read "node NAME (OnnxOp): <infer's message>".
// `outputCount`: how many outputs to infer (0: as many as the node has, or the op's least
// when it has none yet; an importer making a Split names its count).
Result<std::vector<kernels::TensorType>> inferNode(const Graph& graph, const Node& node,
                                                   std::size_t outputCount = 0);

// True when every present input of `node` is a constant (and it has at least one).
bool hasOnlyConstantInputs(const Graph& graph, const Node& node);

// What the compiler computes at compile time is bounded, whatever the model says: a
// constant it makes (a folded node's output, ConstantOfShape, Gather or Cast on constants,
// Dropout's mask) holds at most kMaxFoldedBytes, and a node it folds does at most
// kMaxFoldedWork multiply-adds or window reads (about a second of the reference kernels).
inline constexpr std::uint64_t kMaxFoldedBytes = std::uint64_t{256} << 20;
inline constexpr std::uint64_t kMaxFoldedWork = std::uint64_t{1} << 30;

// A constant of `type` within kMaxFoldedBytes, else kUnsupported naming `what` and the size.
Result<void> checkFoldedBytes(const kernels::TensorType& type, std::string_view what);

// Whether `node` is folded: every input constant (hasOnlyConstantInputs), its outputs within
// kMaxFoldedBytes and its work within kMaxFoldedWork. A node over the bounds stays in the
// graph and runs on the device like any other (its output types must be set).
bool foldsAtCompileTime(const Graph& graph, const Node& node);

// Runs `node` with its op's reference kernel (variant 0) on constant inputs and stores the
// results in its output values, which become constants. The output types must already be
// set (inferNode).
Result<void> evaluateNode(Graph& graph, const Node& node);

// The value of a float32 constant with one element (any rank) that is not a graph input,
// if `id` is one (fuse_epilogue.cpp; the fusion passes match scalar operands with it).
std::optional<float> scalarConstant(const Graph& graph, ValueId id);

// For a two-operand node with such a scalar constant operand: that value and the other
// operand.
std::optional<std::pair<float, ValueId>> scalarOperand(const Graph& graph, const Node& node);

// How many input slots of nodes read each value (a node reading a value twice counts 2).
std::vector<int> countConsumers(const Graph& graph);

// Checks the graph's invariants: value ids in range, every node input defined before use
// (graph input, constant or an earlier node's output), each value produced at most once,
// parameter sizes, and output types equal to inferNode's. For tests and debug builds.
Result<void> verifyGraph(const Graph& graph);

}  // namespace edgert::compiler
