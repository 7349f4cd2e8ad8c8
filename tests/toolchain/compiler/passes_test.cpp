// The graph passes on small hand-built graphs: what each rewrites, where a rewrite is not
// legal, and (by running the reference kernels before and after) that results are kept.
#include "compiler/passes/passes.hpp"

#include "graph_interpreter.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace edgert::compiler {
namespace {

using kernels::Activation;
using kernels::DType;
using kernels::OpCode;
using kernels::BinaryOp;
using kernels::Shape;
using testing::randomFloats;
using testing::runGraph;

// Builds graphs value by value; node output types come from the ops' infer functions.
class GraphBuilder {
 public:
  ValueId input(const std::string& name, Shape shape) {
    Value v;
    v.name = name;
    v.type = {DType::kFloat32, shape};
    v.isGraphInput = true;
    const ValueId id = graph.addValue(std::move(v));
    graph.inputs.push_back(id);
    return id;
  }

  ValueId constant(const std::string& name, Shape shape, std::vector<float> data) {
    EXPECT_EQ(static_cast<std::int64_t>(data.size()), shape.numel()) << name;
    Value v;
    v.name = name;
    v.type = {DType::kFloat32, shape};
    v.data = testing::floatBytes(data);
    v.isConstant = true;
    return graph.addValue(std::move(v));
  }

  ValueId randomConstant(const std::string& name, Shape shape, unsigned seed, float lo = -1.0f,
                         float hi = 1.0f) {
    return constant(name, shape,
                    randomFloats(static_cast<std::size_t>(shape.numel()), seed, lo, hi));
  }

  template <typename P>
  ValueId node(const std::string& name, OpCode op, const P& params, std::vector<ValueId> inputs) {
    Node n;
    n.name = name;
    n.onnxOp = std::string(kernels::findOp(op)->name);
    n.op = op;
    n.setParams(params);
    n.inputs = std::move(inputs);
    auto types = inferNode(graph, n);
    EXPECT_TRUE(types.ok()) << (types.ok() ? "" : types.error().message());
    Value v;
    v.name = name + ".out";
    if (types.ok()) v.type = types.value()[0];
    const ValueId id = graph.addValue(std::move(v));
    n.outputs = {id};
    graph.nodes.push_back(std::move(n));
    return id;
  }

  void output(ValueId id) {
    graph.value(id).isGraphOutput = true;
    graph.outputs.push_back(id);
  }

  Graph graph;
};

kernels::ConvParams conv3x3(bool bias) {
  kernels::ConvParams p;
  p.kernel[0] = p.kernel[1] = 3;
  p.padBegin[0] = p.padBegin[1] = p.padEnd[0] = p.padEnd[1] = 1;
  p.hasBias = bias ? 1 : 0;
  return p;
}

kernels::BinaryParams add() { return kernels::BinaryParams{}; }

kernels::BinaryParams binary(kernels::BinaryOp op) {
  kernels::BinaryParams p;
  p.op = op;
  return p;
}

// ConvTranspose 2x2 stride 2 (PP-OCR's upsampling), group 1.
kernels::ConvTransposeParams upsample2x2(bool bias) {
  kernels::ConvTransposeParams p;
  p.kernel[0] = p.kernel[1] = p.stride[0] = p.stride[1] = 2;
  p.hasBias = bias ? 1 : 0;
  return p;
}

kernels::ActivationParams act(Activation kind, float alpha = 0, float beta = 0) {
  kernels::ActivationParams p;
  p.kind = kind;
  p.alpha = alpha;
  p.beta = beta;
  return p;
}

// A graph with one input x: 1x3x6x5 and helpers to add a Conv (3 -> 4 channels) to it.
struct ConvGraph {
  GraphBuilder b;
  ValueId x = b.input("x", Shape::of({1, 3, 6, 5}));

  ValueId conv(const std::string& name, ValueId in, bool bias, unsigned seed) {
    std::vector<ValueId> inputs{in, b.randomConstant(name + ".w", Shape::of({4, 3, 3, 3}), seed)};
    if (bias) inputs.push_back(b.randomConstant(name + ".b", Shape::of({4}), seed + 100));
    return b.node(name, OpCode::kConv, conv3x3(bias), inputs);
  }

  ValueId batchNorm(const std::string& name, ValueId in, unsigned seed) {
    kernels::BatchNormParams p;
    p.epsilon = 1e-3f;
    return b.node(name, OpCode::kBatchNorm, p,
                  {in, b.randomConstant(name + ".scale", Shape::of({4}), seed, 0.5f, 2.0f),
                   b.randomConstant(name + ".bias", Shape::of({4}), seed + 1),
                   b.randomConstant(name + ".mean", Shape::of({4}), seed + 2),
                   b.randomConstant(name + ".var", Shape::of({4}), seed + 3, 0.1f, 2.0f)});
  }

  std::vector<float> input() const { return randomFloats(1 * 3 * 6 * 5, 7); }
};

void expectValid(const Graph& g) {
  auto r = verifyGraph(g);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
}

int countOps(const Graph& g, OpCode op) {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op == op ? 1 : 0;
  return n;
}

// --- fusePatterns ----------------------------------------------------------------------------

struct LayerNormGraph {
  GraphBuilder b;
  ValueId x = b.input("x", Shape::of({2, 3, 4}));
  ValueId d, n;

