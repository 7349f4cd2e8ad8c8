// Kernel variant choice by compile target: `--target any` keeps the reference kernels;
// `x86_64` picks the AVX2 Conv variants where they apply (a BlazeFace-like block), the most
// specialized one where several do, and the image loads and computes what the reference
// image computes; `aarch64` picks the NEON ones; the loader refuses a variant that does not
// apply to its op.
#include "compiler/compile.hpp"
#include "compiler/image_writer.hpp"
#include "compiler/passes/passes.hpp"

#include "edgert/kernels/cpu_features.hpp"
#include "edgert/kernels/registry.hpp"
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/model.hpp"
#include "graph_interpreter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

namespace edgert::compiler {
namespace {

using kernels::ConvParams;
using kernels::DType;
using kernels::OpCode;
using kernels::Shape;

bool hostHasAvx2() {
  return std::string_view(kernels::compiledArch()) == "x86_64" && kernels::cpuFeatures().avx2 &&
         kernels::cpuFeatures().fma;
}

class Builder {
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
  ValueId weights(const std::string& name, Shape shape, float scale) {
    Value v;
    v.name = name;
    v.type = {DType::kFloat32, shape};
    v.data = testing::floatBytes(
        testing::randomFloats(static_cast<std::size_t>(shape.numel()), seed_++, -scale, scale));
    v.isConstant = true;
    return graph.addValue(std::move(v));
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
    EXPECT_TRUE(types.ok()) << name << ": " << (types.ok() ? "" : types.error().message());
    Value v;
    v.name = name + ".out";
    if (types.ok()) v.type = types.value()[0];
    const ValueId id = graph.addValue(std::move(v));
    n.outputs = {id};
    graph.nodes.push_back(std::move(n));
    return id;
  }
  // A Conv with bias: depthwise when group > 1.
  ValueId conv(const std::string& name, ValueId x, std::int64_t outChannels, int k, int stride,
               int padBegin, int padEnd, int group) {
    const std::int64_t channels = graph.value(x).type.shape.dims[1];
    ConvParams p;
    p.kernel[0] = p.kernel[1] = k;
    p.stride[0] = p.stride[1] = stride;
    p.padBegin[0] = p.padBegin[1] = padBegin;
    p.padEnd[0] = p.padEnd[1] = padEnd;
    p.group = group;
    p.hasBias = 1;
    const ValueId w = weights(name + ".w", Shape::of({outChannels, channels / group, k, k}), 0.3f);
    const ValueId b = weights(name + ".b", Shape::of({outChannels}), 0.1f);
    return node(name, OpCode::kConv, p, {x, w, b});
  }
  ValueId relu(const std::string& name, ValueId x) {
    kernels::ActivationParams a;
    a.kind = kernels::Activation::kRelu;
    return node(name, OpCode::kActivation, a, {x});
  }
  void output(ValueId id) {
    graph.value(id).isGraphOutput = true;
    graph.outputs.push_back(id);
  }
  Graph graph;

