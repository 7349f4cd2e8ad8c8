// Variant choice for the non-Conv fast kernels: `--target any` keeps the reference;
// x86_64 takes avx2-rows for a float32 Binary (per-channel broadcast, same shape, scalar),
// aarch64 neon-rows; integer Binary keeps the reference everywhere; the portable
// Transpose, MaxPool (2-D) and nearest Resize variants go to both architectures; 1-D
// MaxPool and linear Resize keep the reference.
#include "compiler/passes/passes.hpp"

#include "edgert/kernels/registry.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace edgert::compiler {
namespace {

using kernels::DType;
using kernels::OpCode;
using kernels::Shape;

// A one-node graph: op over `inputs` (graph inputs, or constants when `constant`).
struct OneNode {
  Graph graph;

  template <typename P>
  OneNode(OpCode op, const P& params, std::vector<kernels::TensorType> inputs,
          std::vector<bool> constant = {}) {
    Node n;
    n.name = "node";
    n.onnxOp = std::string(kernels::findOp(op)->name);
    n.op = op;
    n.setParams(params);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      Value v;
      v.name = "in" + std::to_string(i);
      v.type = inputs[i];
      if (i < constant.size() && constant[i]) {
        v.isConstant = true;
        v.data.resize(v.type.bytes());
      } else {
        v.isGraphInput = true;
      }
      const ValueId id = graph.addValue(std::move(v));
      if (!graph.value(id).isConstant) graph.inputs.push_back(id);
      n.inputs.push_back(id);
    }
    auto types = inferNode(graph, n);
    EXPECT_TRUE(types.ok()) << (types.ok() ? "" : types.error().message());
    Value out;
    out.name = "out";
    out.isGraphOutput = true;
    if (types.ok()) out.type = types.value()[0];
    const ValueId id = graph.addValue(std::move(out));
    n.outputs = {id};
    graph.outputs.push_back(id);
    graph.nodes.push_back(std::move(n));
  }

  // The name of the variant chooseLayout picks for `target`.
  std::string_view chosen(model::Target target) {
    Graph g = graph;
    const Result<void> r = chooseLayout(g, target);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
    const kernels::KernelVariant* v = kernels::findVariant(g.nodes[0].op, g.nodes[0].variant);
    return v ? v->name : "?";
  }
};

kernels::TensorType f32(std::initializer_list<std::int64_t> dims) {
  return {DType::kFloat32, Shape::of(dims)};
}

TEST(ChooseElementwiseVariant, FloatBinaryGetsTheTargetsRowKernel) {
  kernels::BinaryParams mul;
  mul.op = kernels::BinaryOp::kMul;
  for (const auto& inputs : std::vector<std::vector<kernels::TensorType>>{
           {f32({1, 16, 20, 20}), f32({1, 16, 1, 1})},
           {f32({1, 16, 20, 20}), f32({1, 16, 20, 20})},
           {f32({1, 16, 20, 20}), f32({1})},
           {f32({3, 1, 5}), f32({1, 4, 1})}}) {
    OneNode g(OpCode::kBinary, mul, inputs, {false, true});
    EXPECT_EQ(g.chosen(model::Target::kAny), "ref");
    EXPECT_EQ(g.chosen(model::Target::kX86_64), "avx2-rows");
    EXPECT_EQ(g.chosen(model::Target::kAarch64), "neon-rows");
  }
}

TEST(ChooseElementwiseVariant, IntegerBinaryKeepsTheReference) {
  kernels::BinaryParams add;
  const kernels::TensorType i32{DType::kInt32, Shape::of({2, 7})};
  OneNode g(OpCode::kBinary, add, {i32, i32});
  EXPECT_EQ(g.chosen(model::Target::kX86_64), "ref");
  EXPECT_EQ(g.chosen(model::Target::kAarch64), "ref");
}

TEST(ChooseElementwiseVariant, DataMovementOpsGetThePortableVariants) {
  kernels::TransposeParams t;
  t.rank = 4;
  t.perm[1] = 3;
  t.perm[2] = 1;
  t.perm[3] = 2;
  OneNode transpose(OpCode::kTranspose, t, {f32({1, 8, 8, 3})});
  EXPECT_EQ(transpose.chosen(model::Target::kAny), "ref");
  EXPECT_EQ(transpose.chosen(model::Target::kX86_64), "rows");
  EXPECT_EQ(transpose.chosen(model::Target::kAarch64), "rows");

  kernels::PoolParams pool;
  pool.kernel[0] = pool.kernel[1] = 2;
  pool.stride[0] = pool.stride[1] = 2;
  OneNode maxPool(OpCode::kMaxPool, pool, {f32({1, 4, 8, 8})});
  EXPECT_EQ(maxPool.chosen(model::Target::kX86_64), "rows");
  EXPECT_EQ(maxPool.chosen(model::Target::kAarch64), "rows");
  kernels::PoolParams pool1d;
  pool1d.spatialRank = 1;
  pool1d.kernel[1] = 2;
  pool1d.stride[1] = 2;
  OneNode maxPool1d(OpCode::kMaxPool, pool1d, {f32({1, 4, 8})});
  EXPECT_EQ(maxPool1d.chosen(model::Target::kX86_64), "ref");

  kernels::ResizeParams nearest;
  nearest.outputShape = Shape::of({1, 2, 8, 8});
  nearest.scale[0] = nearest.scale[1] = 1.0f;
  nearest.scale[2] = nearest.scale[3] = 2.0f;
  OneNode resize(OpCode::kResize, nearest, {f32({1, 2, 4, 4})});
  EXPECT_EQ(resize.chosen(model::Target::kX86_64), "nearest-rows");
  EXPECT_EQ(resize.chosen(model::Target::kAarch64), "nearest-rows");
  kernels::ResizeParams linear = nearest;
  linear.mode = kernels::ResizeMode::kLinear;
  OneNode resizeLinear(OpCode::kResize, linear, {f32({1, 2, 4, 4})});
  EXPECT_EQ(resizeLinear.chosen(model::Target::kX86_64), "ref");

  OneNode gap(OpCode::kGlobalAveragePool, kernels::GlobalPoolParams{}, {f32({1, 4, 8, 8})});
  EXPECT_EQ(gap.chosen(model::Target::kAny), "ref");
  EXPECT_EQ(gap.chosen(model::Target::kX86_64), "lanes");
  EXPECT_EQ(gap.chosen(model::Target::kAarch64), "lanes");

  kernels::ConcatParams axis1;
  axis1.axis = 1;
  OneNode concat(OpCode::kConcat, axis1, {f32({1, 4, 8, 8}), f32({1, 2, 8, 8})});
  EXPECT_EQ(concat.chosen(model::Target::kAny), "ref");
  EXPECT_EQ(concat.chosen(model::Target::kX86_64), "rows");
  EXPECT_EQ(concat.chosen(model::Target::kAarch64), "rows");
}

}  // namespace
}  // namespace edgert::compiler