  // The spelled-out LayerNorm over the last axis (mean mask 0b100), up to the Div.
  explicit LayerNormGraph(bool mulSquare = false) {
    kernels::ReduceParams mean;
    mean.axesMask = 0b100;
    const ValueId m = b.node("mean", OpCode::kReduce, mean, {x});
    d = b.node("sub", OpCode::kBinary, binary(BinaryOp::kSub), {x, m});
    const ValueId sq = mulSquare ? b.node("sq", OpCode::kBinary, binary(BinaryOp::kMul), {d, d})
                                 : b.node("sq", OpCode::kBinary, binary(BinaryOp::kPow),
                                          {d, b.constant("two", Shape{}, {2.0f})});
    const ValueId v = b.node("var", OpCode::kReduce, mean, {sq});
    const ValueId ve = b.node("eps", OpCode::kBinary, add(), {v, b.constant("e", Shape{}, {1e-3f})});
    kernels::UnaryParams sqrt;
    sqrt.kind = kernels::UnaryKind::kSqrt;
    const ValueId s = b.node("sqrt", OpCode::kUnary, sqrt, {ve});
    n = b.node("div", OpCode::kBinary, binary(BinaryOp::kDiv), {d, s});
  }
};

TEST(FusePatterns, SpelledOutLayerNormWithAffineBecomesOneNode) {
  for (bool mulSquare : {false, true}) {
    LayerNormGraph g(mulSquare);
    ValueId y = g.b.node("gamma", OpCode::kBinary, binary(BinaryOp::kMul),
                         {g.n, g.b.randomConstant("g", Shape::of({4}), 3)});
    y = g.b.node("beta", OpCode::kBinary, add(), {g.b.randomConstant("b", Shape::of({1, 4}), 4), y});
    g.b.output(y);
    const std::vector<float> in = randomFloats(24, 5, -3.0f, 3.0f);
    const auto before = runGraph(g.b.graph, {in})[0];
    ASSERT_TRUE(fusePatterns(g.b.graph).ok());
    expectValid(g.b.graph);
    ASSERT_EQ(g.b.graph.nodes.size(), 1u) << "Mul square: " << mulSquare;
    EXPECT_EQ(g.b.graph.nodes[0].op, OpCode::kLayerNorm);
    const auto p = g.b.graph.nodes[0].paramsAs<kernels::LayerNormParams>();
    EXPECT_EQ(p.axis, 2);
    EXPECT_EQ(p.epsilon, 1e-3f);
    const auto after = runGraph(g.b.graph, {in})[0];
    for (std::size_t i = 0; i < before.size(); ++i) EXPECT_NEAR(after[i], before[i], 1e-5f) << i;
  }
}

TEST(FusePatterns, LayerNormWithoutAffineAndNotWhenAPieceIsSeen) {
  {
    LayerNormGraph g;
    g.b.output(g.n);
    const std::vector<float> in = randomFloats(24, 6, -3.0f, 3.0f);
    const auto before = runGraph(g.b.graph, {in})[0];
    ASSERT_TRUE(fusePatterns(g.b.graph).ok());
    expectValid(g.b.graph);
    ASSERT_EQ(g.b.graph.nodes.size(), 1u);
    const auto after = runGraph(g.b.graph, {in})[0];
    for (std::size_t i = 0; i < before.size(); ++i) EXPECT_NEAR(after[i], before[i], 1e-5f) << i;
  }
  {
    LayerNormGraph g;  // x - mean is also a graph output: it must stay computed
    g.b.output(g.n);
    g.b.output(g.d);
    ASSERT_TRUE(fusePatterns(g.b.graph).ok());
    EXPECT_EQ(countOps(g.b.graph, OpCode::kLayerNorm), 0);
  }
  {
    LayerNormGraph g;  // gamma computed at run time: the LayerNorm fuses, the Mul stays
    const ValueId gamma = g.b.input("gamma", Shape::of({4}));
    g.b.output(g.b.node("gamma", OpCode::kBinary, binary(BinaryOp::kMul), {g.n, gamma}));
    ASSERT_TRUE(fusePatterns(g.b.graph).ok());
    expectValid(g.b.graph);
    EXPECT_EQ(countOps(g.b.graph, OpCode::kLayerNorm), 1);
    EXPECT_EQ(g.b.graph.nodes.size(), 2u);
  }
}

TEST(FusePatterns, GeluErfFormsBecomeOneNode) {
  // 0: (x * (1 + erf(x / sqrt2))) * 0.5; 1: (x * 0.5) * (1 + erf(x * 1/sqrt2));
  // 2: ((1 + erf) * 0.5) * x.
  for (int form = 0; form < 3; ++form) {
    GraphBuilder b;
    const ValueId x = b.input("x", Shape::of({3, 5}));
    const ValueId scaled = form == 1 ? b.node("scale", OpCode::kBinary, binary(BinaryOp::kMul),
                                              {x, b.constant("r", Shape{}, {0.70710678f})})
                                     : b.node("scale", OpCode::kBinary, binary(BinaryOp::kDiv),
                                              {x, b.constant("s", Shape{}, {1.4142135f})});
    kernels::UnaryParams erf;
    erf.kind = kernels::UnaryKind::kErf;
    const ValueId e = b.node("erf", OpCode::kUnary, erf, {scaled});
    const ValueId p = b.node("plus1", OpCode::kBinary, add(), {e, b.constant("one", Shape{}, {1.0f})});
    const ValueId half = b.constant("half", Shape{}, {0.5f});
    ValueId y;
    if (form == 0) {
      y = b.node("mul_half", OpCode::kBinary, binary(BinaryOp::kMul),
                 {b.node("mul_x", OpCode::kBinary, binary(BinaryOp::kMul), {x, p}), half});
    } else if (form == 1) {
      y = b.node("mul", OpCode::kBinary, binary(BinaryOp::kMul),
                 {b.node("half_x", OpCode::kBinary, binary(BinaryOp::kMul), {x, half}), p});
    } else {
      y = b.node("mul_x", OpCode::kBinary, binary(BinaryOp::kMul),
                 {b.node("mul_half", OpCode::kBinary, binary(BinaryOp::kMul), {p, half}), x});
    }
    b.output(y);
    const std::vector<float> in = randomFloats(15, 9, -4.0f, 4.0f);
    const auto before = runGraph(b.graph, {in})[0];
    ASSERT_TRUE(fusePatterns(b.graph).ok());
    expectValid(b.graph);
    ASSERT_EQ(b.graph.nodes.size(), 1u) << "form " << form;
    EXPECT_EQ(b.graph.nodes[0].paramsAs<kernels::UnaryParams>().kind, kernels::UnaryKind::kGelu);
    const auto after = runGraph(b.graph, {in})[0];
    for (std::size_t i = 0; i < before.size(); ++i) EXPECT_NEAR(after[i], before[i], 1e-6f) << i;
  }
}

TEST(FusePatterns, NoGeluWhenTheConstantIsAnother) {
  GraphBuilder b;
  const ValueId x = b.input("x", Shape::of({4}));
  const ValueId scaled = b.node("scale", OpCode::kBinary, binary(BinaryOp::kDiv), {x, b.constant("s", Shape{}, {2.0f})});
  kernels::UnaryParams erf;
  erf.kind = kernels::UnaryKind::kErf;
  const ValueId e = b.node("erf", OpCode::kUnary, erf, {scaled});
  const ValueId p = b.node("plus1", OpCode::kBinary, add(), {e, b.constant("one", Shape{}, {1.0f})});
  b.output(b.node("mul_half", OpCode::kBinary, binary(BinaryOp::kMul),
                  {b.node("mul_x", OpCode::kBinary, binary(BinaryOp::kMul), {x, p}), b.constant("h", Shape{}, {0.5f})}));
  ASSERT_TRUE(fusePatterns(b.graph).ok());
  EXPECT_EQ(b.graph.nodes.size(), 5u);
}

// --- foldConstants ---------------------------------------------------------------------------

TEST(FoldConstants, EvaluatesNodesWithOnlyConstantInputs) {
  GraphBuilder b;
  const ValueId x = b.input("x", Shape::of({2, 3}));
  const ValueId c1 = b.constant("c1", Shape::of({2, 3}), {1, 2, 3, 4, 5, 6});
  const ValueId c2 = b.constant("c2", Shape::of({3}), {10, 20, 30});
  const ValueId sum = b.node("sum", OpCode::kBinary, add(), {c1, c2});
  kernels::TransposeParams t;
  t.rank = 2;
  t.perm[0] = 1;
  t.perm[1] = 0;
  const ValueId tr = b.node("tr", OpCode::kTranspose, t, {sum});
  kernels::ReshapeParams r;
  r.shape = Shape::of({2, 3});
  const ValueId back = b.node("back", OpCode::kReshape, r, {tr});
  const ValueId y = b.node("y", OpCode::kBinary, add(), {x, back});
  b.output(y);

  Graph g = b.graph;
  ASSERT_TRUE(foldConstants(g).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].name, "y");
  const Value& folded = g.value(back);
  ASSERT_TRUE(folded.isConstant);
  // c1 + c2 = [[11,22,33],[14,25,36]], transposed = [[11,14],[22,25],[33,36]], read as 2x3.
  EXPECT_EQ(testing::bytesToFloats(folded.data), (std::vector<float>{11, 14, 22, 25, 33, 36}));
  expectValid(g);
  const auto in = randomFloats(6, 3);
  testing::expectNear(runGraph(g, {in})[0], runGraph(b.graph, {in})[0], 0.0f);
}

