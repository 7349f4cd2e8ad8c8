#include "edgert/kernels/registry.hpp"

#include "edgert/kernels/cpu_features.hpp"

#include "conv_variants.hpp"
#include "elementwise_variants.hpp"
#include "softmax_rows.hpp"
#include "ref/ref_ops.hpp"

#include <array>

namespace edgert::kernels {
namespace {

// Every op, one line each: code, name, parameter bytes, inputs min..max, outputs min..max,
// inputs output 0 may alias (bit mask), infer.
constexpr std::array kOps{
    OpInfo{OpCode::kConv, "Conv", sizeof(ConvParams), 2, 4, 1, 1, 0b1000, ref::inferConv},
    OpInfo{OpCode::kConvTranspose, "ConvTranspose", sizeof(ConvTransposeParams), 2, 3, 1, 1, 0, ref::inferConvTranspose},
    OpInfo{OpCode::kGemm, "Gemm", sizeof(GemmParams), 2, 3, 1, 1, 0, ref::inferGemm},
    OpInfo{OpCode::kMatMul, "MatMul", sizeof(MatMulParams), 2, 2, 1, 1, 0, ref::inferMatMul},
    OpInfo{OpCode::kBinary, "Binary", sizeof(BinaryParams), 2, 2, 1, 1, 0b11, ref::inferBinary},
    OpInfo{OpCode::kActivation, "Activation", sizeof(ActivationParams), 1, 1, 1, 1, 0b1, ref::inferActivation},
    OpInfo{OpCode::kSoftmax, "Softmax", sizeof(SoftmaxParams), 1, 1, 1, 1, 0, ref::inferSoftmax},
    OpInfo{OpCode::kMaxPool, "MaxPool", sizeof(PoolParams), 1, 1, 1, 1, 0, ref::inferMaxPool},
    OpInfo{OpCode::kAveragePool, "AveragePool", sizeof(PoolParams), 1, 1, 1, 1, 0, ref::inferAveragePool},
    OpInfo{OpCode::kGlobalAveragePool, "GlobalAveragePool", sizeof(GlobalPoolParams), 1, 1, 1, 1, 0, ref::inferGlobalAveragePool},
    OpInfo{OpCode::kBatchNorm, "BatchNormalization", sizeof(BatchNormParams), 5, 5, 1, 1, 0b1, ref::inferBatchNorm},
    OpInfo{OpCode::kConcat, "Concat", sizeof(ConcatParams), 1, 64, 1, 1, 0, ref::inferConcat},
    OpInfo{OpCode::kReshape, "Reshape", sizeof(ReshapeParams), 1, 1, 1, 1, 0b1, ref::inferReshape},
    OpInfo{OpCode::kTranspose, "Transpose", sizeof(TransposeParams), 1, 1, 1, 1, 0, ref::inferTranspose},
    OpInfo{OpCode::kSlice, "Slice", sizeof(SliceParams), 1, 1, 1, 1, 0, ref::inferSlice},
    OpInfo{OpCode::kPad, "Pad", sizeof(PadParams), 1, 1, 1, 1, 0, ref::inferPad},
    OpInfo{OpCode::kResize, "Resize", sizeof(ResizeParams), 1, 1, 1, 1, 0, ref::inferResize},
    OpInfo{OpCode::kReduce, "Reduce", sizeof(ReduceParams), 1, 1, 1, 1, 0, ref::inferReduce},
    OpInfo{OpCode::kUnary, "Unary", sizeof(UnaryParams), 1, 1, 1, 1, 0b1, ref::inferUnary},
    OpInfo{OpCode::kLogSoftmax, "LogSoftmax", sizeof(SoftmaxParams), 1, 1, 1, 1, 0, ref::inferLogSoftmax},
    OpInfo{OpCode::kSplit, "Split", sizeof(SplitParams), 1, 1, 1, kMaxSplitOutputs, 0, ref::inferSplit},
    OpInfo{OpCode::kWhere, "Where", sizeof(WhereParams), 3, 3, 1, 1, 0, ref::inferWhere},
    OpInfo{OpCode::kCast, "Cast", sizeof(CastParams), 1, 1, 1, 1, 0, ref::inferCast},
    OpInfo{OpCode::kGather, "Gather", sizeof(GatherParams), 2, 2, 1, 1, 0, ref::inferGather},
    OpInfo{OpCode::kGatherElements, "GatherElements", sizeof(GatherParams), 2, 2, 1, 1, 0, ref::inferGatherElements},
    OpInfo{OpCode::kExpand, "Expand", sizeof(ExpandParams), 1, 1, 1, 1, 0, ref::inferExpand},
    OpInfo{OpCode::kTrilu, "Trilu", sizeof(TriluParams), 1, 1, 1, 1, 0, ref::inferTrilu},
    OpInfo{OpCode::kLayerNorm, "LayerNormalization", sizeof(LayerNormParams), 2, 3, 1, 3, 0, ref::inferLayerNorm},
    OpInfo{OpCode::kTopK, "TopK", sizeof(TopKParams), 1, 1, 2, 2, 0, ref::inferTopK},
    OpInfo{OpCode::kNllLoss, "NegativeLogLikelihoodLoss", sizeof(NllLossParams), 2, 3, 1, 1, 0, ref::inferNllLoss},
    OpInfo{OpCode::kNonMaxSuppression, "NonMaxSuppression", sizeof(NmsParams), 2, 2, 2, 2, 0, ref::inferNonMaxSuppression},
    OpInfo{OpCode::kDepthwisePointwise, "DepthwisePointwise", sizeof(DepthwisePointwiseParams), 3, 6, 1, 1, 0, ref::inferDepthwisePointwise},
};

// The kernel of a variant built only for another architecture is nullptr here: the
// compiler can still choose it for an image of that architecture, no loader accepts it.
#if defined(__x86_64__)
#define EDGERT_X86(fn) fn
#else
#define EDGERT_X86(fn) nullptr
#endif
#if defined(__aarch64__)
#define EDGERT_NEON(fn) fn
#else
#define EDGERT_NEON(fn) nullptr
#endif

// Every kernel variant, one line each: op, id (stored in images; 0 = reference), name,
// ISA it needs, kernel, scratch, where it applies (nullptr: wherever infer accepts). The
// compiler prefers, among the variants that apply and that the target has, the last one
// listed for the op.
constexpr std::array kVariants{
    KernelVariant{OpCode::kConv, 0, "ref", Isa::kAny, ref::runConv, nullptr, nullptr},
    KernelVariant{OpCode::kConv, 5, "avx2-general", Isa::kAvx2, EDGERT_X86(conv::x86::runGeneral), conv::generalScratchFor<conv::kAvx2Gemm>, conv::generalApplies,
                  conv::generalStateFor<conv::kAvx2Gemm>, conv::generalPrepareFor<conv::kAvx2Gemm>},
    KernelVariant{OpCode::kConv, 6, "neon-general", Isa::kNeon, EDGERT_NEON(conv::neon::runGeneral), conv::generalScratchFor<conv::kNeonGemm>, conv::generalApplies,
                  conv::generalStateFor<conv::kNeonGemm>, conv::generalPrepareFor<conv::kNeonGemm>},
    KernelVariant{OpCode::kConv, 1, "avx2-pointwise", Isa::kAvx2, EDGERT_X86(conv::x86::runPointwise), nullptr, conv::pointwiseApplies},
    KernelVariant{OpCode::kConv, 2, "avx2-depthwise", Isa::kAvx2, EDGERT_X86(conv::x86::runDepthwise), conv::depthwiseScratchFor<conv::kDepthwiseBlock>, conv::depthwiseApplies},
    KernelVariant{OpCode::kConv, 3, "neon-pointwise", Isa::kNeon, EDGERT_NEON(conv::neon::runPointwise), nullptr, conv::pointwiseApplies},
    KernelVariant{OpCode::kConv, 4, "neon-depthwise", Isa::kNeon, EDGERT_NEON(conv::neon::runDepthwise), conv::depthwiseScratchFor<conv::kDepthwiseBlock>, conv::depthwiseApplies},
    KernelVariant{OpCode::kConv, 7, "avx512-general", Isa::kAvx512, EDGERT_X86(conv::x86::runGeneralAvx512), conv::generalScratchFor<conv::kAvx512Gemm>, conv::generalApplies,
                  conv::generalStateFor<conv::kAvx512Gemm>, conv::generalPrepareFor<conv::kAvx512Gemm>},
    KernelVariant{OpCode::kConv, 9, "avx512-pointwise", Isa::kAvx512, EDGERT_X86(conv::x86::runPointwiseAvx512), nullptr, conv::pointwiseApplies},
    KernelVariant{OpCode::kConv, 8, "avx512-depthwise", Isa::kAvx512, EDGERT_X86(conv::x86::runDepthwiseAvx512), nullptr, conv::depthwiseApplies},
    KernelVariant{OpCode::kConv, 10, "avx512-direct", Isa::kAvx512, EDGERT_X86(conv::x86::runDirectAvx512), conv::directScratch, conv::directApplies},
    KernelVariant{OpCode::kConvTranspose, 0, "ref", Isa::kAny, ref::runConvTranspose, nullptr, nullptr},
    KernelVariant{OpCode::kConvTranspose, 1, "avx2-upsample", Isa::kAvx2, EDGERT_X86(conv::x86::runUpsample), conv::upsampleScratchFor<conv::kAvx2Gemm>, conv::upsampleApplies},
    KernelVariant{OpCode::kConvTranspose, 2, "neon-upsample", Isa::kNeon, EDGERT_NEON(conv::neon::runUpsample), conv::upsampleScratchFor<conv::kNeonGemm>, conv::upsampleApplies},
    KernelVariant{OpCode::kConvTranspose, 3, "avx512-upsample", Isa::kAvx512, EDGERT_X86(conv::x86::runUpsampleAvx512), conv::upsampleScratchFor<conv::kAvx512Gemm>, conv::upsampleApplies},
    KernelVariant{OpCode::kGemm, 0, "ref", Isa::kAny, ref::runGemm, nullptr, nullptr},
    KernelVariant{OpCode::kMatMul, 0, "ref", Isa::kAny, ref::runMatMul, nullptr, nullptr},
    KernelVariant{OpCode::kMatMul, 1, "avx2-gemm", Isa::kAvx2, EDGERT_X86(conv::x86::runMatMul), nullptr, conv::matmulApplies},
    KernelVariant{OpCode::kMatMul, 2, "neon-gemm", Isa::kNeon, EDGERT_NEON(conv::neon::runMatMul), nullptr, conv::matmulApplies},
    KernelVariant{OpCode::kMatMul, 3, "avx512-gemm", Isa::kAvx512, EDGERT_X86(conv::x86::runMatMulAvx512), nullptr, conv::matmulApplies},
    KernelVariant{OpCode::kBinary, 0, "ref", Isa::kAny, ref::runBinary, nullptr, nullptr},
    KernelVariant{OpCode::kBinary, 1, "rows", Isa::kAny, elementwise::runBinaryPortable, nullptr, elementwise::binaryApplies},
    KernelVariant{OpCode::kBinary, 2, "avx2-rows", Isa::kAvx2, EDGERT_X86(elementwise::x86::runBinary), nullptr, elementwise::binaryApplies},
    KernelVariant{OpCode::kBinary, 3, "neon-rows", Isa::kNeon, EDGERT_NEON(elementwise::neon::runBinary), nullptr, elementwise::binaryApplies},
    KernelVariant{OpCode::kActivation, 0, "ref", Isa::kAny, ref::runActivation, nullptr, nullptr},
    KernelVariant{OpCode::kSoftmax, 0, "ref", Isa::kAny, ref::runSoftmax, nullptr, nullptr},
    KernelVariant{OpCode::kSoftmax, 1, "avx2-rows", Isa::kAvx2, EDGERT_X86(softmax::x86::runSoftmax), nullptr, softmax::lastAxisApplies},
    KernelVariant{OpCode::kSoftmax, 2, "neon-rows", Isa::kNeon, EDGERT_NEON(softmax::neon::runSoftmax), nullptr, softmax::lastAxisApplies},
    KernelVariant{OpCode::kSoftmax, 3, "avx512-rows", Isa::kAvx512, EDGERT_X86(softmax::x86::runSoftmaxAvx512), nullptr, softmax::lastAxisApplies},
    KernelVariant{OpCode::kMaxPool, 0, "ref", Isa::kAny, ref::runMaxPool, nullptr, nullptr},
    KernelVariant{OpCode::kMaxPool, 1, "rows", Isa::kAny, elementwise::runMaxPoolPortable, nullptr, elementwise::maxPoolApplies},
    KernelVariant{OpCode::kAveragePool, 0, "ref", Isa::kAny, ref::runAveragePool, nullptr, nullptr},
    KernelVariant{OpCode::kGlobalAveragePool, 0, "ref", Isa::kAny, ref::runGlobalAveragePool, nullptr, nullptr},
    KernelVariant{OpCode::kGlobalAveragePool, 1, "lanes", Isa::kAny, elementwise::runGlobalAveragePoolPortable, nullptr, nullptr},
    KernelVariant{OpCode::kBatchNorm, 0, "ref", Isa::kAny, ref::runBatchNorm, nullptr, nullptr},
    KernelVariant{OpCode::kConcat, 0, "ref", Isa::kAny, ref::runConcat, nullptr, nullptr},
    KernelVariant{OpCode::kConcat, 1, "rows", Isa::kAny, elementwise::runConcatPortable, nullptr, nullptr},
    KernelVariant{OpCode::kReshape, 0, "ref", Isa::kAny, ref::runReshape, nullptr, nullptr},
    KernelVariant{OpCode::kTranspose, 0, "ref", Isa::kAny, ref::runTranspose, nullptr, nullptr},
    KernelVariant{OpCode::kTranspose, 1, "rows", Isa::kAny, elementwise::runTransposePortable, nullptr, nullptr},
    KernelVariant{OpCode::kSlice, 0, "ref", Isa::kAny, ref::runSlice, nullptr, nullptr},
    KernelVariant{OpCode::kPad, 0, "ref", Isa::kAny, ref::runPad, nullptr, nullptr},
    KernelVariant{OpCode::kResize, 0, "ref", Isa::kAny, ref::runResize, nullptr, nullptr},
    KernelVariant{OpCode::kResize, 1, "nearest-rows", Isa::kAny, elementwise::runResizeNearestPortable, elementwise::resizeNearestScratch, elementwise::resizeNearestApplies},
    KernelVariant{OpCode::kReduce, 0, "ref", Isa::kAny, ref::runReduce, nullptr, nullptr},
    KernelVariant{OpCode::kUnary, 0, "ref", Isa::kAny, ref::runUnary, nullptr, nullptr},
    KernelVariant{OpCode::kLogSoftmax, 0, "ref", Isa::kAny, ref::runLogSoftmax, nullptr, nullptr},
    KernelVariant{OpCode::kLogSoftmax, 1, "avx2-rows", Isa::kAvx2, EDGERT_X86(softmax::x86::runLogSoftmax), nullptr, softmax::lastAxisApplies},
    KernelVariant{OpCode::kLogSoftmax, 2, "neon-rows", Isa::kNeon, EDGERT_NEON(softmax::neon::runLogSoftmax), nullptr, softmax::lastAxisApplies},
    KernelVariant{OpCode::kLogSoftmax, 3, "avx512-rows", Isa::kAvx512, EDGERT_X86(softmax::x86::runLogSoftmaxAvx512), nullptr, softmax::lastAxisApplies},
    KernelVariant{OpCode::kSplit, 0, "ref", Isa::kAny, ref::runSplit, nullptr, nullptr},
    KernelVariant{OpCode::kWhere, 0, "ref", Isa::kAny, ref::runWhere, nullptr, nullptr},
    KernelVariant{OpCode::kCast, 0, "ref", Isa::kAny, ref::runCast, nullptr, nullptr},
    KernelVariant{OpCode::kGather, 0, "ref", Isa::kAny, ref::runGather, nullptr, nullptr},
    KernelVariant{OpCode::kGatherElements, 0, "ref", Isa::kAny, ref::runGatherElements, nullptr, nullptr},
    KernelVariant{OpCode::kExpand, 0, "ref", Isa::kAny, ref::runExpand, nullptr, nullptr},
    KernelVariant{OpCode::kTrilu, 0, "ref", Isa::kAny, ref::runTrilu, nullptr, nullptr},
    KernelVariant{OpCode::kLayerNorm, 0, "ref", Isa::kAny, ref::runLayerNorm, nullptr, nullptr},
    KernelVariant{OpCode::kTopK, 0, "ref", Isa::kAny, ref::runTopK, ref::topKScratch, nullptr},
    KernelVariant{OpCode::kNllLoss, 0, "ref", Isa::kAny, ref::runNllLoss, nullptr, nullptr},
    KernelVariant{OpCode::kNonMaxSuppression, 0, "ref", Isa::kAny, ref::runNonMaxSuppression, ref::nonMaxSuppressionScratch, nullptr},
    KernelVariant{OpCode::kDepthwisePointwise, 0, "ref", Isa::kAny, ref::runDepthwisePointwise, ref::depthwisePointwiseScratch, nullptr},
    KernelVariant{OpCode::kDepthwisePointwise, 1, "avx2-dw-pw", Isa::kAvx2, EDGERT_X86(conv::x86::runDepthwisePointwise), conv::depthwisePointwiseScratchFor<conv::kDepthwiseBlock>, conv::depthwisePointwiseApplies},
    KernelVariant{OpCode::kDepthwisePointwise, 2, "neon-dw-pw", Isa::kNeon, EDGERT_NEON(conv::neon::runDepthwisePointwise), conv::depthwisePointwiseScratchFor<conv::kDepthwiseBlock>, conv::depthwisePointwiseApplies},
    KernelVariant{OpCode::kDepthwisePointwise, 3, "avx512-dw-pw", Isa::kAvx512, EDGERT_X86(conv::x86::runDepthwisePointwiseAvx512), conv::depthwisePointwiseScratchFor<0>, conv::depthwisePointwiseApplies},
};

#undef EDGERT_X86
#undef EDGERT_NEON

}  // namespace

const OpInfo* findOp(OpCode code) {
  for (const OpInfo& op : kOps) {
    if (op.code == code) return &op;
  }
  return nullptr;
}

std::span<const OpInfo> allOps() { return kOps; }

const KernelVariant* findVariant(OpCode code, std::uint16_t id) {
  for (const KernelVariant& v : kVariants) {
    if (v.code == code && v.id == id) return &v;
  }
  return nullptr;
}

std::span<const KernelVariant> allVariants() { return kVariants; }

bool isaAvailable(Isa isa) {
  const CpuFeatures& f = cpuFeatures();
  switch (isa) {
    case Isa::kAny: return true;
    case Isa::kAvx2: return f.avx2 && f.fma;
    case Isa::kAvx512: return f.avx512f && f.avx512bw && f.avx512vl;
    case Isa::kNeon: return f.neon;
    case Isa::kNeonFp16: return f.neon && f.neonFp16;
  }
  return false;
}

}  // namespace edgert::kernels