 private:
  unsigned seed_ = 1;
};

// Two BlazeFace blocks: 5x5 depthwise + pointwise + residual + Relu at 24x32x32; a 3x3
// stride-2 depthwise with TensorFlow's asymmetric "same" pads, a widening pointwise +
// Relu; then a 3x3 head (group 1, not 1x1: the general variant).
Graph blazeFaceLike() {
  Builder b;
  const ValueId x = b.input("x", Shape::of({1, 24, 32, 32}));
  const ValueId dw1 = b.conv("dw1", x, 24, 5, 1, 2, 2, 24);
  const ValueId pw1 = b.conv("pw1", dw1, 24, 1, 1, 0, 0, 1);
  kernels::BinaryParams add;
  const ValueId sum = b.node("add1", OpCode::kBinary, add, {pw1, x});
  const ValueId r1 = b.relu("relu1", sum);
  const ValueId dw2 = b.conv("dw2", r1, 24, 3, 2, 0, 1, 24);
  const ValueId pw2 = b.conv("pw2", dw2, 31, 1, 1, 0, 0, 1);
  const ValueId r2 = b.relu("relu2", pw2);
  const ValueId head = b.conv("head", r2, 6, 3, 1, 1, 1, 1);
  b.output(head);
  b.output(r2);
  return b.graph;
}

// The kernel variant chosen for each Conv node, by name of the kind of conv; each
// depthwise Conv and the pointwise one reading it were fused (DepthwisePointwise).
std::string expectedKernel(const Node& n, const char* isaPrefix) {
  if (n.op == OpCode::kDepthwisePointwise) return std::string(isaPrefix) + "-dw-pw";
  const auto p = n.paramsAs<ConvParams>();
  if (p.group > 1) return std::string(isaPrefix) + "-depthwise";
  if (p.kernel[0] == 1 && p.kernel[1] == 1) return std::string(isaPrefix) + "-pointwise";
  // AVX-512 reads a 3x3 conv's input in place (the head: 31 channels).
  if (std::string_view(isaPrefix) == "avx512" && p.kernel[0] == 3 && p.kernel[1] == 3) return "avx512-direct";
  return std::string(isaPrefix) + "-general";
}

void expectVariants(const Graph& g, const char* isaPrefix) {
  int convs = 0;
  for (const Node& n : g.nodes) {
    const kernels::KernelVariant* v = kernels::findVariant(n.op, n.variant);
    ASSERT_NE(v, nullptr) << n.name;
    if ((n.op != OpCode::kConv && n.op != OpCode::kDepthwisePointwise) || isaPrefix == nullptr) {
      EXPECT_EQ(v->name, "ref") << n.name;
      continue;
    }
    ++convs;
    EXPECT_EQ(v->name, expectedKernel(n, isaPrefix)) << n.name;
  }
  if (isaPrefix != nullptr) {
    EXPECT_EQ(convs, 3);  // dw1 + pw1, dw2 + pw2, head
  }
}

model::Header headerOf(const std::vector<std::byte>& image) {
  model::Header h{};
  std::memcpy(&h, image.data(), sizeof h);
  return h;
}

// A 64-byte aligned copy of an image, as Model::fromBytes needs.
struct AlignedImage {
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  explicit AlignedImage(const std::vector<std::byte>& image)
      : bytes(static_cast<std::byte*>(std::aligned_alloc(64, (image.size() + 63) / 64 * 64))),
        size(image.size()) {
    std::memcpy(bytes.get(), image.data(), size);
  }
  std::span<const std::byte> span() const { return {bytes.get(), size}; }
  std::unique_ptr<std::byte, Free> bytes;
  std::size_t size;
};

// Runs an image on `input` (its one graph input); returns its outputs in binding order.
std::vector<std::vector<float>> run(const std::vector<std::byte>& image, const std::vector<float>& input) {
  AlignedImage copy(image);
  auto model = Model::fromBytes(copy.span(), "test image");
  EXPECT_TRUE(model.ok()) << (model.ok() ? "" : model.error().message());
  if (!model.ok()) return {};
  auto engine = Engine::create(*model);
  EXPECT_TRUE(engine.ok()) << (engine.ok() ? "" : engine.error().message());
  if (!engine.ok()) return {};
  EXPECT_EQ((*engine)->inputs().size(), 1u);
  if ((*engine)->inputs().size() != 1) return {};
  const Engine::Binding* x = &(*engine)->inputs()[0];
  EXPECT_EQ(x->type.bytes(), input.size() * sizeof(float));
  std::memcpy(x->data, input.data(), input.size() * sizeof(float));
  (*engine)->invoke();
  std::vector<std::vector<float>> outs;
  for (const Engine::Binding& o : (*engine)->outputs()) {
    std::vector<float> v(static_cast<std::size_t>(o.type.shape.numel()));
    std::memcpy(v.data(), o.data, v.size() * sizeof(float));
    outs.push_back(std::move(v));
  }
  return outs;
}

// A fast image's outputs against the reference image's: as many, as long, and every
// value within 1e-4 x the output's largest |value| (at least 1); the first 5 misses of
// each output are reported.
void expectOutputsMatch(const std::vector<std::vector<float>>& got,
                        const std::vector<std::vector<float>>& expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t o = 0; o < got.size(); ++o) {
    ASSERT_EQ(got[o].size(), expected[o].size());
    float scale = 1.0f;
    for (float v : expected[o]) scale = std::max(scale, std::fabs(v));
    int bad = 0;
    for (std::size_t i = 0; i < got[o].size() && bad < 5; ++i) {
      if (!(std::fabs(got[o][i] - expected[o][i]) <= 1e-4f * scale)) {
        ADD_FAILURE() << "output " << o << "[" << i << "]: " << got[o][i] << ", reference "
                      << expected[o][i] << " (largest |value| " << scale << ")";
        ++bad;
      }
    }
  }
}

// `image` against the reference image of blazeFaceLike() on the same random input (`seed`):
// both give two outputs, which expectOutputsMatch compares.
void expectMatchesReferenceImage(const std::vector<std::byte>& image, unsigned seed) {
  auto ref = compileGraph(blazeFaceLike());
  ASSERT_TRUE(ref.ok()) << ref.error().message();
  const std::vector<float> input = testing::randomFloats(24 * 32 * 32, seed, -2.0f, 2.0f);
  const auto expected = run(ref->image, input);
  ASSERT_EQ(expected.size(), 2u);
  expectOutputsMatch(run(image, input), expected);
}

TEST(CompileTarget, ParsesItsNames) {
  EXPECT_EQ(parseTarget("any").value(), model::Target::kAny);
  EXPECT_EQ(parseTarget("x86_64").value(), model::Target::kX86_64);
  EXPECT_EQ(parseTarget("x86_64-avx512").value(), model::Target::kX86_64Avx512);
  EXPECT_EQ(parseTarget("aarch64").value(), model::Target::kAarch64);
  // native: the target with the most fast variants this machine runs.
  const model::Target native = parseTarget("native").value();
  EXPECT_TRUE(hostRuns(native));
  if (native != model::Target::kX86_64Avx512) {
    EXPECT_FALSE(hostRuns(model::Target::kX86_64Avx512));
  }
  if (native == model::Target::kAny) {
    EXPECT_FALSE(hostRuns(model::Target::kX86_64) || hostRuns(model::Target::kAarch64));
  }
  auto bad = parseTarget("arm64");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "target 'arm64': expected portable, reference (or any), x86_64, x86_64-avx512, aarch64 or native");
  EXPECT_EQ(parseTarget("reference").value(), model::Target::kAny);
  const ImageTargets portable = parseImageTargets("portable").value();
  EXPECT_EQ(portable.base, model::Target::kAny);
  EXPECT_EQ(portable.alternatives, (std::vector{model::Target::kX86_64Avx512, model::Target::kX86_64,
                                                model::Target::kAarch64}));
  EXPECT_EQ(parseImageTargets("aarch64").value().base, model::Target::kAarch64);
  EXPECT_TRUE(parseImageTargets("aarch64").value().alternatives.empty());
  EXPECT_EQ(targetsForArch("x86_64").base, model::Target::kAny);
  EXPECT_EQ(targetsForArch("x86_64").alternatives,
            (std::vector{model::Target::kX86_64Avx512, model::Target::kX86_64}));
  EXPECT_EQ(targetsForArch("aarch64").base, model::Target::kAarch64);
  EXPECT_EQ(targetsForArch("any").alternatives.size(), 3u);
}