TEST(FoldConstants, LeavesRuntimeNodesAlone) {
  GraphBuilder b;
  const ValueId x = b.input("x", Shape::of({4}));
  b.output(b.node("relu", OpCode::kActivation, act(Activation::kRelu), {x}));
  Graph g = b.graph;
  ASSERT_TRUE(foldConstants(g).ok());
  EXPECT_EQ(g.nodes.size(), 1u);
}

// --- foldAffine ------------------------------------------------------------------------------

TEST(FoldBatchNorm, FoldsIntoConvWithBiasAndKeepsResults) {
  ConvGraph c;
  const ValueId y = c.batchNorm("bn", c.conv("conv", c.x, true, 1), 20);
  c.b.output(y);
  Graph g = c.b.graph;
  ASSERT_TRUE(foldAffine(g).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op, OpCode::kConv);
  EXPECT_EQ(g.nodes[0].outputs[0], y);  // the graph output keeps its value and name
  expectValid(g);
  testing::expectNear(runGraph(g, {c.input()})[0], runGraph(c.b.graph, {c.input()})[0], 1e-5f);
}

TEST(FoldBatchNorm, CreatesBiasWhenConvHasNone) {
  ConvGraph c;
  c.b.output(c.batchNorm("bn", c.conv("conv", c.x, false, 2), 30));
  Graph g = c.b.graph;
  ASSERT_TRUE(foldAffine(g).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  const Node& conv = g.nodes[0];
  EXPECT_EQ(conv.paramsAs<kernels::ConvParams>().hasBias, 1);
  ASSERT_EQ(conv.inputs.size(), 3u);
  EXPECT_TRUE(g.value(conv.inputs[2]).isConstant);
  EXPECT_EQ(g.value(conv.inputs[2]).type.shape, Shape::of({4}));
  expectValid(g);
  testing::expectNear(runGraph(g, {c.input()})[0], runGraph(c.b.graph, {c.input()})[0], 1e-5f);
}

TEST(FoldBatchNorm, NotWhenConvOutputHasAnotherConsumer) {
  ConvGraph c;
  const ValueId conv = c.conv("conv", c.x, true, 3);
  c.b.output(c.batchNorm("bn", conv, 40));
  c.b.output(c.b.node("relu", OpCode::kActivation, act(Activation::kRelu), {conv}));
  Graph g = c.b.graph;
  ASSERT_TRUE(foldAffine(g).ok());
  EXPECT_EQ(countOps(g, OpCode::kBatchNorm), 1);
}

TEST(FoldBatchNorm, NotWhenConvOutputIsAGraphOutput) {
  ConvGraph c;
  const ValueId conv = c.conv("conv", c.x, true, 4);
  c.b.output(conv);
  c.b.output(c.batchNorm("bn", conv, 50));
  Graph g = c.b.graph;
  ASSERT_TRUE(foldAffine(g).ok());
  EXPECT_EQ(countOps(g, OpCode::kBatchNorm), 1);
}

TEST(FoldBatchNorm, NotWhenWeightsAreShared) {
  ConvGraph c;
  const ValueId w = c.b.randomConstant("w", Shape::of({4, 3, 3, 3}), 5);
  const ValueId conv1 = c.b.node("conv1", OpCode::kConv, conv3x3(false), {c.x, w});
  c.b.output(c.batchNorm("bn", conv1, 60));
  c.b.output(c.b.node("conv2", OpCode::kConv, conv3x3(false), {c.x, w}));
  Graph g = c.b.graph;
  ASSERT_TRUE(foldAffine(g).ok());
  EXPECT_EQ(countOps(g, OpCode::kBatchNorm), 1);
}

TEST(FoldBatchNorm, NotWhenWeightsAreARuntimeInput) {
  GraphBuilder b;
  const ValueId x = b.input("x", Shape::of({1, 3, 6, 5}));
  const ValueId w = b.input("w", Shape::of({4, 3, 3, 3}));
  const ValueId conv = b.node("conv", OpCode::kConv, conv3x3(false), {x, w});
  kernels::BatchNormParams p;
  b.output(b.node(
      "bn", OpCode::kBatchNorm, p,
      {conv, b.constant("s", Shape::of({4}), {1, 2, 3, 4}),
       b.constant("o", Shape::of({4}), {0, 0, 0, 0}), b.constant("m", Shape::of({4}), {0, 0, 0, 0}),
       b.constant("v", Shape::of({4}), {1, 1, 1, 1})}));
  Graph g = b.graph;
  ASSERT_TRUE(foldAffine(g).ok());
  EXPECT_EQ(countOps(g, OpCode::kBatchNorm), 1);
}

TEST(FoldAffine, ScalarAndPerChannelMulAddSubDivChainFoldsIntoConv) {
  using kernels::BinaryOp;
  ConvGraph c;
  ValueId y = c.conv("conv", c.x, false, 21);
  // (k0 * conv + k1[c]) - k2, then / k3, then k4 - that: every form the pass takes.
  y = c.b.node("mul", OpCode::kBinary, binary(BinaryOp::kMul), {c.b.constant("k0", Shape::of({1}), {1.5f}), y});
  y = c.b.node("add", OpCode::kBinary, binary(BinaryOp::kAdd),
               {y, c.b.randomConstant("k1", Shape::of({1, 4, 1, 1}), 22)});
  y = c.b.node("sub", OpCode::kBinary, binary(BinaryOp::kSub), {y, c.b.constant("k2", Shape{}, {0.25f})});
  y = c.b.node("div", OpCode::kBinary, binary(BinaryOp::kDiv),
               {y, c.b.constant("k3", Shape::of({4, 1, 1}), {2.0f, -4.0f, 0.5f, 8.0f})});
  y = c.b.node("rsub", OpCode::kBinary, binary(BinaryOp::kSub), {c.b.constant("k4", Shape::of({1}), {3.0f}), y});
  c.b.output(y);
  Graph g = c.b.graph;
  ASSERT_TRUE(foldAffine(g).ok());
  expectValid(g);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op, OpCode::kConv);
  EXPECT_EQ(g.nodes[0].paramsAs<kernels::ConvParams>().hasBias, 1);
  EXPECT_EQ(g.nodes[0].outputs[0], y);
  testing::expectNear(runGraph(g, {c.input()})[0], runGraph(c.b.graph, {c.input()})[0], 1e-5f);
}

