// Concat (ONNX Concat): joins 1 to 64 tensors of one element type along an axis; every
// other dim must match. Works on bytes, so it supports every dtype.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cstring>
#include <string>

#include <fmt/format.h>

namespace edgert::kernels::ref {
namespace {

// "1x?x4": the shape every input must have, with the concatenation axis left open.
std::string formatExpected(const Shape& shape, int axis) {
  std::string s;
  for (int i = 0; i < shape.rank; ++i) {
    if (i) s += 'x';
    s += i == axis ? std::string("?") : fmt::format("{}", shape.dims[i]);
  }
  return s;
}

}  // namespace

Result<void> inferConcat(const void* params, std::span<const TensorType> inputs,
                         std::span<TensorType> outputs) {
  const auto& p = *static_cast<const ConcatParams*>(params);
  EDGERT_TRY(expectArity(inputs, outputs, 1, 64, 1, "Concat"));
  const TensorType& first = inputs[0];
  if (p.axis < 0 || p.axis >= first.shape.rank) {
    return makeError(Errc::kCorrupt,
                     "Concat: axis {} is out of range for input 0 of shape {} (rank {})", p.axis,
                     formatShape(first.shape), first.shape.rank);
  }
  const int axis = p.axis;
  Shape out = first.shape;
  for (std::size_t k = 1; k < inputs.size(); ++k) {
    const TensorType& t = inputs[k];
    if (t.shape.rank == kAbsentRank) {
      return makeError(Errc::kCorrupt, "Concat: input {} is absent", k);
    }
    if (t.dtype != first.dtype) {
      return makeError(Errc::kInvalidArgument, "Concat: input {} is {}, expected {} like input 0",
                       k, dtypeName(t.dtype), dtypeName(first.dtype));
    }
    bool matches = t.shape.rank == first.shape.rank;
    for (int i = 0; matches && i < first.shape.rank; ++i) {
      matches = i == axis || t.shape.dims[i] == first.shape.dims[i];
    }
    if (!matches) {
      return makeError(Errc::kInvalidArgument,
                       "Concat: input {} has shape {}, expected {} at every axis except {}", k,
                       formatShape(t.shape), formatExpected(first.shape, axis), axis);
    }
    // At most 64 dims of at most 2^40 each: the sum cannot overflow; validateShape below
    // bounds the result.
    out.dims[axis] += t.shape.dims[axis];
  }
  EDGERT_TRY(validateShape(out, "Concat"));
  outputs[0] = TensorType{first.dtype, out};
  return success();
}

void runConcat(const KernelArgs& args) {
  const auto& p = *static_cast<const ConcatParams*>(args.params);
  const OutTensor& y = args.outputs[0];
  const Shape& out = y.type.shape;
  const std::size_t elementBytes = dtypeSize(y.type.dtype);

  // Elements before the axis (outer) and after it (inner): the output is `outer` rows, each
  // the concatenation of one row of every input.
  std::int64_t outer = 1;
  for (int i = 0; i < p.axis; ++i) outer *= out.dims[i];
  std::int64_t inner = 1;
  for (int i = p.axis + 1; i < out.rank; ++i) inner *= out.dims[i];

  std::byte* dst = y.data;
  for (std::int64_t o = 0; o < outer; ++o) {
    for (const InTensor& x : args.inputs) {
      const auto rowBytes =
          static_cast<std::size_t>(x.type.shape.dims[p.axis] * inner) * elementBytes;
      if (rowBytes == 0) continue;
      std::memcpy(dst, x.data + static_cast<std::size_t>(o) * rowBytes, rowBytes);
      dst += rowBytes;
    }
  }
}

}  // namespace edgert::kernels::ref
