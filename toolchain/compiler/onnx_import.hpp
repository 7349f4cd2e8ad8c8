// ONNX import: an ONNX model (opsets 7 to 17, default domain) becomes a compiler Graph with
// every shape resolved statically.
//
// ONNX ops are translated into kernel ops (kernels/ops.hpp) with their parameter blocks;
// ops that only compute shapes or constants (Constant, Shape, ConstantOfShape, Identity,
// Dropout, and any node whose inputs are all constant) are evaluated during import, so that
// Reshape, Slice, Pad, Resize and Clip see constant operands. Every output type comes from
// the kernel op's infer function.
//
// Errors name the node and what was found: an op edgert does not run reads exactly
//   unsupported operator X (opset N) at node NAME
// and a graph input with a dynamic dimension
//   input 'x' has dynamic dimension 'N' at axis 0; fix it with --input x=1x3x224x224
#pragma once

#include "compiler/graph.hpp"
#include "edgert/base/result.hpp"
#include "edgert/kernels/tensor.hpp"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace onnx {
class ModelProto;
}  // namespace onnx

namespace edgert::compiler {

// A graph input turned into a constant of this type and these bytes (little-endian, row
// major), e.g. a Reshape's shape operand that a test model passes as a graph input.
struct FrozenInput {
  std::string name;
  kernels::TensorType type;
  std::vector<std::byte> data;  // exactly type.bytes() bytes
};

struct ImportOptions {
  // `--input NAME=1x128x128x3`: the static shape of a graph input. Required for inputs with
  // dynamic dimensions; must agree with every static dimension the model gives.
  std::vector<std::pair<std::string, kernels::Shape>> inputShapes;
  std::vector<FrozenInput> frozenInputs;
};

// Reads and imports a model file. File errors name the path; model errors are as for
// importOnnxModel (the caller adds the path as context).
Result<Graph> importOnnxFile(const std::string& path, const ImportOptions& options);

Result<Graph> importOnnxModel(const onnx::ModelProto& model, const ImportOptions& options);

}  // namespace edgert::compiler