TEST(FoldAffine, NotForConstantDividedByConvOrZeroOrBroadcastOrRuntimeOperand) {
  using kernels::BinaryOp;
  {
    ConvGraph c;  // k / conv is not affine
    c.b.output(c.b.node("div", OpCode::kBinary, binary(BinaryOp::kDiv),
                        {c.b.constant("k", Shape::of({1}), {2.0f}), c.conv("conv", c.x, true, 23)}));
    Graph g = c.b.graph;
    ASSERT_TRUE(foldAffine(g).ok());
    EXPECT_EQ(countOps(g, OpCode::kBinary), 1);
  }
  {
    ConvGraph c;  // division by 0
    c.b.output(c.b.node("div", OpCode::kBinary, binary(BinaryOp::kDiv),
                        {c.conv("conv", c.x, true, 24), c.b.constant("k", Shape::of({1}), {0.0f})}));
    Graph g = c.b.graph;
    ASSERT_TRUE(foldAffine(g).ok());
    EXPECT_EQ(countOps(g, OpCode::kBinary), 1);
  }
  {
    ConvGraph c;  // varies along the width, not the channels
    c.b.output(c.b.node("mul", OpCode::kBinary, binary(BinaryOp::kMul),
                        {c.conv("conv", c.x, true, 25), c.b.randomConstant("k", Shape::of({5}), 26)}));
    Graph g = c.b.graph;
    ASSERT_TRUE(foldAffine(g).ok());
    EXPECT_EQ(countOps(g, OpCode::kBinary), 1);
  }
  {
    ConvGraph c;  // the other operand is computed at run time
    const ValueId s = c.b.input("s", Shape::of({1}));
    c.b.output(c.b.node("mul", OpCode::kBinary, binary(BinaryOp::kMul), {c.conv("conv", c.x, true, 27), s}));
    Graph g = c.b.graph;
    ASSERT_TRUE(foldAffine(g).ok());
    EXPECT_EQ(countOps(g, OpCode::kBinary), 1);
  }
  {
    ConvGraph c;  // a fused activation sits between the conv and the map
    GraphBuilder& b = c.b;
    auto p = conv3x3(true);
    p.activation.kind = Activation::kRelu;
    const ValueId conv = b.node("conv", OpCode::kConv, p,
                                {c.x, b.randomConstant("w", Shape::of({4, 3, 3, 3}), 28),
                                 b.randomConstant("b", Shape::of({4}), 29)});
    b.output(b.node("mul", OpCode::kBinary, binary(BinaryOp::kMul), {conv, b.constant("k", Shape::of({1}), {2.0f})}));
    Graph g = b.graph;
    ASSERT_TRUE(foldAffine(g).ok());
    EXPECT_EQ(countOps(g, OpCode::kBinary), 1);
  }
}

