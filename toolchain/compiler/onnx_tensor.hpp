// ONNX TensorProto -> edgert tensor bytes (initializers, test data).
#pragma once

#include "edgert/base/result.hpp"
#include "onnx_import.hpp"

namespace onnx {
class TensorProto;
}  // namespace onnx

namespace edgert::compiler {

// The tensor's name, type and little-endian row-major bytes, from raw_data or the typed
// fields. Element types edgert lacks (double, float16, strings, ...) and external data are
// kUnsupported errors naming the tensor.
Result<FrozenInput> tensorFromProto(const onnx::TensorProto& tensor);

}  // namespace edgert::compiler
