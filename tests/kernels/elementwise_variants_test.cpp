// The fast Binary, Transpose, MaxPool, Resize, GlobalAveragePool, Softmax, LogSoftmax, Concat
// and MatMul variants
// (kernels/src/portable/, x86/, neon/) against their reference kernels on random data:
// sizes 1, primes and tails that are not a multiple of any vector width, every broadcast
// pattern, every op and fused activation, and Y on either input where the op allows it.
// Each also runs on a pool of 3 threads split as finely as it allows, and must then give
// the single-threaded result bit for bit. Every variant this build
// has and this CPU runs is checked, so the host build covers the portable and AVX2 ones
// and the aarch64 build (under qemu-aarch64) the portable and NEON ones. The data-movement
// variants must match bit for bit (NaN equal to NaN). Binary computes the same float
// operations in the same order as the reference, but the compiler may contract a multiply
// and an add into one fused operation (HardSigmoid's alpha * x + beta) in one build of the
// expression and not in another: one rounding apart, so Binary results may differ by
// 1e-6 * (1 + |y|), far below any indexing or broadcast mistake (which moves a result by
// a whole operand).
#include "ref/ref_harness.hpp"

#include "edgert/kernels/cpu_features.hpp"
#include "edgert/kernels/parallel.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace edgert::kernels::test {
namespace {

// The fast variants of `op` this build and CPU can run (the reference excluded).
std::vector<const KernelVariant*> fastVariants(OpCode op) {
  std::vector<const KernelVariant*> out;
  for (const KernelVariant& v : allVariants()) {
    if (v.code == op && v.id != 0 && runsHere(v)) out.push_back(&v);
  }
  return out;
}

std::string shapeText(const Shape& s) {
  std::string t = "[";
  for (int i = 0; i < s.rank; ++i) t += (i ? "," : "") + std::to_string(s.dims[i]);
  return t + "]";
}

Buffer randomFloats(const Shape& shape, std::mt19937& rng, float lo = -2.0f, float hi = 2.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(shape.numel()));
  for (float& x : v) x = dist(rng);
  return floats(shape, v);
}

// Runs `variant` like runOp runs the reference: Y over input `alias` when >= 0, scratch
// as the variant asks; threads > 1: on a worker pool of that many threads that splits work
// as finely as the kernel allows.
Buffer runVariant(const KernelVariant& variant, const void* params,
                  const std::vector<const Buffer*>& inputs, int alias = -1, int threads = 1) {
  std::vector<TensorType> types;
  std::vector<InTensor> ins;
  for (const Buffer* b : inputs) {
    types.push_back(b->type);
    ins.push_back(InTensor{b->bytes.data(), b->type});
  }
  const Result<TensorType> yType = inferOp(variant.code, params, types);
  if (!yType) {
    ADD_FAILURE() << yType.error().message();
    return {};
  }
  const std::vector<TensorType> outTypes = {*yType};
  EXPECT_TRUE(variant.applies == nullptr || variant.applies(params, types, outTypes))
      << variant.name << " does not apply";
  Buffer y{*yType, std::vector<std::byte>(yType->bytes(), kUnwritten)};
  if (alias >= 0) {
    y.bytes = inputs[static_cast<std::size_t>(alias)]->bytes;
    ins[static_cast<std::size_t>(alias)].data = y.bytes.data();
  }
  const std::uint64_t scratchBytes =
      variant.scratch ? variant.scratch(params, types, outTypes) : 0;
  // 64-byte aligned like the arena's scratch.
  std::vector<std::byte> scratch(scratchBytes + 64);
  auto* base = scratch.data();
  const auto misalign = reinterpret_cast<std::uintptr_t>(base) % 64;
  base += misalign ? 64 - misalign : 0;
  const OutTensor out{y.bytes.data(), *yType};
  std::unique_ptr<WorkerPool> pool;
  if (threads > 1) {
    auto created = WorkerPool::create(threads, static_cast<std::size_t>(scratchBytes));
    if (!created) {
      ADD_FAILURE() << created.error().message();
      return {};
    }
    pool = std::move(*created);
    pool->setMinTaskWork(1);
  }
  KernelArgs args{params, ins, std::span<const OutTensor>(&out, 1), std::span<std::byte>(base, scratchBytes)};
  args.pool = pool.get();
  runWithoutAllocating(variant, args);
  return y;
}