TEST(FoldAffine, ConvTransposeBiasAddAndBatchNormFoldPerOutputChannel) {
  // PP-OCR's head: ConvTranspose (no bias) -> Add(bias 1xCx1x1) -> BatchNorm, here with
  // 2 groups so that the output channel of each weight is worked out per group.
  GraphBuilder b;
  const ValueId x = b.input("x", Shape::of({1, 4, 3, 5}));
  auto p = upsample2x2(false);
  p.group = 2;
  const ValueId up = b.node("up", OpCode::kConvTranspose, p, {x, b.randomConstant("w", Shape::of({4, 3, 2, 2}), 31)});
  const ValueId biased = b.node("bias", OpCode::kBinary, add(), {up, b.randomConstant("k", Shape::of({1, 6, 1, 1}), 32)});
  kernels::BatchNormParams bn;
  bn.epsilon = 1e-5f;
  const ValueId y = b.node("bn", OpCode::kBatchNorm, bn,
                           {biased, b.randomConstant("s", Shape::of({6}), 33, 0.5f, 2.0f),
                            b.randomConstant("o", Shape::of({6}), 34), b.randomConstant("m", Shape::of({6}), 35),
                            b.randomConstant("v", Shape::of({6}), 36, 0.1f, 2.0f)});
  b.output(y);
  Graph g = b.graph;
  ASSERT_TRUE(foldAffine(g).ok());
  expectValid(g);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op, OpCode::kConvTranspose);
  EXPECT_EQ(g.nodes[0].paramsAs<kernels::ConvTransposeParams>().hasBias, 1);
  const auto in = randomFloats(60, 37);
  testing::expectNear(runGraph(g, {in})[0], runGraph(b.graph, {in})[0], 1e-5f);
}

// --- fuseEpilogue ----------------------------------------------------------------------------

// conv -> x * Clip(x + 3, 0, 6) / 6 (or * 1/6), as PaddleOCR's exporter writes HardSwish;
// `swapped` puts the operands of the Add and the Mul the other way round.
ValueId spelledHardSwish(ConvGraph& c, ValueId x, bool divide, bool swapped) {
  using kernels::BinaryOp;
  GraphBuilder& b = c.b;
  const ValueId three = b.constant("three", Shape{}, {3.0f});
  const ValueId shifted = b.node("add3", OpCode::kBinary, add(), swapped ? std::vector{three, x} : std::vector{x, three});
  const ValueId clipped = b.node("clip", OpCode::kActivation, act(Activation::kClip, 0.0f, 6.0f), {shifted});
  const ValueId product = b.node("mul", OpCode::kBinary, binary(BinaryOp::kMul),
                                 swapped ? std::vector{clipped, x} : std::vector{x, clipped});
  if (divide) {
    return b.node("div6", OpCode::kBinary, binary(BinaryOp::kDiv), {product, b.constant("six", Shape::of({1}), {6.0f})});
  }
  return b.node("mul6", OpCode::kBinary, binary(BinaryOp::kMul), {b.constant("sixth", Shape::of({1}), {1.0f / 6.0f}), product});
}

TEST(FuseEpilogue, SpelledOutHardSwishAndScalarAffineBecomeOneConv) {
  using kernels::BinaryOp;
  for (int form = 0; form < 4; ++form) {
    SCOPED_TRACE(form);
    ConvGraph c;
    const ValueId h = spelledHardSwish(c, c.conv("conv", c.x, true, 41), form % 2 == 0, form >= 2);
    // PP-LCNet's learnable affine block after the activation: * a + b.
    ValueId y = c.b.node("scale", OpCode::kBinary, binary(BinaryOp::kMul), {c.b.constant("a", Shape::of({1}), {0.75f}), h});
    y = c.b.node("shift", OpCode::kBinary, binary(BinaryOp::kAdd), {y, c.b.constant("b", Shape::of({1}), {-0.5f})});
    c.b.output(y);
    Graph g = c.b.graph;
    ASSERT_TRUE(fuseEpilogue(g).ok());
    expectValid(g);
    ASSERT_EQ(g.nodes.size(), 1u);
    const auto p = g.nodes[0].paramsAs<kernels::ConvParams>();
    EXPECT_EQ(p.activation.kind, Activation::kHardSwishAffine);
    EXPECT_EQ(p.activation.alpha, 0.75f);
    EXPECT_EQ(p.activation.beta, -0.5f);
    EXPECT_EQ(g.nodes[0].outputs[0], y);
    testing::expectNear(runGraph(g, {c.input()})[0], runGraph(c.b.graph, {c.input()})[0], 1e-5f);
  }
}

