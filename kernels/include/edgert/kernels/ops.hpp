// The operators edgert runs, and their parameters.
//
// An op is an OpCode plus a parameter block: a plain struct, stored byte for byte in the
// model image (little-endian, no pointers, fixed size, natural alignment, no implicit
// padding). The compiler fills it from ONNX attributes and constant inputs; the loader
// checks it with the op's `infer` function (registry.hpp) before anything runs. Codes and
// layouts are part of the image format: append, never renumber or reorder; a layout change
// bumps the image format version.
//
// Spatial ops work on NCHW tensors (N, C, then 1 or 2 spatial dims; 1-D ops use H = 1).
#pragma once

#include "edgert/kernels/tensor.hpp"

#include <cstdint>
#include <string_view>
#include <type_traits>

namespace edgert::kernels {

enum class OpCode : std::uint16_t {
  kConv = 1,            // inputs X, W, [B], [residual]         -> Y
  kConvTranspose = 2,   // inputs X, W, [B]                     -> Y
  kGemm = 3,            // inputs A, B, [C]                     -> Y
  kMatMul = 4,          // inputs A, B (numpy matmul broadcasting) -> Y
  kBinary = 5,          // inputs A, B (numpy broadcasting)     -> Y   (BinaryOp: Add, Pow, Less, ...)
  kActivation = 6,      // input X                              -> Y   (Relu, Clip, ...)
  kSoftmax = 7,         // input X                              -> Y
  kMaxPool = 8,         // input X                              -> Y
  kAveragePool = 9,     // input X                              -> Y
  kGlobalAveragePool = 10,  // input X                          -> Y
  kBatchNorm = 11,      // inputs X, scale, B, mean, var        -> Y
  kConcat = 12,         // inputs X0..Xn-1                      -> Y
  kReshape = 13,        // input X -> Y with the same bytes (Reshape, Flatten, Squeeze, Unsqueeze)
  kTranspose = 14,      // input X                              -> Y
  kSlice = 15,          // input X                              -> Y
  kPad = 16,            // input X                              -> Y   (constant mode)
  kResize = 17,         // input X                              -> Y   (nearest, linear)
  kReduce = 18,         // input X                              -> Y   (ReduceKind: Mean, Sum, ArgMax, ...)
  kUnary = 19,          // input X                              -> Y   (UnaryKind: Sqrt, Exp, Erf, ...)
  kLogSoftmax = 20,     // input X                              -> Y   (SoftmaxParams)
  kSplit = 21,          // input X                              -> Y0..Yn-1
  kWhere = 22,          // inputs condition (bool), X, Y (numpy broadcasting) -> Z
  kCast = 23,           // input X                              -> Y   (CastParams: the element type)
  kGather = 24,         // inputs data, indices (int32/int64)   -> Y
  kGatherElements = 25, // inputs data, indices (int32/int64)   -> Y   (Y shaped as indices)
  kExpand = 26,         // input X                              -> Y   (X broadcast to a shape)
  kTrilu = 27,          // input X                              -> Y   (a triangle kept, the rest 0)
  kLayerNorm = 28,      // inputs X, scale, [B]                 -> Y, [mean], [inverse std dev]
  kTopK = 29,           // input X                              -> values, indices (int64)
  kNllLoss = 30,        // inputs log-probabilities, target, [weight] -> loss
  kNonMaxSuppression = 31,  // inputs boxes, scores             -> selected (int64, padded), count
  kDepthwisePointwise = 32, // inputs X, Wd, Wp, [Bd], [Bp], [residual] -> Y (a depthwise Conv
                            // and the pointwise Conv reading it, fused by the compiler)
};
inline constexpr std::uint16_t kMaxOpCode = 32;

// Activation functions, standalone (kActivation) or fused into a Conv epilogue.
enum class Activation : std::uint8_t {
  kNone = 0,
  kRelu = 1,
  kLeakyRelu = 2,    // x < 0 ? alpha * x : x
  kClip = 3,         // min(max(x, alpha), beta)
  kSigmoid = 4,
  kHardSigmoid = 5,  // max(0, min(1, alpha * x + beta))
  kHardSwish = 6,    // x * max(0, min(1, x / 6 + 1 / 2))
  kTanh = 7,
  // HardSwish, then an affine map: hardswish(x) * alpha + beta. Not an ONNX op: the
  // compiler fuses a scalar Mul/Add after a HardSwish into it (PP-LCNet's learnable
  // affine blocks), so that a Conv epilogue does all of it in registers.
  kHardSwishAffine = 8,
};

struct ActivationParams {
  Activation kind = Activation::kNone;
  std::uint8_t reserved[3] = {};
  float alpha = 0.0f;
  float beta = 0.0f;
};

struct ConvParams {
  std::int32_t spatialRank = 2;          // 1 or 2
  std::int32_t kernel[2] = {1, 1};       // kH, kW (1-D: 1, k)
  std::int32_t stride[2] = {1, 1};
  std::int32_t dilation[2] = {1, 1};
  std::int32_t padBegin[2] = {0, 0};     // top, left (explicit; auto_pad resolved by the compiler)
  std::int32_t padEnd[2] = {0, 0};       // bottom, right
  std::int32_t group = 1;
  std::uint8_t hasBias = 0;              // input 2 present
  std::uint8_t hasResidual = 0;          // input 3 present: Y = act(conv + bias + residual)
  std::uint8_t weightLayout = 0;         // 0: OIHW as in ONNX; others: pre-packed for a variant
  std::uint8_t reserved = 0;
  ActivationParams activation;           // applied last
};

// A depthwise Conv followed by the pointwise Conv that alone reads its output, as one op:
// T = act_d(depthwise(X, Wd) + Bd), Y = act_p(Wp * T + Bp + residual). The compiler fuses
// them (toolchain/compiler/passes/fuse_depthwise_pointwise.cpp) so that T is computed a
// few rows at a time into scratch and read back while it is still in cache, instead of
// written to the arena and read again. Inputs: 0 X (N x C x H x W), 1 Wd (C x 1 x kH x
// kW), 2 Wp (OC x C x 1 x 1), then the optional ones: 3 Bd (C), 4 Bp (OC), 5 residual
// (like Y). T's values are exactly the two Convs' (the reference kernel computes each
// as the Conv reference does).
struct DepthwisePointwiseParams {
  ConvParams depthwise;  // 2-D, group == C == its output channels, no residual
  ConvParams pointwise;  // 1x1, stride 1, dilation 1, no pads, group 1
};

struct ConvTransposeParams {
  std::int32_t spatialRank = 2;
  std::int32_t kernel[2] = {1, 1};
  std::int32_t stride[2] = {1, 1};
  std::int32_t dilation[2] = {1, 1};
  std::int32_t padBegin[2] = {0, 0};
  std::int32_t padEnd[2] = {0, 0};
  std::int32_t outputPadding[2] = {0, 0};
  std::int32_t group = 1;
  std::uint8_t hasBias = 0;
  std::uint8_t reserved[3] = {};
  ActivationParams activation;           // applied last, as Conv's (format version 2)
};

struct GemmParams {
  float alpha = 1.0f;
  float beta = 1.0f;
  std::uint8_t transA = 0;
  std::uint8_t transB = 0;
  std::uint8_t hasC = 0;                 // input 2 present (unidirectionally broadcast to Y)
  std::uint8_t reserved = 0;
};

struct MatMulParams {
  std::uint32_t reserved = 0;
};

// The Binary family. Arithmetic kinds give A's type; comparisons give bool (A and B of one
// numeric type); the logical kinds take and give bool.
enum class BinaryOp : std::uint8_t {
  kAdd = 0,
  kSub = 1,
  kMul = 2,
  kDiv = 3,
  kPow = 4,             // float32: std::pow; integers: by squaring, wrapping (x^negative is 0 unless |x| = 1)
  kMin = 5,
  kMax = 6,
  kPRelu = 7,           // A < 0 ? A * B : A (B the slope, broadcast)
  kMod = 8,             // integers: the sign of B (ONNX fmod = 0); x mod 0 is 0
  kFmod = 9,            // float32 std::fmod, integers C's %: the sign of A (ONNX fmod = 1)
  kEqual = 10,
  kLess = 11,
  kLessOrEqual = 12,
  kGreater = 13,
  kGreaterOrEqual = 14,
  kAnd = 15,
  kOr = 16,
  kXor = 17,
};
inline constexpr std::uint8_t kMaxBinaryOp = 17;

struct BinaryParams {
  BinaryOp op = BinaryOp::kAdd;
  std::uint8_t reserved[3] = {};
  ActivationParams activation;           // fused activation on the result (kNone: none)
};

struct SoftmaxParams {
  std::int32_t axis = -1;                // normalized to [0, rank) by the compiler
};

struct PoolParams {
  std::int32_t spatialRank = 2;
  std::int32_t kernel[2] = {1, 1};
  std::int32_t stride[2] = {1, 1};
  std::int32_t dilation[2] = {1, 1};
  std::int32_t padBegin[2] = {0, 0};
  std::int32_t padEnd[2] = {0, 0};
  std::uint8_t ceilMode = 0;
  std::uint8_t countIncludePad = 0;      // AveragePool only
  std::uint8_t reserved[2] = {};
};

struct GlobalPoolParams {
  std::uint32_t reserved = 0;
};

struct BatchNormParams {
  float epsilon = 1e-5f;
};

struct ConcatParams {
  std::int32_t axis = 0;                 // normalized to [0, rank)
};

struct ReshapeParams {
  Shape shape;                           // the output shape; same number of elements
};

struct TransposeParams {
  std::int32_t rank = 0;
  std::int32_t perm[kMaxRank] = {};      // output dim i is input dim perm[i]
};

struct SliceParams {
  // Per axis of the input, normalized by the compiler (ONNX's clamping of starts and ends
  // already applied): output dim i has count[i] elements, element j read from input index
  // start[i] + j * step[i]. step != 0; when count[i] > 0 every index read lies in
  // [0, dim). Axes not sliced have start 0, step 1, count = dim.
  std::int32_t rank = 0;
  std::int32_t reserved = 0;
  std::int64_t start[kMaxRank] = {};
  std::int64_t step[kMaxRank] = {};
  std::int64_t count[kMaxRank] = {};
};

// Pad's modes: the value, the nearest edge element, or the mirror image without the edge
// (reflect needs each pad smaller than its dim).
enum class PadMode : std::uint8_t { kConstant = 0, kEdge = 1, kReflect = 2 };
struct PadParams {
  // Format 2 images stored rank as an int32 (at most 8, little-endian): its high bytes read
  // as mode 0 (constant) and zero reserved bytes.
  std::uint8_t rank = 0;
  PadMode mode = PadMode::kConstant;
  std::uint8_t reserved[2] = {};
  float value = 0.0f;                    // constant mode only
  std::int64_t padBegin[kMaxRank] = {};  // may be negative (cropping), as ONNX allows
  std::int64_t padEnd[kMaxRank] = {};
};

enum class ResizeMode : std::uint8_t { kNearest = 0, kLinear = 1, kCubic = 2 };
enum class CoordinateTransform : std::uint8_t {
  kHalfPixel = 0,
  kAsymmetric = 1,
  kAlignCorners = 2,
  kPytorchHalfPixel = 3,
  kTfHalfPixelForNearest = 4,
};
enum class NearestRounding : std::uint8_t {
  kRoundPreferFloor = 0,
  kRoundPreferCeil = 1,
  kFloor = 2,
  kCeil = 3,
};

struct ResizeParams {
  ResizeMode mode = ResizeMode::kNearest;
  CoordinateTransform transform = CoordinateTransform::kHalfPixel;
  NearestRounding rounding = NearestRounding::kRoundPreferFloor;
  std::uint8_t excludeOutside = 0;       // cubic: taps outside X weigh 0, the rest renormalized
  float cubicCoeffA = 0.0f;              // cubic: the kernel's a (ONNX's default -0.75)
  float scale[kMaxRank] = {};            // output / input per axis (outputShape.rank of them)
  Shape outputShape;
};

// The Reduce family over the axes of a mask (op code 18, ReduceMean alone in format 2
// images, whose kind byte is 0: kMean). Float32 in; ArgMax and ArgMin give int64 indices
// along their one axis.
enum class ReduceKind : std::uint8_t {
  kMean = 0,
  kSum = 1,
  kMax = 2,
  kMin = 3,
  kProd = 4,
  kL1 = 5,              // sum |x|
  kL2 = 6,              // sqrt(sum x^2)
  kSumSquare = 7,
  kLogSum = 8,
  kLogSumExp = 9,
  kArgMax = 10,
  kArgMin = 11,
};
inline constexpr std::uint8_t kMaxReduceKind = 11;

struct ReduceParams {
  std::uint32_t axesMask = 0;            // bit i set: reduce axis i (one bit for ArgMax/ArgMin)
  std::uint8_t keepDims = 1;
  ReduceKind kind = ReduceKind::kMean;
  std::uint8_t selectLastIndex = 0;      // ArgMax/ArgMin: the last of equal extremes
  std::uint8_t reserved = 0;
};

// The Unary family: float32 elementwise functions (kNot: bool). The activations a Conv or
// Binary epilogue fuses stay their own set (Activation above).
enum class UnaryKind : std::uint8_t {
  kNeg = 0,
  kAbs = 1,
  kSqrt = 2,
  kExp = 3,
  kLog = 4,
  kReciprocal = 5,
  kFloor = 6,
  kCeil = 7,
  kRound = 8,            // to nearest, ties to even
  kErf = 9,
  kSign = 10,
  kNot = 11,             // bool
  kSoftplus = 12,        // log(1 + exp(x))
  kSoftsign = 13,        // x / (1 + |x|)
  kElu = 14,             // x < 0 ? alpha * (exp(x) - 1) : x
  kSelu = 15,            // beta * (x <= 0 ? alpha * (exp(x) - 1) : x)   (beta: gamma)
  kThresholdedRelu = 16, // x > alpha ? x : 0
  kSin = 17,
  kCos = 18,
  kGelu = 19,            // 0.5 x (1 + erf(x / sqrt 2))
  kTan = 20,
  kAsin = 21,
  kAcos = 22,
  kAtan = 23,
  kSinh = 24,
  kCosh = 25,
  kAsinh = 26,
  kAcosh = 27,
  kAtanh = 28,
  kShrink = 29,          // x < -alpha ? x + beta : (x > alpha ? x - beta : 0)   (alpha: lambd, beta: bias)
};
inline constexpr std::uint8_t kMaxUnaryKind = 29;

struct UnaryParams {
  UnaryKind kind = UnaryKind::kNeg;
  std::uint8_t reserved[3] = {};
  float alpha = 0.0f;
  float beta = 0.0f;
};

// Split: X cut along `axis` into `count` outputs of sizes[0..count) (summing to X's dim).
inline constexpr std::uint8_t kMaxSplitOutputs = 32;
struct SplitParams {
  std::int32_t axis = 0;                 // normalized to [0, rank)
  std::int32_t count = 0;                // outputs, 1..kMaxSplitOutputs
  std::int64_t sizes[kMaxSplitOutputs] = {};
};

// Where: no parameters.
struct WhereParams {
  std::uint32_t reserved = 0;
};

// Cast: X converted to `to`. Float to integer truncates toward zero and saturates at the
// type's limits (NaN gives 0); to bool is x != 0; integer to narrower integer wraps.
struct CastParams {
  DType to = DType::kFloat32;
  std::uint8_t reserved[3] = {};
};

// Gather and GatherElements along `axis`. An index may be negative (counted from the end);
// one outside [-dim, dim) reads 0 (ONNX leaves it undefined; the compiler refuses constant
// indices out of range).
struct GatherParams {
  std::int32_t axis = 0;                 // normalized to [0, rank of data)
};

// Expand: X broadcast (numpy rules) to `shape`, which the compiler computes from ONNX's
// shape operand and X's shape.
struct ExpandParams {
  Shape shape;
};

// Trilu: the upper (j - i >= k) or lower (j - i <= k) triangle of each matrix of the last
// two dims kept, the rest zero.
struct TriluParams {
  std::uint8_t upper = 1;
  std::uint8_t reserved[7] = {};
  std::int64_t k = 0;
};

// LayerNormalization over the dims [axis, rank): Y = (X - mean) / sqrt(var + epsilon) *
// scale + B, scale and B shaped as those dims (leading 1s allowed). The optional outputs
// mean and 1 / sqrt(var + epsilon) have X's shape with the normalized dims set to 1.
struct LayerNormParams {
  std::int32_t axis = -1;                // normalized to [0, rank)
  float epsilon = 1e-5f;
};

// TopK: the k largest (or smallest) elements along `axis`, sorted, equal values in index
// order; values and their int64 indices.
struct TopKParams {
  std::int32_t axis = -1;                // normalized to [0, rank)
  std::uint8_t largest = 1;
  std::uint8_t reserved[3] = {};
  std::int64_t k = 0;
};

// NegativeLogLikelihoodLoss: input N x C x d... (log-probabilities), target N x d...
// (int32/int64 class indices), optional weight C. Each element's loss is -input[n, t, d] *
// weight[t] (t its target), 0 where t is ignoreIndex; then none (N x d...), the sum, or
// the mean weighted by the weights of the targets not ignored. A target outside [0, C)
// that is not ignoreIndex counts as ignored (ONNX leaves it undefined).
enum class LossReduction : std::uint8_t { kNone = 0, kSum = 1, kMean = 2 };
struct NllLossParams {
  LossReduction reduction = LossReduction::kMean;
  std::uint8_t hasIgnoreIndex = 0;
  std::uint8_t reserved[6] = {};
  std::int64_t ignoreIndex = 0;
};

// NonMaxSuppression with a static output bound: boxes B x N x 4, scores B x C x N. Per
// batch and class, the boxes scoring above scoreThreshold (when set) in falling score order
// (equal scores by index), each kept unless its IoU with one kept before exceeds
// iouThreshold, at most maxPerClass. Output 0 holds B * C * min(maxPerClass, N) rows of
// (batch, class, box), the kept ones first in that order, the rest -1; output 1 the count
// of kept rows (int64, shape [1]). Boxes are corners [y1, x1, y2, x2] in either order, or
// centers [x, y, w, h] (centerPointBox).
struct NmsParams {
  std::int64_t maxPerClass = 0;
  float iouThreshold = 0.0f;
  float scoreThreshold = 0.0f;
  std::uint8_t centerPointBox = 0;
  std::uint8_t hasScoreThreshold = 0;
  std::uint8_t reserved[6] = {};
};

// The ONNX name of each kind ("Pow", "ReduceSum", "Erf"); "?" for a value out of range.
std::string_view binaryOpName(BinaryOp op);
std::string_view reduceKindName(ReduceKind kind);
std::string_view unaryKindName(UnaryKind kind);

// Every parameter block is stored verbatim: it must be trivially copyable with no hidden
// padding surprises across compilers (x86-64 and AArch64 have the same layout rules).
#define EDGERT_PARAMS_POD(T) \
  static_assert(std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T>, #T)
EDGERT_PARAMS_POD(ActivationParams);
EDGERT_PARAMS_POD(ConvParams);
EDGERT_PARAMS_POD(ConvTransposeParams);
EDGERT_PARAMS_POD(GemmParams);
EDGERT_PARAMS_POD(MatMulParams);
EDGERT_PARAMS_POD(BinaryParams);
EDGERT_PARAMS_POD(SoftmaxParams);
EDGERT_PARAMS_POD(PoolParams);
EDGERT_PARAMS_POD(GlobalPoolParams);
EDGERT_PARAMS_POD(BatchNormParams);
EDGERT_PARAMS_POD(ConcatParams);
EDGERT_PARAMS_POD(ReshapeParams);
EDGERT_PARAMS_POD(TransposeParams);
EDGERT_PARAMS_POD(SliceParams);
EDGERT_PARAMS_POD(PadParams);
EDGERT_PARAMS_POD(ResizeParams);
EDGERT_PARAMS_POD(ReduceParams);
EDGERT_PARAMS_POD(UnaryParams);
EDGERT_PARAMS_POD(SplitParams);
EDGERT_PARAMS_POD(WhereParams);
EDGERT_PARAMS_POD(CastParams);
EDGERT_PARAMS_POD(GatherParams);
EDGERT_PARAMS_POD(ExpandParams);
EDGERT_PARAMS_POD(TriluParams);
EDGERT_PARAMS_POD(LayerNormParams);
EDGERT_PARAMS_POD(TopKParams);
EDGERT_PARAMS_POD(NllLossParams);
EDGERT_PARAMS_POD(NmsParams);
#undef EDGERT_PARAMS_POD

}  // namespace edgert::kernels