// One image for a mixed fleet (edgert-compile's default): reference base, and per Conv the
// AVX-512, AVX2 and NEON variants; this host runs its best and matches the reference image.
TEST(CompileTarget, PortableCarriesEveryArchitecturesVariantsAndRunsTheBestHere) {
  auto portable = compileGraph(blazeFaceLike(), portableTargets());
  ASSERT_TRUE(portable.ok()) << portable.error().message();
  EXPECT_EQ(headerOf(portable->image).target, model::Target::kAny);
  EXPECT_EQ(headerOf(portable->image).formatVersion, 3u);
  for (const Node& n : portable->graph.nodes) {
    EXPECT_EQ(n.variant, 0) << n.name;
    std::string names;
    for (std::uint16_t a : n.alternatives) names += std::string(kernels::findVariant(n.op, a)->name) + " ";
    EXPECT_EQ(n.alternatives.size(), 3u) << n.name << ": " << names;
    ASSERT_FALSE(n.alternatives.empty());
    EXPECT_EQ(kernels::findVariant(n.op, n.alternatives.front())->isa, kernels::Isa::kAvx512) << names;
    EXPECT_EQ(kernels::findVariant(n.op, n.alternatives.back())->isa, kernels::Isa::kNeon) << names;
  }
  // The arena holds the largest scratch of any alternative: never less than each single target's.
  for (model::Target t : {model::Target::kX86_64Avx512, model::Target::kX86_64, model::Target::kAarch64}) {
    auto single = compileGraph(blazeFaceLike(), t);
    ASSERT_TRUE(single.ok());
    for (std::size_t k = 0; k < single->plan.scratchBytes.size(); ++k) {
      EXPECT_GE(portable->plan.scratchBytes[k], single->plan.scratchBytes[k]) << k;
    }
  }
  AlignedImage copy(portable->image);
  auto model = Model::fromBytes(copy.span(), "portable.edgm");
  ASSERT_TRUE(model.ok()) << model.error().message();
  const kernels::Isa picked = model->variant(0).isa;
  if (hostRuns(model::Target::kX86_64Avx512)) {
    EXPECT_EQ(picked, kernels::Isa::kAvx512);
  } else if (hostHasAvx2()) {
    EXPECT_EQ(picked, kernels::Isa::kAvx2);
  } else if (std::string_view(kernels::compiledArch()) == "aarch64") {
    EXPECT_EQ(picked, kernels::Isa::kNeon);
  }
  expectMatchesReferenceImage(portable->image, 44);
  // An x86_64 board's image: reference base (an x86-64 CPU without AVX2 runs it), AVX-512
  // then AVX2 as the alternatives, nothing for NEON.
  auto board = compileGraph(blazeFaceLike(), targetsForArch("x86_64"));
  ASSERT_TRUE(board.ok()) << board.error().message();
  EXPECT_EQ(headerOf(board->image).target, model::Target::kAny);
  for (const Node& n : board->graph.nodes) {
    EXPECT_EQ(n.variant, 0) << n.name;
    ASSERT_EQ(n.alternatives.size(), 2u) << n.name;
    EXPECT_EQ(kernels::findVariant(n.op, n.alternatives[0])->isa, kernels::Isa::kAvx512) << n.name;
    EXPECT_EQ(kernels::findVariant(n.op, n.alternatives[1])->isa, kernels::Isa::kAvx2) << n.name;
  }
}