TEST(FuseEpilogue, HardSwishAloneFusesWithoutAffine) {
  ConvGraph c;
  c.b.output(spelledHardSwish(c, c.conv("conv", c.x, false, 42), true, false));
  Graph g = c.b.graph;
  ASSERT_TRUE(fuseEpilogue(g).ok());
  expectValid(g);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].paramsAs<kernels::ConvParams>().activation.kind, Activation::kHardSwish);
  testing::expectNear(runGraph(g, {c.input()})[0], runGraph(c.b.graph, {c.input()})[0], 1e-5f);
}

TEST(FuseEpilogue, NoHardSwishWhenAPieceIsReadElsewhereOrTheConstantsDiffer) {
  {
    ConvGraph c;  // the clipped value is a graph output too
    const ValueId h = spelledHardSwish(c, c.conv("conv", c.x, true, 43), true, false);
    c.b.output(h);
    for (const Node& n : c.b.graph.nodes) {
      if (n.name == "clip") c.b.output(n.outputs[0]);
    }
    Graph g = c.b.graph;
    ASSERT_TRUE(fuseEpilogue(g).ok());
    expectValid(g);
    EXPECT_EQ(countOps(g, OpCode::kBinary), 3);
  }
  {
    ConvGraph c;  // x * Clip(x + 3, 0, 6) / 5 is not HardSwish
    using kernels::BinaryOp;
    const ValueId x = c.conv("conv", c.x, true, 44);
    const ValueId shifted = c.b.node("add3", OpCode::kBinary, add(), {x, c.b.constant("three", Shape{}, {3.0f})});
    const ValueId clipped = c.b.node("clip", OpCode::kActivation, act(Activation::kClip, 0.0f, 6.0f), {shifted});
    const ValueId product = c.b.node("mul", OpCode::kBinary, binary(BinaryOp::kMul), {x, clipped});
    c.b.output(c.b.node("div5", OpCode::kBinary, binary(BinaryOp::kDiv), {product, c.b.constant("five", Shape{}, {5.0f})}));
    Graph g = c.b.graph;
    ASSERT_TRUE(fuseEpilogue(g).ok());
    expectValid(g);
    EXPECT_EQ(countOps(g, OpCode::kBinary), 3);
    testing::expectNear(runGraph(g, {c.input()})[0], runGraph(c.b.graph, {c.input()})[0], 1e-5f);
  }
}

TEST(FuseEpilogue, ReluFusesIntoConvTranspose) {
  GraphBuilder b;
  const ValueId x = b.input("x", Shape::of({1, 3, 4, 4}));
  const ValueId up = b.node("up", OpCode::kConvTranspose, upsample2x2(true),
                            {x, b.randomConstant("w", Shape::of({3, 5, 2, 2}), 51), b.randomConstant("b", Shape::of({5}), 52)});
  b.output(b.node("relu", OpCode::kActivation, act(Activation::kRelu), {up}));
  Graph g = b.graph;
  ASSERT_TRUE(fuseEpilogue(g).ok());
  expectValid(g);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].paramsAs<kernels::ConvTransposeParams>().activation.kind, Activation::kRelu);
  const auto in = randomFloats(48, 53);
  testing::expectNear(runGraph(g, {in})[0], runGraph(b.graph, {in})[0], 0.0f);
}

TEST(FuseEpilogue, ConvAddReluBecomesOneConvAndKeepsResults) {
  ConvGraph c;
  const ValueId conv = c.conv("conv", c.x, true, 6);
  const ValueId skip = c.conv("skip", c.x, false, 7);
  const ValueId sum = c.b.node("add", OpCode::kBinary, add(), {conv, skip});
  c.b.output(c.b.node("relu", OpCode::kActivation, act(Activation::kRelu), {sum}));
  Graph g = c.b.graph;
  ASSERT_TRUE(fuseEpilogue(g).ok());
  expectValid(g);
  ASSERT_EQ(g.nodes.size(), 2u);
  const Node& fused = g.nodes[1];
  EXPECT_EQ(fused.name, "conv");
  const auto p = fused.paramsAs<kernels::ConvParams>();
  EXPECT_EQ(p.hasResidual, 1);
  EXPECT_EQ(p.activation.kind, Activation::kRelu);
  ASSERT_EQ(fused.inputs.size(), 4u);
  EXPECT_EQ(fused.inputs[3], skip);
  EXPECT_EQ(fused.outputs[0], g.outputs[0]);
  testing::expectNear(runGraph(g, {c.input()})[0], runGraph(c.b.graph, {c.input()})[0], 1e-5f);
}

TEST(FuseEpilogue, ResidualComputedAfterTheConvMovesTheFusedConvLater) {
  ConvGraph c;
  const ValueId conv = c.conv("conv", c.x, true, 8);  // node 0
  const ValueId skip = c.conv("skip", c.x, true, 9);  // node 1, after the conv
  c.b.output(c.b.node("add", OpCode::kBinary, add(), {conv, skip}));
  Graph g = c.b.graph;
  ASSERT_TRUE(fuseEpilogue(g).ok());
  expectValid(g);  // topological: the fused conv now runs after "skip"
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].name, "skip");
  EXPECT_EQ(g.nodes[1].name, "conv");
  EXPECT_EQ(g.nodes[1].paramsAs<kernels::ConvParams>().hasResidual, 1);
  EXPECT_EQ(g.nodes[1].inputs[3], skip);
  testing::expectNear(runGraph(g, {c.input()})[0], runGraph(c.b.graph, {c.input()})[0], 1e-5f);
}

