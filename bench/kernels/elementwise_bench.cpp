// The non-Conv fast variants against their reference kernels on the real models' hot
// shapes, through the registry as the engine calls them: Binary on PP-OCRv4 det's
// (same shape, scalar, per channel), Resize nearest 2x, BlazeFace's MaxPool 2x2 and input
// Transpose. Counter bytes_per_second: bytes read and written per second (inputs once,
// output once): these ops are memory-bound, so GB/s is their figure.
//
//   build/host/bench/elementwise_bench --benchmark_filter=Binary
#include "edgert/kernels/cpu_features.hpp"
#include "edgert/kernels/registry.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

namespace edgert::kernels {
namespace {

bool runnable(const KernelVariant& v) {
  if (v.run == nullptr) return false;
  const CpuFeatures& f = cpuFeatures();
  switch (v.isa) {
    case Isa::kAny: return true;
    case Isa::kAvx2: return f.avx2 && f.fma;
    case Isa::kNeon: return f.neon;
    default: return false;
  }
}

void timeVariant(benchmark::State& state, const KernelVariant& v, const void* params,
                 std::vector<TensorType> inTypes) {
  TensorType yt[1];
  const std::span<TensorType> y(yt);
  if (!findOp(v.code)->infer(params, inTypes, y)) {
    state.SkipWithError("infer failed");
    return;
  }
  if (v.applies != nullptr && !v.applies(params, inTypes, y)) {
    state.SkipWithError("variant does not apply");
    return;
  }
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(0.5f, 2.0f);
  std::vector<std::vector<float>> data;
  std::vector<InTensor> ins;
  double bytes = static_cast<double>(y[0].bytes());
  for (const TensorType& t : inTypes) {
    data.emplace_back(static_cast<std::size_t>(t.shape.numel()));
    for (float& x : data.back()) x = dist(rng);
    bytes += static_cast<double>(t.bytes());
  }
  for (std::size_t i = 0; i < inTypes.size(); ++i) {
    ins.push_back(InTensor{reinterpret_cast<const std::byte*>(data[i].data()), inTypes[i]});
  }
  std::vector<float> out(static_cast<std::size_t>(y[0].shape.numel()));
  const std::uint64_t scratchBytes = v.scratch ? v.scratch(params, inTypes, y) : 0;
  std::vector<std::int64_t> scratch(scratchBytes / 8 + 8);
  const OutTensor o{reinterpret_cast<std::byte*>(out.data()), y[0]};
  const KernelArgs args{params, ins, std::span<const OutTensor>(&o, 1),
                        std::span<std::byte>(reinterpret_cast<std::byte*>(scratch.data()), scratchBytes)};
  for (auto _ : state) {
    v.run(args);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
}

// One benchmark per runnable variant of `op` (the reference included).
void registerAll(const std::string& name, OpCode op, std::vector<std::byte> params,
                 std::vector<TensorType> inTypes) {
  for (const KernelVariant& v : allVariants()) {
    if (v.code != op || !runnable(v)) continue;
    benchmark::RegisterBenchmark((name + "/" + std::string(v.name)).c_str(),
                                 [&v, params, inTypes](benchmark::State& state) {
                                   timeVariant(state, v, params.data(), inTypes);
                                 });
  }
}

template <typename P>
std::vector<std::byte> bytesOf(const P& p) {
  std::vector<std::byte> b(sizeof p);
  std::memcpy(b.data(), &p, sizeof p);
  return b;
}

TensorType f32(std::initializer_list<std::int64_t> dims) {
  return TensorType{DType::kFloat32, Shape::of(dims)};
}

int registerBenchmarks() {
  BinaryParams mul;
  mul.op = BinaryOp::kMul;
  BinaryParams add;
  registerAll("Binary/Mul_1x32x320x320_same", OpCode::kBinary, bytesOf(mul),
              {f32({1, 32, 320, 320}), f32({1, 32, 320, 320})});
  registerAll("Binary/Add_1x48x160x160_scalar", OpCode::kBinary, bytesOf(add),
              {f32({1, 48, 160, 160}), f32({1})});
  registerAll("Binary/Mul_1x96x80x80_per_channel", OpCode::kBinary, bytesOf(mul),
              {f32({1, 96, 80, 80}), f32({1, 96, 1, 1})});
  registerAll("Binary/Add_1x24x40x40_plus_1x1x40x1", OpCode::kBinary, bytesOf(add),
              {f32({1, 24, 40, 40}), f32({1, 1, 40, 1})});
  ResizeParams resize;
  resize.outputShape = Shape::of({1, 96, 80, 80});
  resize.scale[0] = resize.scale[1] = 1.0f;
  resize.scale[2] = resize.scale[3] = 2.0f;
  resize.transform = CoordinateTransform::kAsymmetric;
  resize.rounding = NearestRounding::kFloor;
  registerAll("Resize/nearest_2x_1x96x40x40", OpCode::kResize, bytesOf(resize), {f32({1, 96, 40, 40})});
  PoolParams pool;
  pool.kernel[0] = pool.kernel[1] = 2;
  pool.stride[0] = pool.stride[1] = 2;
  registerAll("MaxPool/2x2s2_1x28x64x64", OpCode::kMaxPool, bytesOf(pool), {f32({1, 28, 64, 64})});
  TransposeParams nchw;
  nchw.rank = 4;
  nchw.perm[0] = 0;
  nchw.perm[1] = 3;
  nchw.perm[2] = 1;
  nchw.perm[3] = 2;
  registerAll("Transpose/nhwc_to_nchw_1x256x256x3", OpCode::kTranspose, bytesOf(nchw), {f32({1, 256, 256, 3})});
  return 0;
}

const int kRegistered = registerBenchmarks();

}  // namespace
}  // namespace edgert::kernels
