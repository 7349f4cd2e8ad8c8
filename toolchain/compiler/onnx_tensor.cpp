#include "onnx_tensor.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <onnx/onnx_pb.h>

#include <cstring>

namespace edgert::compiler {
namespace {

template <typename Out, typename Field>
void copyTyped(const Field& field, std::vector<std::byte>& data) {
  data.resize(static_cast<std::size_t>(field.size()) * sizeof(Out));
  for (int i = 0; i < field.size(); ++i) {
    const Out v = static_cast<Out>(field.Get(i));
    std::memcpy(data.data() + static_cast<std::size_t>(i) * sizeof(Out), &v, sizeof(Out));
  }
}

}  // namespace

Result<FrozenInput> tensorFromProto(const onnx::TensorProto& t) {
  FrozenInput out;
  out.name = t.name();
  const std::string where = t.name().empty() ? std::string("tensor") : "tensor '" + t.name() + "'";
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    return makeError(Errc::kUnsupported, "{}: external data is not supported; save the model with its weights inside",
                     where);
  }
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: out.type.dtype = kernels::DType::kFloat32; break;
    case onnx::TensorProto::UINT8: out.type.dtype = kernels::DType::kUint8; break;
    case onnx::TensorProto::INT8: out.type.dtype = kernels::DType::kInt8; break;
    case onnx::TensorProto::INT32: out.type.dtype = kernels::DType::kInt32; break;
    case onnx::TensorProto::INT64: out.type.dtype = kernels::DType::kInt64; break;
    case onnx::TensorProto::BOOL: out.type.dtype = kernels::DType::kBool; break;
    default:
      return makeError(Errc::kUnsupported, "{}: element type {} is not supported", where,
                       onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(t.data_type())));
  }
  if (t.dims_size() > kernels::kMaxRank) {
    return makeError(Errc::kUnsupported, "{}: rank {} is above edgert's {}", where, t.dims_size(), kernels::kMaxRank);
  }
  for (int i = 0; i < t.dims_size(); ++i) out.type.shape.dims[out.type.shape.rank++] = t.dims(i);
  if (Result<void> r = kernels::validateShape(out.type.shape, where); !r) return r.error();

  const std::size_t need = out.type.bytes();
  if (t.has_raw_data()) {
    if (t.raw_data().size() != need) {
      return makeError(Errc::kCorrupt, "{}: {} bytes of raw data, {} {} needs {}", where, t.raw_data().size(),
                       kernels::dtypeName(out.type.dtype), kernels::formatShape(out.type.shape), need);
    }
    out.data.resize(need);
    if (need > 0) std::memcpy(out.data.data(), t.raw_data().data(), need);  // little-endian hosts only
    return out;
  }
  switch (out.type.dtype) {
    case kernels::DType::kFloat32: copyTyped<float>(t.float_data(), out.data); break;
    case kernels::DType::kInt64: copyTyped<std::int64_t>(t.int64_data(), out.data); break;
    case kernels::DType::kInt32: copyTyped<std::int32_t>(t.int32_data(), out.data); break;
    case kernels::DType::kUint8: copyTyped<std::uint8_t>(t.int32_data(), out.data); break;
    case kernels::DType::kInt8: copyTyped<std::int8_t>(t.int32_data(), out.data); break;
    case kernels::DType::kBool: copyTyped<std::uint8_t>(t.int32_data(), out.data); break;
  }
  if (out.data.size() != need) {
    return makeError(Errc::kCorrupt, "{}: {} elements given, shape {} needs {}", where,
                     out.data.size() / kernels::dtypeSize(out.type.dtype), kernels::formatShape(out.type.shape),
                     out.type.shape.numel());
  }
  return out;
}

}  // namespace edgert::compiler