// Equal float32 values within `tolerance` * (1 + |want|) (0: bit for bit), or both NaN; for
// other types, equal bytes.
void expectSame(const Buffer& got, const Buffer& want, const std::string& what,
                float tolerance = 0.0f) {
  ASSERT_EQ(got.bytes.size(), want.bytes.size()) << what;
  if (want.type.dtype != DType::kFloat32) {
    EXPECT_TRUE(got.bytes == want.bytes) << what;
    return;
  }
  const std::vector<float> g = valuesOf<float>(got);
  const std::vector<float> w = valuesOf<float>(want);
  int shown = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const bool same = std::bit_cast<std::uint32_t>(g[i]) == std::bit_cast<std::uint32_t>(w[i]) ||
                      (std::isnan(g[i]) && std::isnan(w[i])) ||
                      (tolerance > 0.0f && std::isfinite(w[i]) &&
                       std::fabs(g[i] - w[i]) <= tolerance * (1.0f + std::fabs(w[i])));
    if (!same && shown++ < 5) ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", expected " << w[i];
  }
}

constexpr float kBinaryTolerance = 1e-6f;

ActivationParams activationNumber(int i) {
  ActivationParams a;
  a.kind = static_cast<Activation>(i % 9);
  if (a.kind == Activation::kLeakyRelu) a.alpha = 0.1f;
  if (a.kind == Activation::kClip) {
    a.alpha = -0.5f;
    a.beta = 0.7f;
  }
  if (a.kind == Activation::kHardSigmoid) {
    a.alpha = 0.2f;
    a.beta = 0.5f;
  }
  if (a.kind == Activation::kHardSwishAffine) {
    a.alpha = -1.5f;
    a.beta = 0.25f;
  }
  return a;
}

// --- Binary ------------------------------------------------------------------------------------

struct BinaryCase {
  Shape a;
  Shape b;
};

std::vector<BinaryCase> binaryCases() {
  return {
      {Shape::of({1}), Shape::of({1})},
      {Shape{}, Shape{}},                                     // scalars
      {Shape::of({7}), Shape::of({7})},
      {Shape::of({17}), Shape::of({17})},                     // tails of 8 and 4
      {Shape::of({1, 3, 5, 7}), Shape::of({1, 3, 5, 7})},
      {Shape::of({1, 16, 33, 31}), Shape::of({1, 16, 33, 31})},
      {Shape::of({1, 5, 7, 3}), Shape{}},                     // scalar b
      {Shape::of({1, 5, 7, 3}), Shape::of({1})},
      {Shape::of({1}), Shape::of({2, 3, 17})},                // scalar a
      {Shape::of({1, 3, 5, 7}), Shape::of({1, 3, 1, 1})},     // per channel
      {Shape::of({2, 13, 3, 11}), Shape::of({13, 1, 1})},
      {Shape::of({1, 19, 1, 1}), Shape::of({1, 19, 9, 5})},   // per channel, a repeated
      {Shape::of({3, 1, 5}), Shape::of({1, 4, 1})},           // both broadcast
      {Shape::of({2, 3, 4, 5}), Shape::of({3, 1, 5})},
      {Shape::of({5, 1}), Shape::of({1, 9})},
      {Shape::of({4, 1}), Shape::of({4, 23})},                // inner axis repeats a
      {Shape::of({2, 1, 17}), Shape::of({2, 19, 1})},
      {Shape::of({1, 1, 1, 1}), Shape::of({1, 1, 1, 1})},
      {Shape::of({1, 7, 1, 13}), Shape::of({1, 1, 11, 13})},  // row broadcast
      {Shape::of({0, 3}), Shape::of({1, 3})},                 // empty
      // Big enough to be split over a pool, mid-row: per channel, a repeated, rows.
      {Shape::of({2, 13, 17, 19}), Shape::of({13, 1, 1})},
      {Shape::of({1, 24, 1, 1}), Shape::of({1, 24, 37, 41})},
      {Shape::of({1, 7, 1, 131}), Shape::of({1, 1, 11, 131})},
  };
}