// AVX-512: the image runs where the CPU has AVX-512 and matches the reference image.
TEST(CompileTarget, Avx512PicksTheAvx512ConvVariantsAndMatchesTheReferenceImage) {
  auto fast = compileGraph(blazeFaceLike(), model::Target::kX86_64Avx512);
  ASSERT_TRUE(fast.ok()) << fast.error().message();
  EXPECT_EQ(headerOf(fast->image).target, model::Target::kX86_64Avx512);
  for (const Node& n : fast->graph.nodes) {
    ASSERT_TRUE(n.op == OpCode::kConv || n.op == OpCode::kDepthwisePointwise) << n.name;
  }
  expectVariants(fast->graph, "avx512");
  // A first conv over 3 colour planes: the direct variant on AVX-512, general on AVX2.
  Builder stem;
  stem.output(stem.conv("stem", stem.input("rgb", Shape::of({1, 3, 64, 64})), 24, 5, 2, 1, 2, 1));
  for (const auto& [target, expected] : {std::pair{model::Target::kX86_64Avx512, "avx512-direct"},
                                         std::pair{model::Target::kX86_64, "avx2-general"}}) {
    auto compiled = compileGraph(stem.graph, target);
    ASSERT_TRUE(compiled.ok()) << compiled.error().message();
    ASSERT_EQ(compiled->graph.nodes.size(), 1u);
    const Node& n = compiled->graph.nodes[0];
    EXPECT_EQ(kernels::findVariant(n.op, n.variant)->name, expected);
  }
  if (!hostRuns(model::Target::kX86_64Avx512)) {
    AlignedImage copy(fast->image);
    auto model = Model::fromBytes(copy.span(), "avx512.edgm");
    EXPECT_FALSE(model.ok()) << "an AVX-512 image loaded on a CPU without AVX-512";
    GTEST_SKIP() << "this CPU lacks AVX-512 (" << kernels::describe(kernels::cpuFeatures())
                 << "): the x86_64-avx512 image cannot run here";
  }
  expectMatchesReferenceImage(fast->image, 43);
}