TEST(FuseEpilogue, NoResidualWhenConvOutputHasTwoConsumers) {
  ConvGraph c;
  const ValueId conv = c.conv("conv", c.x, true, 10);
  const ValueId other = c.conv("other", c.x, true, 11);
  c.b.output(c.b.node("add", OpCode::kBinary, add(), {conv, other}));
  c.b.output(c.b.node("relu", OpCode::kActivation, act(Activation::kRelu), {conv}));
  Graph g = c.b.graph;
  ASSERT_TRUE(fuseEpilogue(g).ok());
  expectValid(g);
  // "other" has one consumer, so it takes the residual instead; "conv" is untouched.
  for (const Node& n : g.nodes) {
    if (n.name == "conv") {
      EXPECT_EQ(n.paramsAs<kernels::ConvParams>().hasResidual, 0);
    }
  }
  testing::expectNear(runGraph(g, {c.input()})[0], runGraph(c.b.graph, {c.input()})[0], 1e-5f);
}

TEST(FuseEpilogue, NoResidualWhenConvOutputsAreGraphOutputs) {
  ConvGraph c;
  const ValueId conv = c.conv("conv", c.x, true, 12);
  const ValueId other = c.conv("other", c.x, true, 19);
  c.b.output(c.b.node("add", OpCode::kBinary, add(), {conv, other}));
  c.b.output(conv);  // graph outputs: must stay materialized
  c.b.output(other);
  Graph g = c.b.graph;
  ASSERT_TRUE(fuseEpilogue(g).ok());
  EXPECT_EQ(countOps(g, OpCode::kBinary), 1);
  EXPECT_EQ(g.nodes[0].paramsAs<kernels::ConvParams>().hasResidual, 0);
  EXPECT_EQ(g.nodes[1].paramsAs<kernels::ConvParams>().hasResidual, 0);
}

TEST(FuseEpilogue, NoResidualWhenAddBroadcasts) {
  ConvGraph c;
  const ValueId conv = c.conv("conv", c.x, true, 13);
  const ValueId bias = c.b.randomConstant("chan", Shape::of({1, 4, 1, 1}), 14);
  c.b.output(c.b.node("add", OpCode::kBinary, add(), {conv, bias}));
  Graph g = c.b.graph;
  ASSERT_TRUE(fuseEpilogue(g).ok());
  EXPECT_EQ(countOps(g, OpCode::kBinary), 1);
  EXPECT_EQ(g.nodes[0].paramsAs<kernels::ConvParams>().hasResidual, 0);
}

TEST(FuseEpilogue, NoResidualWhenAddingTheConvOutputToItself) {
  ConvGraph c;
  const ValueId conv = c.conv("conv", c.x, true, 15);
  c.b.output(c.b.node("add", OpCode::kBinary, add(), {conv, conv}));
  Graph g = c.b.graph;
  ASSERT_TRUE(fuseEpilogue(g).ok());
  EXPECT_EQ(countOps(g, OpCode::kBinary), 1);
}

TEST(FuseEpilogue, NoActivationFusionWhenIntermediateIsAGraphOutput) {
  ConvGraph c;
  const ValueId conv = c.conv("conv", c.x, true, 16);
  c.b.output(conv);
  c.b.output(c.b.node("relu", OpCode::kActivation, act(Activation::kRelu), {conv}));
  Graph g = c.b.graph;
  ASSERT_TRUE(fuseEpilogue(g).ok());
  EXPECT_EQ(countOps(g, OpCode::kActivation), 1);
}

TEST(FuseEpilogue, NoActivationFusionWhenProducerHasTwoConsumers) {
  ConvGraph c;
  const ValueId conv = c.conv("conv", c.x, true, 17);
  c.b.output(c.b.node("relu", OpCode::kActivation, act(Activation::kRelu), {conv}));
  c.b.output(c.b.node("sig", OpCode::kActivation, act(Activation::kSigmoid), {conv}));
  Graph g = c.b.graph;
  ASSERT_TRUE(fuseEpilogue(g).ok());
  EXPECT_EQ(countOps(g, OpCode::kActivation), 2);
}

TEST(FuseEpilogue, ClipFusesIntoBinaryAndSecondActivationStaysSeparate) {
  GraphBuilder b;
  const ValueId x = b.input("x", Shape::of({2, 5}));
  const ValueId y = b.input("y", Shape::of({5}));
  const ValueId sum = b.node("add", OpCode::kBinary, add(), {x, y});
  const ValueId clip =
      b.node("clip", OpCode::kActivation, act(Activation::kClip, 0.0f, 0.5f), {sum});
  b.output(b.node("tanh", OpCode::kActivation, act(Activation::kTanh), {clip}));
  Graph g = b.graph;
  ASSERT_TRUE(fuseEpilogue(g).ok());
  expectValid(g);
  ASSERT_EQ(g.nodes.size(), 2u);
  const auto p = g.nodes[0].paramsAs<kernels::BinaryParams>();
  EXPECT_EQ(p.activation.kind, Activation::kClip);
  EXPECT_EQ(p.activation.beta, 0.5f);
  EXPECT_EQ(g.nodes[1].op, OpCode::kActivation);
  const auto in0 = randomFloats(10, 1);
  const auto in1 = randomFloats(5, 2);
  testing::expectNear(runGraph(g, {in0, in1})[0], runGraph(b.graph, {in0, in1})[0], 1e-6f);
}

TEST(FuseEpilogue, NoActivationFusionIntoOtherOps) {
  GraphBuilder b;
  const ValueId x = b.input("x", Shape::of({1, 4, 3, 3}));
  const ValueId pool = b.node("gap", OpCode::kGlobalAveragePool, kernels::GlobalPoolParams{}, {x});
  b.output(b.node("relu", OpCode::kActivation, act(Activation::kRelu), {pool}));
  Graph g = b.graph;
  ASSERT_TRUE(fuseEpilogue(g).ok());
  EXPECT_EQ(g.nodes.size(), 2u);
}

// --- removeDeadNodes -------------------------------------------------------------------------