TEST(ElementwiseVariants, BinaryVariantsAreRegistered) {
  bool avx2 = false, neon = false, portable = false;
  for (const KernelVariant& v : allVariants()) {
    if (v.code != OpCode::kBinary || v.id == 0) continue;
    EXPECT_NE(v.applies, nullptr) << v.name;
    avx2 = avx2 || (v.name == "avx2-rows" && v.isa == Isa::kAvx2);
    neon = neon || (v.name == "neon-rows" && v.isa == Isa::kNeon);
    portable = portable || (v.name == "rows" && v.isa == Isa::kAny && v.run != nullptr);
  }
  EXPECT_TRUE(avx2 && neon && portable);
}

TEST(ElementwiseVariants, BinaryAppliesToFloat32Only) {
  BinaryParams p;
  const std::vector<TensorType> f = {f32({2, 3}), f32({1, 3})};
  const std::vector<TensorType> fy = {f32({2, 3})};
  const std::vector<TensorType> i = {TensorType{DType::kInt32, Shape::of({2, 3})},
                                     TensorType{DType::kInt32, Shape::of({2, 3})}};
  const std::vector<TensorType> iy = {TensorType{DType::kInt32, Shape::of({2, 3})}};
  for (const KernelVariant& v : allVariants()) {
    if (v.code != OpCode::kBinary || v.id == 0) continue;
    EXPECT_TRUE(v.applies(&p, f, fy)) << v.name;
    EXPECT_FALSE(v.applies(&p, i, iy)) << v.name;
  }
}

TEST(ElementwiseVariants, BinaryMatchesReference) {
  std::mt19937 rng(7);
  const auto variants = fastVariants(OpCode::kBinary);
  ASSERT_FALSE(variants.empty());
  int round = 0;
  for (const BinaryCase& c : binaryCases()) {
    for (int op = 0; op < 4; ++op) {
      for (int act = 0; act < 9; ++act, ++round) {
        BinaryParams p;
        p.op = static_cast<BinaryOp>(op);
        p.activation = activationNumber(act);
        const Buffer a = randomFloats(c.a, rng);
        // Keep divisors away from 0 but let both signs through.
        Buffer b = randomFloats(c.b, rng, 0.25f, 2.0f);
        std::vector<float> bv = valuesOf<float>(b);
        for (std::size_t k = 0; k < bv.size(); k += 2) bv[k] = -bv[k];
        b = floats(c.b, bv);
        const Buffer want = runOp(OpCode::kBinary, &p, {&a, &b});
        for (const KernelVariant* v : variants) {
          const std::string what = std::string(v->name) + " op " + std::to_string(op) + " act " +
                                   std::to_string(act) + " a " + shapeText(c.a) + " b " +
                                   shapeText(c.b);
          const Buffer got = runVariant(*v, &p, {&a, &b});
          expectSame(got, want, what, kBinaryTolerance);
          if (act % 3 == 0) expectSame(runVariant(*v, &p, {&a, &b}, -1, 3), got, what + " (3 threads)");
          if (a.type.shape == want.type.shape)
            expectSame(runVariant(*v, &p, {&a, &b}, 0), want, what + " (Y on A)", kBinaryTolerance);
          if (b.type.shape == want.type.shape)
            expectSame(runVariant(*v, &p, {&a, &b}, 1), want, what + " (Y on B)", kBinaryTolerance);
        }
      }
    }
  }
  EXPECT_GT(round, 0);
}

