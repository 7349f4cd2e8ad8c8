// Conv and ConvTranspose kernels on the real models' hot shapes: the reference kernel
// against the fast variants of this architecture (AVX2 + FMA on x86-64, NEON on AArch64),
// through the registry as the engine calls them. Counter FLOP/s: 2 * multiply-adds per second (bias,
// residual and activation not counted). Pointwise shapes also run the general variant,
// which the compiler would choose without the pointwise one.
//
//   build/host/bench/conv_bench --benchmark_filter=Pointwise
//   build/host/bench/conv_bench --benchmark_filter='General.*general'
#include "edgert/kernels/cpu_features.hpp"
#include "edgert/kernels/registry.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace edgert::kernels {
namespace {

enum class Kind { kPointwise, kDepthwise, kGeneral };

struct ConvShape {
  std::int64_t channels, outChannels, height, width;
  int kernel, stride, padBegin, padEnd;  // pads: top and left, bottom and right
  Kind kind;
  bool residual;
};

#if defined(__aarch64__)
constexpr std::uint16_t kPointwise = 3;
constexpr std::uint16_t kDepthwise = 4;
constexpr std::uint16_t kGeneral = 6;
#else
constexpr std::uint16_t kPointwise = 1;
constexpr std::uint16_t kDepthwise = 2;
constexpr std::uint16_t kGeneral = 5;
constexpr std::uint16_t kGeneralAvx512 = 7;
constexpr std::uint16_t kDepthwiseAvx512 = 8;
constexpr std::uint16_t kDirectAvx512 = 10;
constexpr std::uint16_t kPointwiseAvx512 = 9;
#endif

bool runnable(const KernelVariant& v) {
  const CpuFeatures& f = cpuFeatures();
  switch (v.isa) {
    case Isa::kAny: return true;
    case Isa::kAvx2: return f.avx2 && f.fma;
    case Isa::kAvx512: return f.avx2 && f.fma && f.avx512f && f.avx512bw && f.avx512vl;
    case Isa::kNeon: return f.neon;
    default: return false;
  }
}

// Times variant `v` on random inputs of `inTypes` (all present) and an output of type y;
// `macs`: multiply-adds per run.
void timeVariant(benchmark::State& state, const KernelVariant& v, const void* params,
                 std::span<const TensorType> inTypes, const TensorType& y, double macs) {
  if (v.applies != nullptr && !v.applies(params, inTypes, std::span<const TensorType>(&y, 1))) {
    state.SkipWithError("variant does not apply");
    return;
  }
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<std::vector<float>> data(inTypes.size());
  std::vector<InTensor> ins(inTypes.size());
  for (std::size_t i = 0; i < inTypes.size(); ++i) {
    data[i].resize(static_cast<std::size_t>(inTypes[i].shape.numel()));
    for (float& x : data[i]) x = dist(rng);
    ins[i] = InTensor{reinterpret_cast<const std::byte*>(data[i].data()), inTypes[i]};
  }
  std::vector<float> out(static_cast<std::size_t>(y.shape.numel()));
  const OutTensor outT{reinterpret_cast<std::byte*>(out.data()), y};
  const std::uint64_t scratchBytes = v.scratch ? v.scratch(params, inTypes, std::span<const TensorType>(&y, 1)) : 0;
  std::vector<float> scratch(scratchBytes / sizeof(float) + 16);
  auto* base = reinterpret_cast<std::byte*>((reinterpret_cast<std::uintptr_t>(scratch.data()) + 63) / 64 * 64);
  const KernelArgs args{params, ins, std::span<const OutTensor>(&outT, 1), std::span<std::byte>(base, scratchBytes)};
  for (auto _ : state) {
    v.run(args);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * macs, benchmark::Counter::kIsIterationInvariantRate);
}

const KernelVariant* runnableVariant(benchmark::State& state, OpCode op, std::uint16_t id) {
  const KernelVariant* v = findVariant(op, id);
  if (v == nullptr || v->run == nullptr || !runnable(*v)) {
    state.SkipWithError("variant not built for this CPU");
    return nullptr;
  }
  return v;
}

void runConv(benchmark::State& state, const ConvShape& s, std::uint16_t id) {
  const KernelVariant* v = runnableVariant(state, OpCode::kConv, id);
  if (v == nullptr) return;
  ConvParams p;
  p.kernel[0] = p.kernel[1] = s.kernel;
  p.stride[0] = p.stride[1] = s.stride;
  p.padBegin[0] = p.padBegin[1] = s.padBegin;
  p.padEnd[0] = p.padEnd[1] = s.padEnd;
  const bool depthwise = s.kind == Kind::kDepthwise;
  p.group = depthwise ? static_cast<std::int32_t>(s.channels) : 1;
  p.hasBias = 1;
  p.hasResidual = s.residual ? 1 : 0;
  p.activation.kind = s.residual || s.kind == Kind::kGeneral ? Activation::kRelu : Activation::kNone;

  TensorType types[4];
  types[0] = {DType::kFloat32, Shape::of({1, s.channels, s.height, s.width})};
  types[1] = {DType::kFloat32, Shape::of({s.outChannels, depthwise ? 1 : s.channels, s.kernel, s.kernel})};
  types[2] = {DType::kFloat32, Shape::of({s.outChannels})};
  TensorType y;
  ConvParams noResidual = p;
  noResidual.hasResidual = 0;
  if (!findOp(OpCode::kConv)->infer(&noResidual, std::span<const TensorType>(types, 3), std::span<TensorType>(&y, 1))) {
    state.SkipWithError("infer rejects the shape");
    return;
  }
  types[3] = y;
  const double macs = static_cast<double>(y.shape.numel()) * (depthwise ? 1.0 : static_cast<double>(s.channels)) *
                      s.kernel * s.kernel;
  timeVariant(state, *v, &p, std::span<const TensorType>(types, s.residual ? 4 : 3), y, macs);
}

// ConvTranspose with stride == kernel, bias.
struct UpsampleShape {
  std::int64_t channels, outChannels, height, width;
  int kernel;
};

#if defined(__aarch64__)
constexpr std::uint16_t kUpsample = 2;
#else
constexpr std::uint16_t kUpsample = 1;
constexpr std::uint16_t kUpsampleAvx512 = 3;
#endif

void runUpsample(benchmark::State& state, const UpsampleShape& s, std::uint16_t id) {
  const KernelVariant* v = runnableVariant(state, OpCode::kConvTranspose, id);
  if (v == nullptr) return;
  ConvTransposeParams p;
  p.kernel[0] = p.kernel[1] = p.stride[0] = p.stride[1] = s.kernel;
  p.hasBias = 1;
  const TensorType types[3] = {{DType::kFloat32, Shape::of({1, s.channels, s.height, s.width})},
                               {DType::kFloat32, Shape::of({s.channels, s.outChannels, s.kernel, s.kernel})},
                               {DType::kFloat32, Shape::of({s.outChannels})}};
  TensorType y;
  if (!findOp(OpCode::kConvTranspose)->infer(&p, std::span<const TensorType>(types), std::span<TensorType>(&y, 1))) {
    state.SkipWithError("infer rejects the shape");
    return;
  }
  // Each output takes one tap of every input channel.
  timeVariant(state, *v, &p, std::span<const TensorType>(types), y, static_cast<double>(y.shape.numel()) * static_cast<double>(s.channels));
}

// BlazeFace front (128x128): the pointwise convs with their fused residual + Relu, and the
// 5x5 depthwise convs at stride 1 and 2 (TensorFlow "same" pads: 2/2, and 1/2 at stride 2).
// General (bias + Relu): BlazeFace's first conv (front 128 and back 256: 3 -> 24, 5x5,
// stride 2; also on the AVX-512 direct variant), PP-OCRv4 det's first conv (3 -> 16, 3x3,
// stride 2 at 640; direct too) and its neck convs
// (96 -> 24, 3x3 at 160 down to 20), and a 64 -> 64 3x3 conv at 80x80.
constexpr Kind kPw = Kind::kPointwise;
constexpr Kind kDw = Kind::kDepthwise;
constexpr Kind kGen = Kind::kGeneral;
const ConvShape kShapes[] = {
    {24, 24, 64, 64, 1, 1, 0, 0, kPw, true},    {24, 28, 64, 64, 1, 1, 0, 0, kPw, true},
    {32, 36, 32, 32, 1, 1, 0, 0, kPw, true},    {48, 56, 16, 16, 1, 1, 0, 0, kPw, true},
    {88, 96, 8, 8, 1, 1, 0, 0, kPw, true},      {96, 96, 8, 8, 1, 1, 0, 0, kPw, true},
    {24, 24, 64, 64, 5, 1, 2, 2, kDw, false},   {28, 28, 64, 64, 5, 2, 1, 2, kDw, false},
    {32, 32, 32, 32, 5, 1, 2, 2, kDw, false},   {56, 56, 16, 16, 5, 1, 2, 2, kDw, false},
    {96, 96, 8, 8, 5, 1, 2, 2, kDw, false},     {32, 32, 32, 32, 3, 1, 1, 1, kDw, false},
    {3, 24, 128, 128, 5, 2, 1, 2, kGen, false}, {3, 24, 256, 256, 5, 2, 1, 2, kGen, false},
    {3, 16, 640, 640, 3, 2, 1, 1, kGen, false}, {96, 24, 160, 160, 3, 1, 1, 1, kGen, false},
    {96, 24, 80, 80, 3, 1, 1, 1, kGen, false},  {96, 24, 20, 20, 3, 1, 1, 1, kGen, false},
    {64, 64, 80, 80, 3, 1, 1, 1, kGen, false},
};

std::string shapeName(const ConvShape& s) {
  const std::string dims = std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" + std::to_string(s.width);
  const std::string k = "/k" + std::to_string(s.kernel) + "s" + std::to_string(s.stride);
  switch (s.kind) {
    case Kind::kPointwise: return "Pointwise/" + dims + "->" + std::to_string(s.outChannels);
    case Kind::kDepthwise: return "Depthwise/" + dims + k;
    case Kind::kGeneral: break;
  }
  return "General/" + dims + "->" + std::to_string(s.outChannels) + k;
}

void registerVariant(const ConvShape& s, std::uint16_t id) {
  const KernelVariant* v = findVariant(OpCode::kConv, id);
  benchmark::RegisterBenchmark((shapeName(s) + "/" + std::string(v ? v->name : "missing")).c_str(),
                               [s, id](benchmark::State& st) { runConv(st, s, id); });
}

// PP-OCRv4 det's head: 24 -> 24 channels at 160x160 and 24 -> 1 at 320x320, 2x2 stride 2.
const UpsampleShape kUpsampleShapes[] = {{24, 24, 160, 160, 2}, {24, 1, 320, 320, 2}};

const int kRegistered = [] {
  for (const ConvShape& s : kShapes) {
    registerVariant(s, 0);
    switch (s.kind) {
      case Kind::kPointwise:
        registerVariant(s, kPointwise);
        registerVariant(s, kGeneral);
        break;
      case Kind::kDepthwise: registerVariant(s, kDepthwise); break;
      case Kind::kGeneral: registerVariant(s, kGeneral); break;
    }
#if defined(__x86_64__)
    // AVX-512 (skipped with an error on a CPU without it); general on the 1x1 convs too.
    registerVariant(s, s.kind == Kind::kDepthwise ? kDepthwiseAvx512 : kGeneralAvx512);
    if (s.kind == Kind::kPointwise) registerVariant(s, kPointwiseAvx512);
    if (s.kind == Kind::kGeneral && (s.channels <= 4 || s.kernel == 3)) registerVariant(s, kDirectAvx512);
#endif
  }
  for (const UpsampleShape& s : kUpsampleShapes) {
    const std::string name = "Upsample/" + std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" +
                             std::to_string(s.width) + "->" + std::to_string(s.outChannels) + "/k" +
                             std::to_string(s.kernel) + "/";
#if defined(__x86_64__)
    const std::uint16_t ids[] = {0, kUpsample, kUpsampleAvx512};
#else
    const std::uint16_t ids[] = {0, kUpsample};
#endif
    for (const std::uint16_t id : ids) {
      const KernelVariant* v = findVariant(OpCode::kConvTranspose, id);
      benchmark::RegisterBenchmark((name + std::string(v ? v->name : "missing")).c_str(),
                                   [s, id](benchmark::State& st) { runUpsample(st, s, id); });
    }
  }
  return 0;
}();

}  // namespace
}  // namespace edgert::kernels
