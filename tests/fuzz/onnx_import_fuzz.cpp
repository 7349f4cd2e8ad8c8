// libFuzzer target for the ONNX importer of edgert-compile: any bytes, read as an ONNX
// model, must give an image or a clean error; no crash, no hang, no allocation beyond the
// compiler's caps (a constant folded at compile time is at most kMaxFoldedBytes, every
// shape passes validateShape). A model that imports goes through the whole compilation:
// passes, memory plan, image and the device loader's check, for this machine's fast
// target (its layout and variant passes) when it runs one, else the reference kernels.
#include "compiler/compile.hpp"
#include "compiler/onnx_import.hpp"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <utility>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(data, static_cast<int>(size))) return 0;
  auto graph = edgert::compiler::importOnnxModel(model, {});
  if (!graph.ok()) return 0;
  static const edgert::model::Target target = edgert::compiler::nativeTarget();
  (void)edgert::compiler::compileGraph(std::move(*graph), target);
  return 0;
}