TEST(ElementwiseVariants, BinarySpecialValuesMatchReference) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> av = {0.0f, -0.0f, inf, -inf, nan, 1.0f, -1.0f, 3.0f, 1e-38f, 5.0f, -7.0f};
  const std::vector<float> bv = {0.0f, 0.0f, inf, 1.0f, 2.0f, nan, -0.0f, inf, 1e-38f, -5.0f, 0.5f};
  const Buffer a = floats(Shape::of({11}), av);
  const Buffer b = floats(Shape::of({11}), bv);
  for (int op = 0; op < 4; ++op) {
    for (int act = 0; act < 8; ++act) {
      BinaryParams p;
      p.op = static_cast<BinaryOp>(op);
      p.activation = activationNumber(act);
      const Buffer want = runOp(OpCode::kBinary, &p, {&a, &b});
      for (const KernelVariant* v : fastVariants(OpCode::kBinary)) {
        expectSame(runVariant(*v, &p, {&a, &b}), want,
                   std::string(v->name) + " op " + std::to_string(op) + " act " + std::to_string(act),
                   kBinaryTolerance);
      }
    }
  }
}

// --- Transpose -----------------------------------------------------------------------------------

TEST(ElementwiseVariants, TransposeMatchesReferenceForEveryElementSize) {
  struct Case {
    Shape x;
    std::vector<int> perm;
  };
  const std::vector<Case> cases = {
      {Shape::of({1}), {0}},
      {Shape::of({1, 128, 128, 3}), {0, 3, 1, 2}},  // NHWC -> NCHW (BlazeFace's input)
      {Shape::of({1, 6, 8, 8}), {0, 2, 3, 1}},      // NCHW -> NHWC (its heads)
      {Shape::of({7, 13}), {1, 0}},
      {Shape::of({2, 3, 5, 7, 11}), {4, 2, 0, 3, 1}},
      {Shape::of({3, 1, 5}), {1, 2, 0}},
      {Shape::of({2, 3, 4}), {0, 1, 2}},            // identity: one copy
      {Shape::of({4, 0, 3}), {2, 0, 1}},            // empty
  };
  const auto variants = fastVariants(OpCode::kTranspose);
  ASSERT_FALSE(variants.empty());
  std::mt19937 rng(11);
  for (const Case& c : cases) {
    TransposeParams p;
    p.rank = static_cast<std::int32_t>(c.perm.size());
    for (std::size_t i = 0; i < c.perm.size(); ++i) p.perm[i] = c.perm[i];
    for (DType dtype : {DType::kFloat32, DType::kUint8, DType::kInt64, DType::kBool}) {
      const auto n = static_cast<std::size_t>(c.x.numel());
      std::vector<std::byte> bytes(n * dtypeSize(dtype));
      for (std::byte& x : bytes) x = static_cast<std::byte>(rng() & (dtype == DType::kBool ? 1 : 255));
      const Buffer x{TensorType{dtype, c.x}, bytes};
      const Buffer want = runOp(OpCode::kTranspose, &p, {&x});
      for (const KernelVariant* v : variants) {
        const Buffer got = runVariant(*v, &p, {&x});
        EXPECT_TRUE(got.bytes == want.bytes)
            << v->name << " x " << shapeText(c.x) << " dtype " << dtypeName(dtype);
        EXPECT_TRUE(runVariant(*v, &p, {&x}, -1, 3).bytes == want.bytes)
            << v->name << " x " << shapeText(c.x) << " dtype " << dtypeName(dtype) << " on 3 threads";
      }
    }
  }
}

// --- MaxPool -------------------------------------------------------------------------------------

