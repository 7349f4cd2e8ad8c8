// Reference kernels: plain loops, obviously correct, never tuned. One op per file in this
// folder; each file defines the op's infer function (shape and parameter checks shared by
// the compiler and the loader) and its reference kernel. registry.cpp lists them.
#pragma once

#include "edgert/kernels/registry.hpp"

namespace edgert::kernels::ref {

#define EDGERT_REF_OP(name)                                                              \
  Result<void> infer##name(const void* params, std::span<const TensorType> inputs,       \
                           std::span<TensorType> outputs);                               \
  void run##name(const KernelArgs& args)

// Compute ops (conv.cpp, conv_transpose.cpp, gemm.cpp, matmul.cpp, softmax.cpp,
// max_pool.cpp, average_pool.cpp, global_average_pool.cpp, batch_norm.cpp, resize.cpp,
// reduce.cpp).
EDGERT_REF_OP(Conv);
EDGERT_REF_OP(DepthwisePointwise);  // depthwise_pointwise.cpp
std::uint64_t depthwisePointwiseScratch(const void* params, std::span<const TensorType> inputs,
                                        std::span<const TensorType> outputs);
EDGERT_REF_OP(ConvTranspose);
EDGERT_REF_OP(Gemm);
EDGERT_REF_OP(MatMul);
EDGERT_REF_OP(Softmax);
EDGERT_REF_OP(LogSoftmax);
EDGERT_REF_OP(MaxPool);
EDGERT_REF_OP(AveragePool);
EDGERT_REF_OP(GlobalAveragePool);
EDGERT_REF_OP(BatchNorm);
EDGERT_REF_OP(Resize);
EDGERT_REF_OP(Reduce);

// Elementwise and data-movement ops (binary.cpp, unary.cpp, activation.cpp, concat.cpp,
// reshape.cpp, transpose.cpp, slice.cpp, split.cpp, pad.cpp).
EDGERT_REF_OP(Binary);
EDGERT_REF_OP(Unary);
EDGERT_REF_OP(Activation);
EDGERT_REF_OP(Concat);
EDGERT_REF_OP(Reshape);
EDGERT_REF_OP(Transpose);
EDGERT_REF_OP(Slice);
EDGERT_REF_OP(Split);
EDGERT_REF_OP(Pad);

// Selection, conversion and indexing (where.cpp, cast.cpp, gather.cpp, gather_elements.cpp,
// expand.cpp, trilu.cpp, top_k.cpp) normalization (layer_norm.cpp), loss (nll_loss.cpp) and
// detection (non_max_suppression.cpp).
EDGERT_REF_OP(Where);
EDGERT_REF_OP(Cast);
EDGERT_REF_OP(Gather);
EDGERT_REF_OP(GatherElements);
EDGERT_REF_OP(Expand);
EDGERT_REF_OP(Trilu);
EDGERT_REF_OP(TopK);
EDGERT_REF_OP(LayerNorm);
EDGERT_REF_OP(NllLoss);
EDGERT_REF_OP(NonMaxSuppression);
std::uint64_t nonMaxSuppressionScratch(const void* params, std::span<const TensorType> inputs,
                                       std::span<const TensorType> outputs);
std::uint64_t topKScratch(const void* params, std::span<const TensorType> inputs, std::span<const TensorType> outputs);

#undef EDGERT_REF_OP

}  // namespace edgert::kernels::ref
