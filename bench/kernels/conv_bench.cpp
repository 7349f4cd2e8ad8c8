// Conv kernels on BlazeFace's hot shapes: the reference kernel against the fast variants
// of this architecture (AVX2 + FMA on x86-64, NEON on AArch64), through the registry as
// the engine calls them. Counter FLOP/s: 2 * multiply-adds per second (bias, residual and
// activation not counted).
//
//   build/host/bench/conv_bench --benchmark_filter=Pointwise
#include "edgert/kernels/cpu_features.hpp"
#include "edgert/kernels/registry.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace edgert::kernels {
namespace {

struct ConvShape {
  std::int64_t channels, outChannels, height, width;
  int kernel, stride, padBegin, padEnd;
  bool depthwise, residual;
};

#if defined(__aarch64__)
constexpr std::uint16_t kPointwise = 3;
constexpr std::uint16_t kDepthwise = 4;
#else
constexpr std::uint16_t kPointwise = 1;
constexpr std::uint16_t kDepthwise = 2;
#endif

bool runnable(const KernelVariant& v) {
  const CpuFeatures& f = cpuFeatures();
  switch (v.isa) {
    case Isa::kAny: return true;
    case Isa::kAvx2: return f.avx2 && f.fma;
    case Isa::kNeon: return f.neon;
    default: return false;
  }
}

void runConv(benchmark::State& state, const ConvShape& s, std::uint16_t id) {
  const KernelVariant* v = findVariant(OpCode::kConv, id);
  if (v == nullptr || v->run == nullptr || !runnable(*v)) {
    state.SkipWithError("variant not built for this CPU");
    return;
  }
  ConvParams p;
  p.kernel[0] = p.kernel[1] = s.kernel;
  p.stride[0] = p.stride[1] = s.stride;
  p.padBegin[0] = p.padBegin[1] = s.padBegin;
  p.padEnd[0] = p.padEnd[1] = s.padEnd;
  p.group = s.depthwise ? static_cast<std::int32_t>(s.channels) : 1;
  p.hasBias = 1;
  p.hasResidual = s.residual ? 1 : 0;
  p.activation.kind = s.residual ? Activation::kRelu : Activation::kNone;

  TensorType types[4];
  types[0] = {DType::kFloat32, Shape::of({1, s.channels, s.height, s.width})};
  types[1] = {DType::kFloat32, Shape::of({s.outChannels, s.depthwise ? 1 : s.channels, s.kernel, s.kernel})};
  types[2] = {DType::kFloat32, Shape::of({s.outChannels})};
  TensorType y;
  const OpInfo* op = findOp(OpCode::kConv);
  ConvParams noResidual = p;
  noResidual.hasResidual = 0;
  if (!op->infer(&noResidual, std::span<const TensorType>(types, 3), std::span<TensorType>(&y, 1))) {
    state.SkipWithError("infer rejects the shape");
    return;
  }
  types[3] = y;
  const std::size_t numInputs = s.residual ? 4 : 3;
  const std::span<const TensorType> inTypes(types, numInputs);
  if (v->applies != nullptr && !v->applies(&p, inTypes, std::span<const TensorType>(&y, 1))) {
    state.SkipWithError("variant does not apply");
    return;
  }

  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<std::vector<float>> data(numInputs);
  InTensor ins[4];
  for (std::size_t i = 0; i < numInputs; ++i) {
    data[i].resize(static_cast<std::size_t>(types[i].shape.numel()));
    for (float& x : data[i]) x = dist(rng);
    ins[i] = InTensor{reinterpret_cast<const std::byte*>(data[i].data()), types[i]};
  }
  std::vector<float> out(static_cast<std::size_t>(y.shape.numel()));
  const OutTensor outT{reinterpret_cast<std::byte*>(out.data()), y};
  const std::uint64_t scratchBytes = v->scratch ? v->scratch(&p, inTypes, std::span<const TensorType>(&y, 1)) : 0;
  std::vector<float> scratch(scratchBytes / sizeof(float) + 16);
  auto* base = reinterpret_cast<std::byte*>((reinterpret_cast<std::uintptr_t>(scratch.data()) + 63) / 64 * 64);
  const KernelArgs args{&p, std::span<const InTensor>(ins, numInputs), std::span<const OutTensor>(&outT, 1),
                        std::span<std::byte>(base, scratchBytes)};
  for (auto _ : state) {
    v->run(args);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double macs = static_cast<double>(y.shape.numel()) * (s.depthwise ? 1.0 : static_cast<double>(s.channels)) *
                      s.kernel * s.kernel;
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * macs, benchmark::Counter::kIsIterationInvariantRate);
}

// BlazeFace front (128x128): the pointwise convs with their fused residual + Relu, and the
// 5x5 depthwise convs at stride 1 and 2 (TensorFlow "same" pads: 2/2, and 1/2 at stride 2).
const ConvShape kShapes[] = {
    {24, 24, 64, 64, 1, 1, 0, 0, false, true},  {24, 28, 64, 64, 1, 1, 0, 0, false, true},
    {32, 36, 32, 32, 1, 1, 0, 0, false, true},  {48, 56, 16, 16, 1, 1, 0, 0, false, true},
    {88, 96, 8, 8, 1, 1, 0, 0, false, true},    {96, 96, 8, 8, 1, 1, 0, 0, false, true},
    {24, 24, 64, 64, 5, 1, 2, 2, true, false},  {28, 28, 64, 64, 5, 2, 1, 2, true, false},
    {32, 32, 32, 32, 5, 1, 2, 2, true, false},  {56, 56, 16, 16, 5, 1, 2, 2, true, false},
    {96, 96, 8, 8, 5, 1, 2, 2, true, false},    {32, 32, 32, 32, 3, 1, 1, 1, true, false},
};

std::string shapeName(const ConvShape& s) {
  return std::string(s.depthwise ? "Depthwise" : "Pointwise") + "/" + std::to_string(s.channels) + "x" +
         std::to_string(s.height) + "x" + std::to_string(s.width) + (s.depthwise ? "" : "->" + std::to_string(s.outChannels)) +
         (s.depthwise ? "/k" + std::to_string(s.kernel) + "s" + std::to_string(s.stride) : "");
}

const int kRegistered = [] {
  for (const ConvShape& s : kShapes) {
    const std::uint16_t fast = s.depthwise ? kDepthwise : kPointwise;
    benchmark::RegisterBenchmark((shapeName(s) + "/ref").c_str(), [s](benchmark::State& st) { runConv(st, s, 0); });
    const KernelVariant* v = findVariant(OpCode::kConv, fast);
    benchmark::RegisterBenchmark((shapeName(s) + "/" + std::string(v ? v->name : "fast")).c_str(),
                                 [s, fast](benchmark::State& st) { runConv(st, s, fast); });
  }
  return 0;
}();

}  // namespace
}  // namespace edgert::kernels