// The kernel life cycle through the engine: general convs (a 5x5 over 8 channels; the same
// in two groups) in a portable image get their weights packed once in Engine::create, as
// much state as the picked variants ask for with W and B constants, and then run as the
// reference image does, bit for bit the same on 1 and 2 threads.
TEST(CompileTarget, GeneralConvWeightsArePreparedOnceByTheEngine) {
  Builder b;
  const ValueId x = b.input("x", Shape::of({1, 8, 19, 23}));
  const ValueId a = b.conv("general", x, 20, 5, 1, 2, 2, 1);
  b.output(b.conv("grouped", a, 24, 5, 2, 1, 2, 2));
  auto ref = compileGraph(b.graph);
  auto portable = compileGraph(b.graph, portableTargets());
  ASSERT_TRUE(ref.ok() && portable.ok());
  AlignedImage copy(portable->image);
  auto model = Model::fromBytes(copy.span(), "portable.edgm");
  ASSERT_TRUE(model.ok()) << model.error().message();
  if (model->variant(0).state == nullptr) {
    GTEST_SKIP() << "this CPU runs the reference kernels (" << kernels::describe(kernels::cpuFeatures()) << ")";
  }
  std::uint64_t expected = 0;
  for (std::size_t k = 0; k < model->ops().size(); ++k) {
    const kernels::KernelVariant& v = model->variant(k);
    ASSERT_TRUE(v.name.ends_with("-general")) << v.name;
    const model::OpRecord& op = model->ops()[k];
    std::vector<kernels::TensorType> ins, outs;
    for (std::uint32_t t : model->opInputs(op)) ins.push_back(model->tensorType(t));
    for (std::uint32_t t : model->opOutputs(op)) outs.push_back(model->tensorType(t));
    const std::uint64_t bytes = v.state(model->params(op), ins, outs, 0b110);  // W and B
    EXPECT_GE(bytes, ins[1].bytes()) << "every weight, packed";
    expected = (expected + 63) / 64 * 64 + bytes;  // each op's state on a 64-byte line
  }
  const std::vector<float> input = testing::randomFloats(8 * 19 * 23, 7, -2.0f, 2.0f);
  std::vector<std::vector<float>> perThreads;
  for (int threads : {1, 2}) {
    auto engine = Engine::create(*model, {}, Engine::Options{.threads = threads});
    ASSERT_TRUE(engine.ok()) << engine.error().message();
    EXPECT_EQ((*engine)->stateBytes(), expected);
    std::memcpy((*engine)->inputs()[0].data, input.data(), input.size() * sizeof(float));
    (*engine)->invoke();
    const Engine::Binding& y = (*engine)->outputs()[0];
    perThreads.emplace_back(reinterpret_cast<const float*>(y.data),
                            reinterpret_cast<const float*>(y.data) + y.type.shape.numel());
  }
  EXPECT_EQ(perThreads[0], perThreads[1]) << "2 threads changed the bits";
  expectOutputsMatch({perThreads[0]}, run(ref->image, input));
}