TEST(ElementwiseVariants, MaxPoolMatchesReference) {
  struct Case {
    Shape x;
    int k[2], s[2], d[2], pb[2], pe[2];
    bool ceil;
  };
  const std::vector<Case> cases = {
      {Shape::of({1, 28, 64, 64}), {2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, false},  // BlazeFace
      {Shape::of({1, 3, 7, 9}), {2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, true},      // odd, ceil
      {Shape::of({2, 3, 11, 13}), {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, false},
      {Shape::of({1, 2, 5, 5}), {3, 2}, {1, 3}, {2, 1}, {2, 1}, {1, 0}, true},
      {Shape::of({1, 1, 1, 1}), {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, false},
      {Shape::of({1, 4, 2, 17}), {2, 2}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, false},    // all edge
      {Shape::of({1, 2, 3, 3}), {2, 2}, {2, 2}, {1, 1}, {1, 1}, {0, 0}, true},
      {Shape::of({2, 5, 23, 19}), {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, false},  // many rows
      {Shape::of({1, 3, 6, 37}), {2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, true},     // 2x2: 4 + tail
      {Shape::of({1, 2, 4, 26}), {2, 2}, {2, 2}, {1, 1}, {0, 1}, {0, 1}, false},    // 2x2, padded
  };
  const auto variants = fastVariants(OpCode::kMaxPool);
  ASSERT_FALSE(variants.empty());
  std::mt19937 rng(13);
  for (const Case& c : cases) {
    PoolParams p;
    for (int a = 0; a < 2; ++a) {
      p.kernel[a] = c.k[a];
      p.stride[a] = c.s[a];
      p.dilation[a] = c.d[a];
      p.padBegin[a] = c.pb[a];
      p.padEnd[a] = c.pe[a];
    }
    p.ceilMode = c.ceil ? 1 : 0;
    Buffer x = randomFloats(c.x, rng);
    std::vector<float> xv = valuesOf<float>(x);
    // Signed zeros and NaN: the reference keeps the first of equal values and skips NaN.
    // At the start, and scattered over every position of the vector loops' lanes.
    if (xv.size() > 4) {
      xv[0] = -0.0f;
      xv[1] = 0.0f;
      xv[3] = std::numeric_limits<float>::quiet_NaN();
    }
    for (std::size_t i = 8; i < xv.size(); ++i) {
      if (i % 11 == 5) xv[i] = std::numeric_limits<float>::quiet_NaN();
      if (i % 13 == 2) xv[i] = -0.0f;
      if (i % 13 == 3 || i % 13 == 6) xv[i] = 0.0f;
    }
    x = floats(c.x, xv);
    const Buffer want = runOp(OpCode::kMaxPool, &p, {&x});
    for (const KernelVariant* v : variants) {
      expectSame(runVariant(*v, &p, {&x}), want, std::string(v->name) + " x " + shapeText(c.x));
      expectSame(runVariant(*v, &p, {&x}, -1, 3), want, std::string(v->name) + " x " + shapeText(c.x) + " on 3 threads");
    }
  }
}

TEST(ElementwiseVariants, MaxPoolVariantLeaves1DToTheReference) {
  PoolParams p;
  p.spatialRank = 1;
  p.kernel[1] = 2;
  p.stride[1] = 2;
  const std::vector<TensorType> x = {f32({1, 2, 8})};
  const std::vector<TensorType> y = {f32({1, 2, 4})};
  for (const KernelVariant& v : allVariants()) {
    if (v.code == OpCode::kMaxPool && v.id != 0) {
      EXPECT_FALSE(v.applies(&p, x, y)) << v.name;
    }
  }
}

// --- Resize --------------------------------------------------------------------------------------

TEST(ElementwiseVariants, ResizeNearestMatchesReference) {
  struct Case {
    Shape x;
    Shape y;
  };
  const std::vector<Case> cases = {
      {Shape::of({1, 96, 20, 20}), Shape::of({1, 96, 40, 40})},  // PP-OCR's 2x
      {Shape::of({1, 3, 5, 7}), Shape::of({1, 3, 20, 28})},      // 4x
      {Shape::of({1, 2, 7, 5}), Shape::of({1, 2, 3, 11})},       // down and odd up
      {Shape::of({1}), Shape::of({3})},
      {Shape::of({2, 3, 1}), Shape::of({2, 5, 4})},
      {Shape::of({1, 1, 1, 1}), Shape::of({1, 1, 1, 1})},
  };
  const auto variants = fastVariants(OpCode::kResize);
  ASSERT_FALSE(variants.empty());
  std::mt19937 rng(17);
  int round = 0;
  for (const Case& c : cases) {
    for (int transform = 0; transform < 5; ++transform) {
      for (int rounding = 0; rounding < 4; ++rounding, ++round) {
        ResizeParams p;
        p.mode = ResizeMode::kNearest;
        p.transform = static_cast<CoordinateTransform>(transform);
        p.rounding = static_cast<NearestRounding>(rounding);
        p.outputShape = c.y;
        for (int i = 0; i < c.y.rank; ++i) {
          p.scale[i] = static_cast<float>(c.y.dims[i]) / static_cast<float>(c.x.dims[i]);
        }
        const Buffer x = randomFloats(c.x, rng);
        const Buffer want = runOp(OpCode::kResize, &p, {&x});
        for (const KernelVariant* v : variants) {
          const std::string what = std::string(v->name) + " " + shapeText(c.x) + " -> " + shapeText(c.y) +
                                   " transform " + std::to_string(transform) + " rounding " +
                                   std::to_string(rounding);
          expectSame(runVariant(*v, &p, {&x}), want, what);
          if (rounding == 0) expectSame(runVariant(*v, &p, {&x}, -1, 3), want, what + " on 3 threads");
        }
      }
    }
  }
  EXPECT_GT(round, 0);
}

TEST(ElementwiseVariants, ResizeVariantLeavesLinearToTheReference) {
  ResizeParams p;
  p.mode = ResizeMode::kLinear;
  const std::vector<TensorType> x = {f32({1, 1, 2, 2})};
  const std::vector<TensorType> y = {f32({1, 1, 4, 4})};
  for (const KernelVariant& v : allVariants()) {
    if (v.code == OpCode::kResize && v.id != 0) {
      EXPECT_FALSE(v.applies(&p, x, y)) << v.name;
    }
  }
}

// --- GlobalAveragePool ---------------------------------------------------------------------------

TEST(ElementwiseVariants, GlobalAveragePoolMatchesReference) {
  // Planes of 1, of fewer than 8 elements (no lane), primes (a tail), PP-OCR's 40x40, and
  // ranks 3 to 5; values around an offset so that summation order shows, if it is wrong.
  const std::vector<Shape> shapes = {Shape::of({1, 1, 1, 1}), Shape::of({1, 3, 5}),     Shape::of({2, 13, 17}),
                                     Shape::of({1, 96, 40, 40}), Shape::of({1, 5, 1, 9}), Shape::of({1, 4, 3, 5, 7})};
  const auto variants = fastVariants(OpCode::kGlobalAveragePool);
  ASSERT_FALSE(variants.empty());
  std::mt19937 rng(19);
  GlobalPoolParams p;
  for (const Shape& s : shapes) {
    const Buffer x = randomFloats(s, rng, 9.0f, 11.0f);
    const Buffer want = runOp(OpCode::kGlobalAveragePool, &p, {&x});
    for (const KernelVariant* v : variants) {
      const Buffer got = runVariant(*v, &p, {&x});
      // Double sums in another order: equal to the float result, or one rounding apart.
      expectSame(got, want, std::string(v->name) + " x " + shapeText(s), 1e-7f);
      expectSame(runVariant(*v, &p, {&x}, -1, 3), got, std::string(v->name) + " x " + shapeText(s) + " on 3 threads");
    }
  }
}

// --- Softmax and LogSoftmax -------------------------------------------------------------------

TEST(ElementwiseVariants, SoftmaxAndLogSoftmaxMatchReference) {
  // Rows of 1, shorter than a vector, primes (tails), PP-OCRv4 rec's 6625 classes and its
  // attention rows; values spread wide enough that exp under- and overflows without the
  // max subtracted.
  const std::vector<Shape> shapes = {Shape::of({1}),      Shape::of({3, 5}),        Shape::of({2, 17}),
                                     Shape::of({1, 40, 6625}), Shape::of({1, 8, 40, 40}), Shape::of({7, 1})};
  std::mt19937 rng(23);
  for (OpCode op : {OpCode::kSoftmax, OpCode::kLogSoftmax}) {
    const auto variants = fastVariants(op);
    ASSERT_FALSE(variants.empty());
    for (const Shape& s : shapes) {
      const Buffer x = randomFloats(s, rng, -60.0f, 40.0f);
      const SoftmaxParams p{s.rank - 1};
      const Buffer want = runOp(op, &p, {&x});
      for (const KernelVariant* v : variants) {
        const std::string what = std::string(findOp(op)->name) + " " + std::string(v->name) + " x " + shapeText(s);
        const Buffer got = runVariant(*v, &p, {&x});
        const std::vector<float> g = valuesOf<float>(got);
        const std::vector<float> w = valuesOf<float>(want);
        for (std::size_t i = 0; i < w.size(); ++i) {
          // Softmax: 4e-7 relative, about 3 float roundings (and below float's smallest normal,
          // anything that small); LogSoftmax: 1e-6 absolute on values up to 100 or so, 2e-7
          // relative beyond.
          const float tolerance = op == OpCode::kSoftmax ? std::max(4e-7f * std::fabs(w[i]), 1.2e-38f)
                                                         : std::max(1e-6f, 2e-7f * std::fabs(w[i]));
          ASSERT_NEAR(g[i], w[i], tolerance) << what << " at " << i;
        }
        expectSame(runVariant(*v, &p, {&x}, -1, 3), got, what + " on 3 threads");
      }
    }
  }
}

TEST(ElementwiseVariants, SoftmaxVariantsLeaveOtherAxesToTheReferenceAndKeepNaN) {
  const SoftmaxParams inner{1};
  const TensorType x{DType::kFloat32, Shape::of({2, 3, 4})};
  for (const KernelVariant* v : fastVariants(OpCode::kSoftmax)) {
    EXPECT_FALSE(v->applies(&inner, std::span<const TensorType>(&x, 1), {})) << v->name;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const Buffer row = floats(Shape::of({2, 9}), {1, 2, nan, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    const SoftmaxParams last{1};
    const std::vector<float> y = valuesOf<float>(runVariant(*v, &last, {&row}));
    for (int i = 0; i < 9; ++i) EXPECT_TRUE(std::isnan(y[static_cast<std::size_t>(i)])) << v->name << " " << i;
    for (int i = 9; i < 18; ++i) EXPECT_FALSE(std::isnan(y[static_cast<std::size_t>(i)])) << v->name << " " << i;
  }
}

// --- Concat --------------------------------------------------------------------------------------

TEST(ElementwiseVariants, ConcatMatchesReferenceBitForBit) {
  struct Case {
    std::vector<Shape> inputs;
    int axis;
  };
  const std::vector<Case> cases = {
      {{Shape::of({1, 24, 64, 64}), Shape::of({1, 4, 64, 64})}, 1},  // BlazeFace's channel pad
      {{Shape::of({1, 24, 16, 16}), Shape::of({1, 24, 16, 16}), Shape::of({1, 24, 16, 16}),
        Shape::of({1, 24, 16, 16})}, 1},                              // PP-OCR's neck
      {{Shape::of({3, 5, 7}), Shape::of({3, 2, 7}), Shape::of({3, 0, 7}), Shape::of({3, 1, 7})}, 1},
      {{Shape::of({2, 3}), Shape::of({2, 5})}, 1},
      {{Shape::of({4, 3}), Shape::of({1, 3})}, 0},
      {{Shape::of({7}), Shape::of({1}), Shape::of({11})}, 0},
      {{Shape::of({2, 0, 3}), Shape::of({2, 0, 3})}, 1},               // empty output
  };
  const auto variants = fastVariants(OpCode::kConcat);
  ASSERT_FALSE(variants.empty());
  std::mt19937 rng(23);
  for (const Case& c : cases) {
    ConcatParams p;
    p.axis = c.axis;
    for (DType dtype : {DType::kFloat32, DType::kUint8, DType::kInt64}) {
      std::vector<Buffer> xs;
      for (const Shape& s : c.inputs) {
        std::vector<std::byte> bytes(static_cast<std::size_t>(s.numel()) * dtypeSize(dtype));
        for (std::byte& b : bytes) b = static_cast<std::byte>(rng() & 255);
        xs.push_back(Buffer{TensorType{dtype, s}, bytes});
      }
      std::vector<const Buffer*> ins;
      for (const Buffer& x : xs) ins.push_back(&x);
      const Buffer want = runOp(OpCode::kConcat, &p, ins);
      for (const KernelVariant* v : variants) {
        const std::string what = std::string(v->name) + " " + shapeText(c.inputs[0]) + " axis " +
                                 std::to_string(c.axis) + " " + std::string(dtypeName(dtype));
        EXPECT_TRUE(runVariant(*v, &p, ins).bytes == want.bytes) << what;
        EXPECT_TRUE(runVariant(*v, &p, ins, -1, 3).bytes == want.bytes) << what << " on 3 threads";
      }
    }
  }
}

// MatMul: the pointwise conv's register tiles over A (M x K) and B (K x N), float32
// accumulation against the reference's double: within 1e-5 * K of (1 + |y|) for inputs in
// [-2, 2]. Awkward sizes (1, primes, tails of every tile), the batch broadcast both ways, and
// a pool of 3 threads bit for bit equal to one.
TEST(ElementwiseVariants, MatMulMatchesReference) {
  const auto variants = fastVariants(OpCode::kMatMul);
  if (cpuFeatures().avx2 || cpuFeatures().neon) {
    EXPECT_FALSE(variants.empty());
  }
  std::mt19937 rng(1234);
  struct Case {
    std::vector<std::int64_t> a, b;
  };
  const Case cases[] = {
      {{1, 1}, {1, 1}},          {{5, 7}, {7, 17}},          {{13, 33}, {33, 100}},
      {{40, 120}, {120, 301}},   {{6, 1}, {1, 16}},          {{7, 64}, {64, 3}},
      {{2, 3, 5, 9}, {9, 11}},   {{4, 10}, {3, 10, 19}},     {{2, 1, 6, 8}, {1, 3, 8, 21}},
      {{1, 40, 12}, {1, 12, 40}},
  };
  MatMulParams p;
  for (const Case& c : cases) {
    Shape as, bs;
    for (std::int64_t d : c.a) as.dims[as.rank++] = d;
    for (std::int64_t d : c.b) bs.dims[bs.rank++] = d;
    const Buffer a = randomFloats(as, rng);
    const Buffer b = randomFloats(bs, rng);
    const Buffer want = runOp(OpCode::kMatMul, &p, {&a, &b});
    const float tolerance = 1e-5f * static_cast<float>(c.a.back());
    for (const KernelVariant* v : variants) {
      const std::string what = std::string(v->name) + " " + shapeText(as) + " x " + shapeText(bs);
      const Buffer one = runVariant(*v, &p, {&a, &b});
      expectSame(one, want, what, tolerance);
      expectSame(runVariant(*v, &p, {&a, &b}, -1, 3), one, what + " on 3 threads");
    }
  }
}

TEST(ElementwiseVariants, MatMulVariantsLeaveVectorsToTheReference) {
  const TensorType v = f32({7});
  const TensorType m = f32({7, 3});
  const std::vector<TensorType> outs = {f32({3})};
  for (const KernelVariant& variant : allVariants()) {
    if (variant.code != OpCode::kMatMul || variant.id == 0) continue;
    EXPECT_FALSE(variant.applies(nullptr, std::vector<TensorType>{v, m}, outs)) << variant.name;
    EXPECT_TRUE(variant.applies(nullptr, std::vector<TensorType>{f32({2, 7}), m}, std::vector<TensorType>{f32({2, 3})}))
        << variant.name;
  }
}

}  // namespace
}  // namespace edgert::kernels::test