TEST(RemoveDeadNodes, DropsNodesThatReachNoOutputAndCompactsValues) {
  GraphBuilder b;
  const ValueId x = b.input("x", Shape::of({3}));
  const ValueId unused = b.input("unused", Shape::of({3}));
  const ValueId dead1 = b.node("dead1", OpCode::kActivation, act(Activation::kSigmoid), {x});
  b.node("dead2", OpCode::kBinary, add(), {dead1, unused});
  b.constant("orphan", Shape::of({2}), {1, 2});
  const ValueId live = b.node("live", OpCode::kActivation, act(Activation::kRelu), {x});
  b.output(live);
  Graph g = b.graph;
  ASSERT_TRUE(removeDeadNodes(g).ok());
  expectValid(g);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].name, "live");
  // x, unused (graph inputs stay) and live.out remain.
  ASSERT_EQ(g.values.size(), 3u);
  ASSERT_EQ(g.inputs.size(), 2u);
  EXPECT_EQ(g.value(g.inputs[0]).name, "x");
  EXPECT_EQ(g.value(g.inputs[1]).name, "unused");
  EXPECT_EQ(g.value(g.outputs[0]).name, "live.out");
  EXPECT_EQ(g.value(g.nodes[0].inputs[0]).name, "x");
}

// --- chooseLayout ----------------------------------------------------------------------------

TEST(ChooseLayout, PicksTheReferenceKernelAndPlainLayouts) {
  ConvGraph c;
  c.b.output(c.conv("conv", c.x, true, 18));
  Graph g = c.b.graph;
  g.nodes[0].variant = 7;
  for (Value& v : g.values) v.layout = static_cast<Layout>(3);
  ASSERT_TRUE(chooseLayout(g).ok());
  EXPECT_EQ(g.nodes[0].variant, 0);
  for (const Value& v : g.values) EXPECT_EQ(v.layout, Layout::kPlain) << v.name;
}

TEST(ChooseLayout, RejectsAnOpWithoutKernel) {
  GraphBuilder b;
  const ValueId x = b.input("x", Shape::of({3}));
  b.output(b.node("relu", OpCode::kActivation, act(Activation::kRelu), {x}));
  b.graph.nodes[0].op = static_cast<OpCode>(999);
  auto r = chooseLayout(b.graph);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("node relu"), std::string::npos) << r.error().message();
}

// --- runPasses -------------------------------------------------------------------------------

TEST(RunPasses, ResidualBlockCollapsesAndKeepsResults) {
  // conv -> bn -> relu -> conv2 -> bn2 -> add(relu output) -> relu, plus a dead branch and a
  // constant subgraph feeding a Mul.
  ConvGraph c;
  const ValueId a = c.b.node("relu1", OpCode::kActivation, act(Activation::kRelu),
                             {c.batchNorm("bn1", c.conv("conv1", c.x, false, 21), 22)});
  const ValueId k = c.b.node("conv2", OpCode::kConv, conv3x3(true),
                             {a, c.b.randomConstant("w2", Shape::of({4, 4, 3, 3}), 23),
                              c.b.randomConstant("b2", Shape::of({4}), 24)});
  const ValueId bn2 = c.batchNorm("bn2", k, 25);
  const ValueId sum = c.b.node("add", OpCode::kBinary, add(), {bn2, a});
  const ValueId out = c.b.node("relu2", OpCode::kActivation, act(Activation::kRelu), {sum});
  const ValueId two = c.b.node(
      "two", OpCode::kBinary, add(),
      {c.b.constant("one", Shape::of({1}), {1}), c.b.constant("one'", Shape::of({1}), {1})});
  kernels::BinaryParams mul;
  mul.op = kernels::BinaryOp::kMul;
  const ValueId scaled = c.b.node("scale", OpCode::kBinary, mul, {out, two});
  c.b.node("dead", OpCode::kActivation, act(Activation::kTanh), {scaled});
  c.b.output(scaled);

  Graph g = c.b.graph;
  auto r = runPasses(g);
  ASSERT_TRUE(r.ok()) << r.error().message();
  expectValid(g);
  // conv1(+bn1, relu1), conv2(+bn2, residual, relu2), scale.
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(countOps(g, OpCode::kBatchNorm), 0);
  EXPECT_EQ(countOps(g, OpCode::kActivation), 0);
  const auto p2 = g.nodes[1].paramsAs<kernels::ConvParams>();
  EXPECT_EQ(p2.hasResidual, 1);
  EXPECT_EQ(p2.activation.kind, Activation::kRelu);
  for (const Value& v : g.values) {
    if (!v.isConstant && !v.isGraphInput) {
      EXPECT_FALSE(v.name.empty());
    }
  }
  testing::expectNear(runGraph(g, {c.input()})[0], runGraph(c.b.graph, {c.input()})[0], 1e-5f);
}

TEST(RunPasses, IsIdempotent) {
  ConvGraph c;
  const ValueId y = c.b.node("relu", OpCode::kActivation, act(Activation::kRelu),
                             {c.batchNorm("bn", c.conv("conv", c.x, true, 26), 27)});
  c.b.output(y);
  Graph once = c.b.graph;
  ASSERT_TRUE(runPasses(once).ok());
  Graph twice = once;
  ASSERT_TRUE(runPasses(twice).ok());
  ASSERT_EQ(twice.nodes.size(), once.nodes.size());
  ASSERT_EQ(twice.values.size(), once.values.size());
  for (std::size_t i = 0; i < once.nodes.size(); ++i) {
    EXPECT_EQ(twice.nodes[i].params, once.nodes[i].params);
    EXPECT_EQ(twice.nodes[i].inputs, once.nodes[i].inputs);
  }
  for (std::size_t i = 0; i < once.values.size(); ++i) {
    EXPECT_EQ(twice.values[i].data, once.values[i].data);
  }
}

}  // namespace
}  // namespace edgert::compiler