TEST(CompileTarget, AnyKeepsTheReferenceKernels) {
  auto r = compileGraph(blazeFaceLike());
  ASSERT_TRUE(r.ok()) << r.error().message();
  expectVariants(r->graph, nullptr);
  EXPECT_EQ(headerOf(r->image).target, model::Target::kAny);
}

TEST(CompileTarget, X86PicksTheAvx2ConvVariantsAndMatchesTheReferenceImage) {
  auto fast = compileGraph(blazeFaceLike(), model::Target::kX86_64);
  ASSERT_TRUE(fast.ok()) << fast.error().message();
  expectVariants(fast->graph, "avx2");
  EXPECT_EQ(headerOf(fast->image).target, model::Target::kX86_64);
  // The residual Add and the Relus were fused: the pointwise parts run the epilogue; each
  // depthwise Conv and its pointwise Conv are one node.
  ASSERT_EQ(fast->graph.nodes.size(), 3u);
  EXPECT_EQ(fast->graph.nodes[0].name, "dw1 + pw1");
  EXPECT_EQ(fast->graph.nodes[0].op, OpCode::kDepthwisePointwise);
  EXPECT_EQ(fast->graph.nodes[1].name, "dw2 + pw2");
  EXPECT_EQ(fast->graph.nodes[1].op, OpCode::kDepthwisePointwise);
  EXPECT_EQ(fast->graph.nodes[2].op, OpCode::kConv);

  if (!hostHasAvx2()) {
    GTEST_SKIP() << "this CPU lacks AVX2+FMA (" << kernels::describe(kernels::cpuFeatures())
                 << "): the x86_64 image cannot run here";
  }
  expectMatchesReferenceImage(fast->image, 42);
}

// The real model, when toolchain/fetch-models.sh has fetched it: every Conv of BlazeFace
// (and every depthwise-pointwise pair) runs a fast variant (the first, 5x5 stride 2 over 3 channels, the general one), and the
// outputs match.
TEST(CompileTarget, BlazeFaceFrontOnAvx2MatchesTheReferenceImage) {
  const std::string path = std::string(EDGERT_SOURCE_DIR) + "/.cache/models/blazeface_front_128.onnx";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is absent: run toolchain/fetch-models.sh";
  auto ref = compileOnnxFile(path, {});
  ASSERT_TRUE(ref.ok()) << ref.error().message();
  auto fast = compileOnnxFile(path, {}, model::Target::kX86_64);
  ASSERT_TRUE(fast.ok()) << fast.error().message();
  int convs = 0, fused = 0;
  for (const Node& n : fast->graph.nodes) {
    if (n.op != OpCode::kConv && n.op != OpCode::kDepthwisePointwise) continue;
    ++(n.op == OpCode::kConv ? convs : fused);
    EXPECT_EQ(kernels::findVariant(n.op, n.variant)->name, expectedKernel(n, "avx2")) << n.name;
  }
  // 16 depthwise convs, each fused with the pointwise conv after it; 4 more pointwise
  // convs (after a pad or a concatenation), the first 5x5 conv.
  EXPECT_EQ(fused, 16);
  EXPECT_EQ(convs, 5);
  if (!hostHasAvx2()) GTEST_SKIP() << "this CPU lacks AVX2+FMA: the x86_64 image cannot run here";
  const std::vector<float> input = testing::randomFloats(128 * 128 * 3, 7, 0.0f, 1.0f);
  expectOutputsMatch(run(fast->image, input), run(ref->image, input));
}

// PP-OCR's upsampling head: a 2x2 stride-2 ConvTranspose runs the upsample variant, a 3x3
// stride-2 one (overlapping taps) the reference kernel; on x86_64 the image computes what
// the reference image computes.
Graph upsamplingHead() {
  Builder b;
  const ValueId x = b.input("x", Shape::of({1, 8, 6, 7}));
  kernels::ConvTransposeParams p;
  p.kernel[0] = p.kernel[1] = p.stride[0] = p.stride[1] = 2;
  p.hasBias = 1;
  const ValueId up = b.node("up", OpCode::kConvTranspose, p,
                            {x, b.weights("up.w", Shape::of({8, 5, 2, 2}), 0.3f),
                             b.weights("up.b", Shape::of({5}), 0.1f)});
  p.kernel[0] = p.kernel[1] = 3;
  p.padBegin[0] = p.padBegin[1] = 1;
  b.output(b.node("overlap", OpCode::kConvTranspose, p,
                  {up, b.weights("overlap.w", Shape::of({5, 3, 3, 3}), 0.3f),
                   b.weights("overlap.b", Shape::of({3}), 0.1f)}));
  return b.graph;
}

TEST(CompileTarget, StrideEqualToKernelConvTransposeRunsTheUpsampleVariant) {
  for (const auto& [target, name] : {std::pair{model::Target::kX86_64, "avx2-upsample"},
                                     std::pair{model::Target::kAarch64, "neon-upsample"}}) {
    auto r = compileGraph(upsamplingHead(), target);
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_EQ(r->graph.nodes.size(), 2u);
    EXPECT_EQ(kernels::findVariant(OpCode::kConvTranspose, r->graph.nodes[0].variant)->name, name);
    EXPECT_EQ(r->graph.nodes[1].variant, 0);
  }
  if (!hostHasAvx2()) GTEST_SKIP() << "this CPU lacks AVX2+FMA: the x86_64 image cannot run here";
  auto ref = compileGraph(upsamplingHead());
  auto fast = compileGraph(upsamplingHead(), model::Target::kX86_64);
  ASSERT_TRUE(ref.ok() && fast.ok());
  const std::vector<float> input = testing::randomFloats(8 * 6 * 7, 3, -2.0f, 2.0f);
  const auto expected = run(ref->image, input);
  ASSERT_EQ(expected.size(), 1u);
  expectOutputsMatch(run(fast->image, input), expected);
}

TEST(CompileTarget, Aarch64PicksTheNeonConvVariants) {
  auto r = compileGraph(blazeFaceLike(), model::Target::kAarch64);
  ASSERT_TRUE(r.ok()) << r.error().message();
  expectVariants(r->graph, "neon");
  EXPECT_EQ(headerOf(r->image).target, model::Target::kAarch64);
  if (std::string_view(kernels::compiledArch()) == "x86_64") {
    AlignedImage copy(r->image);
    auto model = Model::fromBytes(copy.span(), "a64.edgm");
    ASSERT_FALSE(model.ok());
    EXPECT_EQ(model.error().message(), "a64.edgm: compiled for aarch64 kernels, this edgert is x86_64");
  }
}

TEST(CompileTarget, NoFastVariantAppliesSoTheImageRunsAnywhere) {
  Builder b;
  const ValueId x = b.input("x", Shape::of({1, 3, 9, 9}));
  b.output(b.conv("c", x, 3, 7, 1, 3, 3, 3));  // depthwise 7x7: neither depthwise nor general
  auto r = compileGraph(b.graph, model::Target::kX86_64);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->graph.nodes[0].variant, 0);
  EXPECT_EQ(headerOf(r->image).target, model::Target::kAny);
}

TEST(CompileTarget, LoaderRefusesAVariantThatDoesNotApply) {
  if (!hostHasAvx2()) {
    GTEST_SKIP() << "this CPU lacks AVX2+FMA: the loader stops at the CPU check first";
  }
  auto r = compileGraph(blazeFaceLike(), model::Target::kX86_64);
  ASSERT_TRUE(r.ok()) << r.error().message();
  Graph g = r->graph;
  Node& head = g.nodes.back();
  ASSERT_EQ(head.name, "head");
  head.variant = 1;  // avx2-pointwise on a 3x3 conv
  auto image = writeImage(g, r->plan, model::Target::kX86_64);
  ASSERT_TRUE(image.ok()) << image.error().message();
  AlignedImage copy(*image);
  auto model = Model::fromBytes(copy.span(), "bad.edgm");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message().find("op 2 'head': Conv kernel 'avx2-pointwise' does not handle "
                                         "these parameters and shapes"),
            std::string::npos)
      << model.error().message();
}

}  // namespace
}  // namespace edgert::compiler
