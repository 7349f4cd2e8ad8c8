// ONNX import on small models built here with the protobuf API: op translation per opset,
// constant evaluation during import, static shapes, and the exact rejection messages.
#include "compiler/onnx_import.hpp"

#include "compiler/passes/passes.hpp"
#include "graph_interpreter.hpp"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <unistd.h>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <string>

namespace edgert::compiler {
namespace {

using kernels::Activation;
using kernels::DType;
using kernels::OpCode;
using kernels::Shape;
using testing::randomFloats;
using testing::runGraph;

// --- Building models ---------------------------------------------------------------------------

void attrI(onnx::NodeProto& n, const std::string& name, std::int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void attrF(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
void attrS(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}
void attrInts(onnx::NodeProto& n, const std::string& name, const std::vector<std::int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (std::int64_t x : v) a->add_ints(x);
}
void attrFloats(onnx::NodeProto& n, const std::string& name, const std::vector<float>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOATS);
  for (float x : v) a->add_floats(x);
}

onnx::TensorProto floatTensor(const std::string& name, const std::vector<std::int64_t>& dims,
                              const std::vector<float>& values, bool raw = false) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (std::int64_t d : dims) t.add_dims(d);
  if (raw) {
    t.set_raw_data(
        std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  } else {
    for (float v : values) t.add_float_data(v);
  }
  return t;
}

onnx::TensorProto intTensor(const std::string& name, const std::vector<std::int64_t>& dims,
                            const std::vector<std::int64_t>& values, bool raw = false) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::INT64);
  for (std::int64_t d : dims) t.add_dims(d);
  if (raw) {
    t.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()),
                               values.size() * sizeof(std::int64_t)));
  } else {
    for (std::int64_t v : values) t.add_int64_data(v);
  }
  return t;
}

class OnnxModel {
 public:
  explicit OnnxModel(std::int64_t opset) {
    model.set_ir_version(8);
    model.set_producer_name("edgert-test");
    auto* id = model.add_opset_import();
    id->set_domain("");
    id->set_version(opset);
    graph = model.mutable_graph();
    graph->set_name("test");
  }

  // dims: a number is a static dimension, anything else a named dynamic one.
  OnnxModel& input(const std::string& name, const std::vector<std::string>& dims,
                   int elemType = onnx::TensorProto::FLOAT) {
    auto* v = graph->add_input();
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elemType);
    auto* shape = tt->mutable_shape();
    for (const std::string& d : dims) {
      auto* dim = shape->add_dim();
      if (!d.empty() && std::isdigit(static_cast<unsigned char>(d[0]))) {
        dim->set_dim_value(std::stoll(d));
      } else if (!d.empty()) {
        dim->set_dim_param(d);
      }
    }
    return *this;
  }

  OnnxModel& input(const std::string& name, const std::vector<std::int64_t>& dims) {
    std::vector<std::string> s;
    for (std::int64_t d : dims) s.push_back(std::to_string(d));
    return input(name, s);
  }

  OnnxModel& output(const std::string& name) {
    graph->add_output()->set_name(name);
    return *this;
  }

  OnnxModel& init(const onnx::TensorProto& t) {
    *graph->add_initializer() = t;
    return *this;
  }
  OnnxModel& floats(const std::string& name, const std::vector<std::int64_t>& dims,
                    const std::vector<float>& v) {
    return init(floatTensor(name, dims, v));
  }
  OnnxModel& ints(const std::string& name, const std::vector<std::int64_t>& dims,
                  const std::vector<std::int64_t>& v) {
    return init(intTensor(name, dims, v));
  }
  OnnxModel& randomFloats(const std::string& name, const std::vector<std::int64_t>& dims,
                          unsigned seed) {
    std::int64_t n = 1;
    for (std::int64_t d : dims) n *= d;
    return floats(name, dims, testing::randomFloats(static_cast<std::size_t>(n), seed));
  }

  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "") {
    auto* n = graph->add_node();
    n->set_op_type(op);
    if (!name.empty()) n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return *n;
  }

  Result<Graph> import(const ImportOptions& options = {}) const {
    return importOnnxModel(model, options);
  }

  onnx::ModelProto model;
  onnx::GraphProto* graph;
};

// Imports, checks the graph's invariants and returns it (an empty graph on failure).
Graph importOk(const OnnxModel& m, const ImportOptions& options = {}) {
  auto r = m.import(options);
  EXPECT_TRUE(r.ok()) << r.error().message();
  if (!r.ok()) return {};
  auto v = verifyGraph(*r);
  EXPECT_TRUE(v.ok()) << v.error().message();
  return std::move(r).value();
}

std::string importError(const OnnxModel& m, const ImportOptions& options = {}) {
  auto r = m.import(options);
  if (r.ok()) return "<imported>";
  return r.error().message();
}

const Value* findValue(const Graph& g, const std::string& name) {
  for (const Value& v : g.values) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

std::vector<std::int64_t> intsOf(const Value& v) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(v.type.shape.numel()));
  std::memcpy(out.data(), v.data.data(), out.size() * sizeof(std::int64_t));
  return out;
}

// --- Whole models --------------------------------------------------------------------------

TEST(OnnxImport, ConvReluWithInitializers) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{1, 3, 8, 8})
      .randomFloats("w", {4, 3, 3, 3}, 1)
      .init(floatTensor("b", {4}, {0.1f, 0.2f, 0.3f, 0.4f}, /*raw=*/true))
      .output("y");
  auto& conv = m.node("Conv", {"x", "w", "b"}, {"c"}, "conv1");
  attrInts(conv, "pads", {1, 1, 1, 1});
  attrInts(conv, "kernel_shape", {3, 3});
  m.node("Relu", {"c"}, {"y"});
  const Graph g = importOk(m);
  EXPECT_EQ(g.opset, 13);
  EXPECT_EQ(g.producer, "edgert-test");
  ASSERT_EQ(g.nodes.size(), 2u);
  const Node& n0 = g.nodes[0];
  EXPECT_EQ(n0.name, "conv1");
  EXPECT_EQ(n0.onnxOp, "Conv");
  EXPECT_EQ(n0.op, OpCode::kConv);
  const auto p = n0.paramsAs<kernels::ConvParams>();
  EXPECT_EQ(p.spatialRank, 2);
  EXPECT_EQ(p.kernel[0], 3);
  EXPECT_EQ(p.padBegin[1], 1);
  EXPECT_EQ(p.padEnd[0], 1);
  EXPECT_EQ(p.hasBias, 1);
  EXPECT_EQ(g.nodes[1].name, "Relu#1");
  EXPECT_EQ(g.nodes[1].paramsAs<kernels::ActivationParams>().kind, Activation::kRelu);
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.value(g.inputs[0]).name, "x");
  EXPECT_TRUE(g.value(g.inputs[0]).isGraphInput);
  ASSERT_EQ(g.outputs.size(), 1u);
  const Value& y = g.value(g.outputs[0]);
  EXPECT_EQ(y.name, "y");
  EXPECT_TRUE(y.isGraphOutput);
  EXPECT_EQ(y.type.shape, Shape::of({1, 4, 8, 8}));
  const Value* b = findValue(g, "b");
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->isConstant);
  EXPECT_EQ(testing::bytesToFloats(b->data)[2], 0.3f);
  EXPECT_EQ(findValue(g, "c")->type.shape, Shape::of({1, 4, 8, 8}));
}

TEST(OnnxImport, InitializerListedAsInputIsAConstant) {
  OnnxModel m(11);
  m.input("x", std::vector<std::int64_t>{2, 3})
      .input("k", std::vector<std::int64_t>{3})
      .floats("k", {3}, {1, 2, 3})
      .output("y");
  m.node("Mul", {"x", "k"}, {"y"});
  const Graph g = importOk(m);
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_TRUE(findValue(g, "k")->isConstant);
  EXPECT_FALSE(findValue(g, "k")->isGraphInput);
}

TEST(OnnxImport, TypedInitializerFieldsAreRead) {
  OnnxModel m(13);
  onnx::TensorProto i32;
  i32.set_name("i32");
  i32.set_data_type(onnx::TensorProto::INT32);
  i32.add_dims(2);
  i32.add_int32_data(-7);
  i32.add_int32_data(9);
  onnx::TensorProto u8;
  u8.set_name("u8");
  u8.set_data_type(onnx::TensorProto::UINT8);
  u8.add_dims(1);
  u8.add_int32_data(200);
  m.init(i32)
      .init(u8)
      .init(intTensor("i64raw", {2}, {5, -6}, true))
      .input("x", std::vector<std::int64_t>{1})
      .output("y");
  m.node("Relu", {"x"}, {"y"});
  const Graph g = importOk(m);
  const Value* v = findValue(g, "i32");
  ASSERT_NE(v, nullptr);
  std::int32_t got[2];
  std::memcpy(got, v->data.data(), 8);
  EXPECT_EQ(got[0], -7);
  EXPECT_EQ(got[1], 9);
  EXPECT_EQ(static_cast<unsigned>(findValue(g, "u8")->data[0]), 200u);
  EXPECT_EQ(intsOf(*findValue(g, "i64raw")), (std::vector<std::int64_t>{5, -6}));
}

TEST(OnnxImport, ExternalDataIsRejected) {
  OnnxModel m(13);
  onnx::TensorProto w = floatTensor("w", {2}, {});
  w.set_data_location(onnx::TensorProto::EXTERNAL);
  auto* e = w.add_external_data();
  e->set_key("location");
  e->set_value("weights.bin");
  m.init(w).input("x", std::vector<std::int64_t>{2}).output("y");
  m.node("Add", {"x", "w"}, {"y"});
  EXPECT_EQ(importError(m),
            "initializer 'w' keeps its data in an external file; edgert-compile reads "
            "self-contained models "
            "(save the model without external data)");
}

TEST(OnnxImport, InitializerSizeMismatchIsRejected) {
  OnnxModel m(13);
  m.floats("w", {3}, {1, 2}).input("x", std::vector<std::int64_t>{3}).output("y");
  m.node("Add", {"x", "w"}, {"y"});
  EXPECT_EQ(importError(m), "initializer 'w' holds 2 values, its shape needs 3");
}

TEST(OnnxImport, UnsupportedElementTypeIsRejected) {
  OnnxModel m(13);
  m.input("x", {"2"}, onnx::TensorProto::DOUBLE).output("y");
  m.node("Relu", {"x"}, {"y"});
  EXPECT_EQ(importError(m),
            "input 'x' has element type double; edgert supports float32, uint8, int8, int32, int64 "
            "and bool");
}

// --- Shapes of graph inputs --------------------------------------------------------------------

TEST(OnnxImport, DynamicDimensionNeedsInputOption) {
  OnnxModel m(13);
  m.input("x", {"N", "3", "224", "224"}).output("y");
  m.node("Relu", {"x"}, {"y"});
  EXPECT_EQ(importError(m),
            "input 'x' has dynamic dimension 'N' at axis 0; fix it with --input x=1x3x224x224");
}

TEST(OnnxImport, UnnamedDynamicDimension) {
  OnnxModel m(13);
  m.input("x", {"1", "", "4"}).output("y");
  m.node("Relu", {"x"}, {"y"});
  EXPECT_EQ(importError(m),
            "input 'x' has dynamic dimension '?' at axis 1; fix it with --input x=1x?x4 giving every '?' a size");
}

TEST(OnnxImport, InputOptionFixesDynamicDimensions) {
  OnnxModel m(13);
  m.input("x", {"N", "3", "H", "W"}).output("y");
  m.node("Relu", {"x"}, {"y"});
  ImportOptions options;
  options.inputShapes = {{"x", Shape::of({2, 3, 16, 32})}};
  const Graph g = importOk(m, options);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({2, 3, 16, 32}));
}

TEST(OnnxImport, InputOptionMustAgreeWithTheModel) {
  OnnxModel m(13);
  m.input("x", {"N", "3", "8", "8"}).output("y");
  m.node("Relu", {"x"}, {"y"});
  ImportOptions options;
  options.inputShapes = {{"x", Shape::of({1, 4, 8, 8})}};
  EXPECT_EQ(importError(m, options),
            "--input x=1x4x8x8 does not match the model: axis 1 is 3 in the model");
  options.inputShapes = {{"x", Shape::of({1, 3, 8})}};
  EXPECT_EQ(importError(m, options), "--input x=1x3x8 has rank 3, the model's input has rank 4");
  options.inputShapes = {{"z", Shape::of({1})}};
  EXPECT_EQ(importError(m, options),
            "--input names 'z', which is not an input of the model (inputs: x)");
}

TEST(OnnxImport, FrozenInputBecomesAConstantShapeOperand) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{2, 3, 4})
      .input("shape", {"2"}, onnx::TensorProto::INT64)
      .output("y");
  m.node("Reshape", {"x", "shape"}, {"y"}, "reshape");
  EXPECT_EQ(importError(m),
            "node reshape (Reshape): the shape operand 'shape' must be a constant (computable at "
            "compile time), "
            "but it depends on runtime data");
  ImportOptions options;
  const std::int64_t target[2] = {6, -1};
  FrozenInput f;
  f.name = "shape";
  f.type = {DType::kInt64, Shape::of({2})};
  f.data.resize(16);
  std::memcpy(f.data.data(), target, 16);
  options.frozenInputs.push_back(f);
  const Graph g = importOk(m, options);
  ASSERT_EQ(g.inputs.size(), 1u);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].paramsAs<kernels::ReshapeParams>().shape, Shape::of({6, 4}));
}

// --- Rejections ----------------------------------------------------------------------------------

TEST(OnnxImport, UnsupportedOperatorMessageIsExact) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{1, 4}).output("z");
  m.node("Relu", {"x"}, {"y"});
  m.node("LRN", {"y"}, {"z"});
  EXPECT_EQ(importError(m), "unsupported operator LRN (opset 13) at node LRN#1");
  m.graph->mutable_node(1)->set_name("lrn_1");
  EXPECT_EQ(importError(m), "unsupported operator LRN (opset 13) at node lrn_1");
}

TEST(OnnxImport, OpOutsideItsOpsetsIsUnsupported) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{4}).output("y");
  m.node("HardSwish", {"x"}, {"y"}, "hs");
  EXPECT_EQ(importError(m), "unsupported operator HardSwish (opset 13) at node hs");
}

TEST(OnnxImport, NonDefaultDomainIsUnsupported) {
  OnnxModel m(13);
  auto* id = m.model.add_opset_import();
  id->set_domain("com.microsoft");
  id->set_version(1);
  m.input("x", std::vector<std::int64_t>{4}).output("y");
  m.node("Relu", {"x"}, {"y"}, "r").set_domain("com.microsoft");
  EXPECT_EQ(importError(m), "unsupported operator com.microsoft.Relu (opset 1) at node r");
}

TEST(OnnxImport, OpsetRangeIsChecked) {
  for (std::int64_t opset : {6, 18}) {
    OnnxModel m(opset);
    m.input("x", std::vector<std::int64_t>{4}).output("y");
    m.node("Relu", {"x"}, {"y"});
    EXPECT_EQ(
        importError(m),
        fmt::format("the model uses ONNX opset {}; edgert-compile supports opsets 7 to 17", opset));
  }
}

TEST(OnnxImport, UnknownInputNameIsRejected) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{4}).output("y");
  m.node("Add", {"x", "nowhere"}, {"y"}, "add");
  EXPECT_EQ(importError(m),
            "node add (Add): input 'nowhere' is not a graph input, an initializer or the output of "
            "an earlier node");
}

// Found by tests/fuzz/onnx_import_fuzz: a node without outputs read output 0 anyway.
TEST(OnnxImport, NodeWithoutAnOutputIsRejected) {
  for (bool emptyName : {false, true}) {
    OnnxModel m(13);
    m.input("x", std::vector<std::int64_t>{4}).output("x");
    m.ints("axes", {1}, {0});
    m.node("Unsqueeze", {"x", "axes"}, emptyName ? std::vector<std::string>{""} : std::vector<std::string>{},
           "u");
    EXPECT_EQ(importError(m), "node u (Unsqueeze): has no output (its first output needs a name)");
  }
}

// Found by tests/fuzz/onnx_import_fuzz: the product of a Reshape target's dimensions
// overflowed before the element count was compared.
TEST(OnnxImport, ReshapeTargetBeyond2To40ElementsIsRejected) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{4}).output("y");
  m.ints("shape", {3}, {25332747903959037, 32127, -1});
  m.node("Reshape", {"x", "shape"}, {"y"}, "r");
  EXPECT_EQ(importError(m),
            "node r (Reshape): shape [25332747903959037, 32127, -1] has more than 2^40 elements");
}

TEST(OnnxImport, InferErrorsNameTheNode) {
  OnnxModel m(13);
  m.input("a", std::vector<std::int64_t>{2, 3})
      .input("b", std::vector<std::int64_t>{4, 5})
      .output("y");
  m.node("MatMul", {"a", "b"}, {"y"}, "mm");
  const std::string e = importError(m);
  EXPECT_EQ(e.rfind("node mm (MatMul): MatMul: ", 0), 0u) << e;
}

// --- Per-opset variants ----------------------------------------------------------------------

TEST(OnnxImport, ClipBoundsAreAttributesBeforeOpset11) {
  OnnxModel m(9);
  m.input("x", std::vector<std::int64_t>{4}).output("y");
  auto& n = m.node("Clip", {"x"}, {"y"});
  attrF(n, "min", -1.0f);
  attrF(n, "max", 6.0f);
  const Graph g = importOk(m);
  ASSERT_EQ(g.nodes.size(), 1u);
  const auto p = g.nodes[0].paramsAs<kernels::ActivationParams>();
  EXPECT_EQ(p.kind, Activation::kClip);
  EXPECT_EQ(p.alpha, -1.0f);
  EXPECT_EQ(p.beta, 6.0f);
}

TEST(OnnxImport, ClipBoundsAreConstantInputsFromOpset11) {
  OnnxModel m(12);
  m.input("x", std::vector<std::int64_t>{4}).floats("lo", {}, {0.0f}).output("y");
  m.node("Clip", {"x", "lo", ""}, {"y"});  // max absent
  const Graph g = importOk(m);
  const auto p = g.nodes[0].paramsAs<kernels::ActivationParams>();
  EXPECT_EQ(p.alpha, 0.0f);
  EXPECT_EQ(p.beta, std::numeric_limits<float>::max());
}

TEST(OnnxImport, ClipWithRuntimeBoundIsRejected) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{4}).input("hi", std::vector<std::int64_t>{}).output("y");
  m.node("Clip", {"x", "", "hi"}, {"y"}, "clip");
  EXPECT_EQ(importError(m),
            "node clip (Clip): the max operand 'hi' must be a constant (computable at compile "
            "time), but it "
            "depends on runtime data");
}

TEST(OnnxImport, SqueezeAxesAttributeBeforeOpset13) {
  OnnxModel m(11);
  m.input("x", std::vector<std::int64_t>{1, 3, 1, 5}).output("y");
  attrInts(m.node("Squeeze", {"x"}, {"y"}), "axes", {-2});
  const Graph g = importOk(m);
  EXPECT_EQ(g.nodes[0].op, OpCode::kReshape);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({1, 3, 5}));
}

TEST(OnnxImport, SqueezeAxesInputFromOpset13) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{1, 3, 1, 5})
      .ints("axes", {1}, {0})
      .output("y")
      .output("z");
  m.node("Squeeze", {"x", "axes"}, {"y"});
  m.node("Squeeze", {"x"}, {"z"});  // no axes: every 1
  const Graph g = importOk(m);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({3, 1, 5}));
  EXPECT_EQ(g.value(g.outputs[1]).type.shape, Shape::of({3, 5}));
}

TEST(OnnxImport, SqueezeOfANonUnitAxisIsRejected) {
  OnnxModel m(11);
  m.input("x", std::vector<std::int64_t>{1, 3}).output("y");
  attrInts(m.node("Squeeze", {"x"}, {"y"}, "sq"), "axes", {1});
  EXPECT_EQ(importError(m), "node sq (Squeeze): cannot squeeze axis 1 of size 3 (input 1x3)");
}

TEST(OnnxImport, UnsqueezeAttributeAndInputForms) {
  OnnxModel m11(11);
  m11.input("x", std::vector<std::int64_t>{3, 4}).output("y");
  attrInts(m11.node("Unsqueeze", {"x"}, {"y"}), "axes", {0, -1});
  {
    const Graph g = importOk(m11);
    EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({1, 3, 4, 1}));
  }
  OnnxModel m13(13);
  m13.input("x", std::vector<std::int64_t>{3, 4}).ints("axes", {1}, {1}).output("y");
  m13.node("Unsqueeze", {"x", "axes"}, {"y"});
  const Graph g = importOk(m13);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({3, 1, 4}));
}

TEST(OnnxImport, SoftmaxBeforeOpset13CoercesTo2D) {
  OnnxModel m(11);
  m.input("x", std::vector<std::int64_t>{2, 3, 4}).output("y");
  m.node("Softmax", {"x"}, {"y"}, "sm");  // axis 1 (default): rows of 3 * 4
  const Graph g = importOk(m);
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[0].op, OpCode::kReshape);
  EXPECT_EQ(g.nodes[0].paramsAs<kernels::ReshapeParams>().shape, Shape::of({2, 12}));
  EXPECT_EQ(g.nodes[1].op, OpCode::kSoftmax);
  EXPECT_EQ(g.nodes[1].name, "sm");
  EXPECT_EQ(g.nodes[1].paramsAs<kernels::SoftmaxParams>().axis, 1);
  EXPECT_EQ(g.nodes[2].op, OpCode::kReshape);
  EXPECT_EQ(g.value(g.outputs[0]).name, "y");
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({2, 3, 4}));
  // Each batch row of 12 sums to 1.
  const auto out = runGraph(g, {randomFloats(24, 5)})[0];
  for (int r = 0; r < 2; ++r) {
    float sum = 0;
    for (int i = 0; i < 12; ++i) sum += out[static_cast<std::size_t>(r * 12 + i)];
    EXPECT_NEAR(sum, 1.0f, 1e-5f);
  }
}

TEST(OnnxImport, SoftmaxBeforeOpset13OnTheLastAxisIsOneNode) {
  OnnxModel m(11);
  m.input("x", std::vector<std::int64_t>{2, 3, 4}).output("y");
  attrI(m.node("Softmax", {"x"}, {"y"}), "axis", -1);
  const Graph g = importOk(m);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].paramsAs<kernels::SoftmaxParams>().axis, 2);
}

TEST(OnnxImport, SoftmaxFromOpset13IsOneAxis) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{2, 3, 4}).output("y").output("z");
  attrI(m.node("Softmax", {"x"}, {"y"}), "axis", 1);
  m.node("Softmax", {"x"}, {"z"});  // default -1
  const Graph g = importOk(m);
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].paramsAs<kernels::SoftmaxParams>().axis, 1);
  EXPECT_EQ(g.nodes[1].paramsAs<kernels::SoftmaxParams>().axis, 2);
}

TEST(OnnxImport, PadOpset2Attributes) {
  OnnxModel m(9);
  m.input("x", std::vector<std::int64_t>{1, 2, 3, 3}).output("y");
  auto& n = m.node("Pad", {"x"}, {"y"});
  attrInts(n, "pads", {0, 0, 1, 2, 0, 0, 3, 4});
  attrF(n, "value", 1.5f);
  const Graph g = importOk(m);
  const auto p = g.nodes[0].paramsAs<kernels::PadParams>();
  EXPECT_EQ(p.rank, 4);
  EXPECT_EQ(p.value, 1.5f);
  EXPECT_EQ(p.padBegin[2], 1);
  EXPECT_EQ(p.padBegin[3], 2);
  EXPECT_EQ(p.padEnd[2], 3);
  EXPECT_EQ(p.padEnd[3], 4);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({1, 2, 7, 9}));
}

TEST(OnnxImport, PadOpset11Inputs) {
  OnnxModel m(11);
  m.input("x", std::vector<std::int64_t>{2, 3})
      .ints("pads", {4}, {1, 0, 0, -1})
      .floats("v", {}, {2.0f})
      .output("y");
  m.node("Pad", {"x", "pads", "v"}, {"y"});
  const Graph g = importOk(m);
  const auto p = g.nodes[0].paramsAs<kernels::PadParams>();
  EXPECT_EQ(p.value, 2.0f);
  EXPECT_EQ(p.padBegin[0], 1);
  EXPECT_EQ(p.padEnd[1], -1);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({3, 2}));
}

TEST(OnnxImport, PadModes) {
  for (const std::string mode : {"edge", "reflect"}) {
    OnnxModel m(11);
    m.input("x", std::vector<std::int64_t>{2, 3}).ints("pads", {4}, {0, 1, 0, 1}).output("y");
    attrS(m.node("Pad", {"x", "pads"}, {"y"}, "pad"), "mode", mode);
    const Graph g = importOk(m);
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_EQ(g.nodes[0].paramsAs<kernels::PadParams>().mode,
              mode == "edge" ? kernels::PadMode::kEdge : kernels::PadMode::kReflect);
    EXPECT_EQ(runGraph(g, {{1, 2, 3, 4, 5, 6}})[0],
              mode == "edge" ? (std::vector<float>{1, 1, 2, 3, 3, 4, 4, 5, 6, 6})
                             : (std::vector<float>{2, 1, 2, 3, 2, 5, 4, 5, 6, 5}));
  }
  OnnxModel m(11);
  m.input("x", std::vector<std::int64_t>{2, 3}).ints("pads", {4}, {1, 1, 1, 1}).output("y");
  attrS(m.node("Pad", {"x", "pads"}, {"y"}, "pad"), "mode", "wrap");
  EXPECT_EQ(importError(m), "node pad (Pad): mode 'wrap' is not supported (constant, edge, reflect)");
}

TEST(OnnxImport, SliceOpset9Attributes) {
  OnnxModel m(9);
  m.input("x", std::vector<std::int64_t>{4, 10}).output("y");
  auto& n = m.node("Slice", {"x"}, {"y"});
  attrInts(n, "starts", {1, -3});
  attrInts(n, "ends", {1000, std::numeric_limits<std::int64_t>::max()});
  attrInts(n, "axes", {0, 1});
  const Graph g = importOk(m);
  const auto p = g.nodes[0].paramsAs<kernels::SliceParams>();
  EXPECT_EQ(p.start[0], 1);
  EXPECT_EQ(p.count[0], 3);
  EXPECT_EQ(p.start[1], 7);
  EXPECT_EQ(p.count[1], 3);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({3, 3}));
}

TEST(OnnxImport, SliceOpset10InputsWithNegativeStepsAndClamping) {
  OnnxModel m(10);
  m.input("x", std::vector<std::int64_t>{4, 10})
      .ints("starts", {2}, {-1, 100})
      .ints("ends", {2}, {std::numeric_limits<std::int64_t>::min(), 2})
      .ints("axes", {2}, {1, 0})
      .ints("steps", {2}, {-3, 1})
      .output("y");
  m.node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"});
  const Graph g = importOk(m);
  const auto p = g.nodes[0].paramsAs<kernels::SliceParams>();
  // Axis 1: from 9 backwards by 3 to before 0: 9, 6, 3, 0.
  EXPECT_EQ(p.start[1], 9);
  EXPECT_EQ(p.step[1], -3);
  EXPECT_EQ(p.count[1], 4);
  // Axis 0: start clamped to 4, end 2: empty.
  EXPECT_EQ(p.count[0], 0);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({0, 4}));
}

TEST(OnnxImport, SliceFoldsOnConstants) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{2, 3, 4})
      .ints("starts", {1}, {1})
      .ints("ends", {1}, {2})
      .ints("minus1", {1}, {-1})
      .output("y");
  m.node("Shape", {"x"}, {"s"});
  m.node("Slice", {"s", "starts", "ends"}, {"c"});
  attrI(m.node("Concat", {"c", "minus1"}, {"target"}), "axis", 0);
  m.node("Reshape", {"x", "target"}, {"y"});
  const Graph g = importOk(m);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(intsOf(*findValue(g, "c")), (std::vector<std::int64_t>{3}));
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({3, 8}));
}

// --- Compile-time evaluation -----------------------------------------------------------------

TEST(OnnxImport, ShapeSubgraphIsEvaluatedDuringImport) {
  // PyTorch's x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{2, 3, 4})
      .ints("zero", {}, {0})
      .ints("axes0", {1}, {0})
      .ints("minus1", {1}, {-1})
      .output("y");
  m.node("Shape", {"x"}, {"shape"});
  attrI(m.node("Gather", {"shape", "zero"}, {"n"}), "axis", 0);
  m.node("Unsqueeze", {"n", "axes0"}, {"n1"});
  attrI(m.node("Concat", {"n1", "minus1"}, {"target"}), "axis", 0);
  m.node("Reshape", {"x", "target"}, {"y"}, "view");
  const Graph g = importOk(m);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].name, "view");
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({2, 12}));
  EXPECT_EQ(intsOf(*findValue(g, "target")), (std::vector<std::int64_t>{2, -1}));
}

TEST(OnnxImport, ArithmeticOnConstantsIsFolded) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{2, 6})
      .ints("a", {2}, {3, 8})
      .ints("b", {}, {2})
      .floats("f", {2}, {1.0f, 2.0f})
      .floats("g", {2}, {0.5f, 0.25f})
      .output("y")
      .output("fg");
  m.node("Div", {"a", "b"}, {"ab"});       // [1, 4]
  m.node("Mul", {"ab", "b"}, {"target"});  // [2, 8]
  m.node("Sub", {"target", "b"}, {"t2"});  // [0, 6]
  m.node("Reshape", {"x", "t2"}, {"y"});
  m.node("Mul", {"f", "g"}, {"fg"});
  const Graph g = importOk(m);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({2, 6}));
  const Value& fg = g.value(g.outputs[1]);
  EXPECT_TRUE(fg.isConstant);
  EXPECT_EQ(testing::bytesToFloats(fg.data), (std::vector<float>{0.5f, 0.5f}));
}

TEST(OnnxImport, ConstantAndConstantOfShape) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{2, 3}).output("y").output("z");
  auto& c = m.node("Constant", {}, {"shape"});
  auto* a = c.add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  *a->mutable_t() = intTensor("", {2}, {3, 2});
  auto& cos = m.node("ConstantOfShape", {"shape"}, {"filled"});
  auto* v = cos.add_attribute();
  v->set_name("value");
  v->set_type(onnx::AttributeProto::TENSOR);
  *v->mutable_t() = floatTensor("", {1}, {0.25f});
  m.node("Reshape", {"x", "shape"}, {"y"});
  m.node("Add", {"y", "filled"}, {"z"});
  const Graph g = importOk(m);
  ASSERT_EQ(g.nodes.size(), 2u);
  const Value* filled = findValue(g, "filled");
  ASSERT_NE(filled, nullptr);
  EXPECT_EQ(filled->type.shape, Shape::of({3, 2}));
  EXPECT_EQ(testing::bytesToFloats(filled->data), std::vector<float>(6, 0.25f));
  const auto out = runGraph(g, {{1, 2, 3, 4, 5, 6}});
  EXPECT_EQ(out[1], (std::vector<float>{1.25f, 2.25f, 3.25f, 4.25f, 5.25f, 6.25f}));
}

// A few bytes of model must not make the compiler allocate terabytes or compute for hours.
TEST(OnnxImport, ConstantsOverTheFoldingLimitAreRefusedBeforeTheyAreAllocated) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{1}).output("y");
  m.ints("shape", {2}, {1 << 20, 1 << 19});  // 2^39 floats: 2 TiB
  m.node("ConstantOfShape", {"shape"}, {"big"}, "fill");
  m.node("Add", {"x", "big"}, {"y"});
  EXPECT_EQ(importError(m),
            "node fill (ConstantOfShape): a constant of 1048576x524288 float32 (2199023255552 bytes) "
            "is over the 256 MiB edgert-compile computes at compile time");
}

TEST(OnnxImport, ConstantNodesOverTheWorkLimitRunOnTheDevice) {
  // A Conv on constants: 64x64 output pixels x 64 channels x (64 x 7 x 7) weights each is
  // 822 M multiply-adds, under the limit; 256 input channels make it 3.3 G, over it.
  for (std::int64_t channels : {64, 256}) {
    OnnxModel m(13);
    m.input("x", std::vector<std::int64_t>{1, 64, 64, 64}).output("y");
    m.ints("xshape", {4}, {1, channels, 70, 70});
    m.ints("wshape", {4}, {64, channels, 7, 7});
    m.node("ConstantOfShape", {"xshape"}, {"cx"});
    m.node("ConstantOfShape", {"wshape"}, {"cw"});
    m.node("Conv", {"cx", "cw"}, {"c"}, "conv");
    m.node("Add", {"x", "c"}, {"y"});
    const Graph g = importOk(m);
    const bool folded = g.nodes.size() == 1;
    EXPECT_EQ(folded, channels == 64) << channels << " channels: " << g.nodes.size() << " nodes";
  }
}

// Split: one kernel node with an output per ONNX output; sizes from the attribute before
// opset 13, from a constant input after, or equal parts.
TEST(OnnxImport, SplitHasOneNodeWithAnOutputPerPart) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{2, 6}).output("a").output("b").output("c");
  m.ints("sizes", {3}, {1, 2, 3});
  attrI(m.node("Split", {"x", "sizes"}, {"a", "b", "c"}, "s"), "axis", -1);
  const Graph g = importOk(m);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op, OpCode::kSplit);
  ASSERT_EQ(g.nodes[0].outputs.size(), 3u);
  EXPECT_EQ(g.value(g.nodes[0].outputs[2]).type.shape, Shape::of({2, 3}));
  EXPECT_EQ(g.value(g.nodes[0].outputs[1]).name, "b");
  const auto out = runGraph(g, {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}});
  EXPECT_EQ(out[0], (std::vector<float>{0, 6}));
  EXPECT_EQ(out[1], (std::vector<float>{1, 2, 7, 8}));
  EXPECT_EQ(out[2], (std::vector<float>{3, 4, 5, 9, 10, 11}));

  OnnxModel odd(11);
  odd.input("x", std::vector<std::int64_t>{5}).output("a").output("b");
  odd.node("Split", {"x"}, {"a", "b"}, "s");
  EXPECT_EQ(importError(odd), "node s (Split): axis 0 of 5 does not split into 2 equal parts");
}

TEST(OnnxImport, TransposeOfAConstantIsFolded) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{3, 2}).floats("w", {2, 3}, {1, 2, 3, 4, 5, 6}).output("y");
  m.node("Transpose", {"w"}, {"wt"});  // default perm: reversed
  m.node("Add", {"x", "wt"}, {"y"});
  const Graph g = importOk(m);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(testing::bytesToFloats(findValue(g, "wt")->data),
            (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(OnnxImport, IdentityAndDropoutAreAliases) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{4}).output("y").output("id_out");
  m.node("Identity", {"x"}, {"a"});
  m.node("Dropout", {"a"}, {"b", "mask"});
  m.node("Relu", {"b"}, {"y"});
  m.node("Identity", {"y"}, {"id_out"}, "copy");  // a graph output keeps its own name
  const Graph g = importOk(m);
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].inputs[0], g.inputs[0]);
  EXPECT_EQ(g.nodes[1].name, "copy");
  EXPECT_EQ(g.value(g.outputs[1]).name, "id_out");
  const auto out = runGraph(g, {{-1, 2, -3, 4}});
  EXPECT_EQ(out[1], (std::vector<float>{0, 2, 0, 4}));
}

// --- Convolution, pooling and normalization ----------------------------------------------------

TEST(OnnxImport, ConvAutoPadSameUpperAndLower) {
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER"}) {
    OnnxModel m(11);
    m.input("x", std::vector<std::int64_t>{1, 2, 7, 8})
        .randomFloats("w", {3, 2, 4, 3}, 2)
        .output("y");
    auto& n = m.node("Conv", {"x", "w"}, {"y"});
    attrS(n, "auto_pad", mode);
    attrInts(n, "strides", {2, 2});
    const Graph g = importOk(m);
    const auto p = g.nodes[0].paramsAs<kernels::ConvParams>();
    // H: out 4, total pad (4-1)*2 + 4 - 7 = 3. W: out 4, total (4-1)*2 + 3 - 8 = 1.
    const bool upper = std::string(mode) == "SAME_UPPER";
    EXPECT_EQ(p.padBegin[0], upper ? 1 : 2) << mode;
    EXPECT_EQ(p.padEnd[0], upper ? 2 : 1) << mode;
    EXPECT_EQ(p.padBegin[1], upper ? 0 : 1) << mode;
    EXPECT_EQ(p.padEnd[1], upper ? 1 : 0) << mode;
    EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({1, 3, 4, 4})) << mode;
  }
}

TEST(OnnxImport, DepthwiseConvWithDilation) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{1, 4, 9, 9})
      .randomFloats("w", {4, 1, 3, 3}, 3)
      .output("y");
  auto& n = m.node("Conv", {"x", "w"}, {"y"});
  attrI(n, "group", 4);
  attrInts(n, "dilations", {2, 2});
  attrInts(n, "pads", {2, 2, 2, 2});
  const Graph g = importOk(m);
  const auto p = g.nodes[0].paramsAs<kernels::ConvParams>();
  EXPECT_EQ(p.group, 4);
  EXPECT_EQ(p.dilation[0], 2);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({1, 4, 9, 9}));
}

TEST(OnnxImport, Conv1DUsesTheWidthSlot) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{1, 2, 10}).randomFloats("w", {3, 2, 3}, 4).output("y");
  auto& n = m.node("Conv", {"x", "w"}, {"y"});
  attrInts(n, "strides", {2});
  attrInts(n, "pads", {1, 0});
  const Graph g = importOk(m);
  const auto p = g.nodes[0].paramsAs<kernels::ConvParams>();
  EXPECT_EQ(p.spatialRank, 1);
  EXPECT_EQ(p.kernel[0], 1);
  EXPECT_EQ(p.kernel[1], 3);
  EXPECT_EQ(p.stride[1], 2);
  EXPECT_EQ(p.padBegin[1], 1);
  EXPECT_EQ(p.padEnd[1], 0);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({1, 3, 5}));
}

TEST(OnnxImport, Conv3DIsRejectedClearly) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{1, 2, 4, 4, 4})
      .randomFloats("w", {3, 2, 1, 1, 1}, 5)
      .output("y");
  m.node("Conv", {"x", "w"}, {"y"}, "c3");
  EXPECT_EQ(importError(m),
            "node c3 (Conv): 3-D convolution is not supported (input 1x2x4x4x4); edgert supports "
            "1-D and 2-D");
}

TEST(OnnxImport, ConvTransposeOutputShapeSetsPads) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{1, 2, 3, 3})
      .randomFloats("w", {2, 3, 3, 3}, 6)
      .output("y")
      .output("z");
  auto& a = m.node("ConvTranspose", {"x", "w"}, {"y"});
  attrInts(a, "strides", {2, 2});
  attrInts(a, "output_shape", {6, 6});  // total pad 2*2 + 3 - 6 = 1: odd pixel at the begin
  auto& b = m.node("ConvTranspose", {"x", "w"}, {"z"});
  attrInts(b, "strides", {2, 2});
  attrInts(b, "pads", {1, 1, 1, 1});
  attrInts(b, "output_padding", {1, 0});
  const Graph g = importOk(m);
  const auto pa = g.nodes[0].paramsAs<kernels::ConvTransposeParams>();
  EXPECT_EQ(pa.padBegin[0], 1);
  EXPECT_EQ(pa.padEnd[0], 0);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({1, 3, 6, 6}));
  const auto pb = g.nodes[1].paramsAs<kernels::ConvTransposeParams>();
  EXPECT_EQ(pb.outputPadding[0], 1);
  EXPECT_EQ(pb.outputPadding[1], 0);
  EXPECT_EQ(g.value(g.outputs[1]).type.shape, Shape::of({1, 3, 6, 5}));
}

TEST(OnnxImport, ConvTransposeOutputShapeBeyondCoverageBecomesOutputPadding) {
  // ONNX's test_convtranspose_output_shape: total padding 3 * 2 + 3 - 10 = -1 (and -1 on W).
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{1, 1, 3, 3})
      .randomFloats("w", {1, 2, 3, 3}, 10)
      .output("y");
  auto& n = m.node("ConvTranspose", {"x", "w"}, {"y"});
  attrInts(n, "strides", {3, 2});
  attrInts(n, "output_shape", {10, 8});
  const Graph g = importOk(m);
  const auto p = g.nodes[0].paramsAs<kernels::ConvTransposeParams>();
  EXPECT_EQ(p.padBegin[0], 0);
  EXPECT_EQ(p.padEnd[0], 0);
  EXPECT_EQ(p.outputPadding[0], 1);
  EXPECT_EQ(p.outputPadding[1], 1);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({1, 2, 10, 8}));
}

TEST(OnnxImport, ConvTransposeAutoPadSameUpper) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{1, 2, 3, 3})
      .randomFloats("w", {2, 3, 3, 3}, 7)
      .output("y");
  auto& a = m.node("ConvTranspose", {"x", "w"}, {"y"});
  attrInts(a, "strides", {2, 2});
  attrS(a, "auto_pad", "SAME_UPPER");
  const Graph g = importOk(m);
  const auto p = g.nodes[0].paramsAs<kernels::ConvTransposeParams>();
  EXPECT_EQ(p.padBegin[0], 0);
  EXPECT_EQ(p.padEnd[0], 1);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({1, 3, 6, 6}));
}

TEST(OnnxImport, MaxPoolIndicesOutputIsRejectedOnlyWhenUsed) {
  OnnxModel m(12);
  m.input("x", std::vector<std::int64_t>{1, 1, 4, 4}).output("y");
  auto& n = m.node("MaxPool", {"x"}, {"y", "idx"}, "pool");
  attrInts(n, "kernel_shape", {2, 2});
  attrInts(n, "strides", {2, 2});
  attrI(n, "ceil_mode", 1);
  const Graph g = importOk(m);
  EXPECT_EQ(g.nodes[0].paramsAs<kernels::PoolParams>().ceilMode, 1);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({1, 1, 2, 2}));
  m.output("idx");
  EXPECT_EQ(importError(m),
            "node pool (MaxPool): the Indices output (output 'idx') is not supported");
}

TEST(OnnxImport, AveragePoolAndGlobalAveragePool) {
  OnnxModel m(11);
  m.input("x", std::vector<std::int64_t>{1, 2, 5, 5}).output("y").output("g");
  auto& n = m.node("AveragePool", {"x"}, {"y"});
  attrInts(n, "kernel_shape", {3, 3});
  attrInts(n, "pads", {1, 1, 1, 1});
  attrI(n, "count_include_pad", 1);
  m.node("GlobalAveragePool", {"x"}, {"g"});
  const Graph g = importOk(m);
  EXPECT_EQ(g.nodes[0].paramsAs<kernels::PoolParams>().countIncludePad, 1);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({1, 2, 5, 5}));
  EXPECT_EQ(g.value(g.outputs[1]).type.shape, Shape::of({1, 2, 1, 1}));
}

TEST(OnnxImport, BatchNormTrainingOutputsAreRejected) {
  OnnxModel m(9);
  m.input("x", std::vector<std::int64_t>{1, 2, 3, 3})
      .floats("s", {2}, {1, 1})
      .floats("b", {2}, {0, 0})
      .floats("mean", {2}, {0, 0})
      .floats("var", {2}, {1, 1})
      .output("y");
  m.node("BatchNormalization", {"x", "s", "b", "mean", "var"}, {"y", "running_mean"}, "bn");
  EXPECT_EQ(importOk(m).nodes.size(), 1u);  // unused extra output: fine
  m.output("running_mean");
  EXPECT_EQ(importError(m),
            "node bn (BatchNormalization): training-mode statistics (output 'running_mean') is not "
            "supported");

  OnnxModel t(14);
  t.input("x", std::vector<std::int64_t>{1, 2, 3, 3})
      .floats("s", {2}, {1, 1})
      .floats("b", {2}, {0, 0})
      .floats("mean", {2}, {0, 0})
      .floats("var", {2}, {1, 1})
      .output("y");
  attrI(t.node("BatchNormalization", {"x", "s", "b", "mean", "var"}, {"y"}, "bn"), "training_mode",
        1);
  EXPECT_EQ(importError(t),
            "node bn (BatchNormalization): training_mode=1 is not supported; export the model for "
            "inference");
}

// --- Dense, reshape family, reduction -------------------------------------------------------

TEST(OnnxImport, GemmAttributes) {
  OnnxModel m(13);
  m.input("a", std::vector<std::int64_t>{2, 3})
      .randomFloats("b", {4, 3}, 8)
      .randomFloats("c", {4}, 9)
      .output("y");
  auto& n = m.node("Gemm", {"a", "b", "c"}, {"y"});
  attrI(n, "transB", 1);
  attrF(n, "alpha", 0.5f);
  const Graph g = importOk(m);
  const auto p = g.nodes[0].paramsAs<kernels::GemmParams>();
  EXPECT_EQ(p.transB, 1);
  EXPECT_EQ(p.transA, 0);
  EXPECT_EQ(p.alpha, 0.5f);
  EXPECT_EQ(p.hasC, 1);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({2, 4}));
}

TEST(OnnxImport, ReshapeZeroMinusOneAndAllowZero) {
  OnnxModel m(14);
  m.input("x", std::vector<std::int64_t>{2, 3, 4})
      .ints("s1", {3}, {0, -1, 2})
      .ints("s2", {2}, {0, 12})
      .output("y")
      .output("z");
  m.node("Reshape", {"x", "s1"}, {"y"});
  attrI(m.node("Reshape", {"x", "s2"}, {"z"}, "rz"), "allowzero", 1);
  const std::string e = importError(m);  // allowzero: 0x12 has no elements, x has 24
  EXPECT_EQ(e.rfind("node rz (Reshape): Reshape: ", 0), 0u) << e;
  m.graph->mutable_node(1)->clear_attribute();  // 0 now copies dim 0
  const Graph g = importOk(m);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({2, 6, 2}));
  EXPECT_EQ(g.value(g.outputs[1]).type.shape, Shape::of({2, 12}));
}

TEST(OnnxImport, FlattenAndTransposeDefaults) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{2, 3, 4}).output("f").output("t");
  attrI(m.node("Flatten", {"x"}, {"f"}), "axis", -1);
  m.node("Transpose", {"x"}, {"t"});
  const Graph g = importOk(m);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({6, 4}));
  EXPECT_EQ(g.value(g.outputs[1]).type.shape, Shape::of({4, 3, 2}));
  const auto p = g.nodes[1].paramsAs<kernels::TransposeParams>();
  EXPECT_EQ(p.perm[0], 2);
  EXPECT_EQ(p.perm[2], 0);
}

TEST(OnnxImport, ReduceMeanAxesAndKeepDims) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{2, 3, 4}).output("y");
  auto& n = m.node("ReduceMean", {"x"}, {"y"});
  attrInts(n, "axes", {-1, 1});
  attrI(n, "keepdims", 0);
  const Graph g = importOk(m);
  const auto p = g.nodes[0].paramsAs<kernels::ReduceParams>();
  EXPECT_EQ(p.axesMask, 0b110u);
  EXPECT_EQ(p.keepDims, 0);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({2}));

  OnnxModel all(11);
  all.input("x", std::vector<std::int64_t>{2, 3, 4}).output("y");
  attrInts(all.node("ReduceMean", {"x"}, {"y"}), "axes", {});  // empty: every axis
  const Graph ga = importOk(all);
  EXPECT_EQ(ga.nodes[0].paramsAs<kernels::ReduceParams>().axesMask, 0b111u);
  EXPECT_EQ(ga.value(ga.outputs[0]).type.shape, Shape::of({1, 1, 1}));
}

// --- Resize and Upsample -----------------------------------------------------------------------

TEST(OnnxImport, ResizeOpset10Scales) {
  OnnxModel m(10);
  m.input("x", std::vector<std::int64_t>{1, 1, 3, 4})
      .floats("scales", {4}, {1, 1, 2, 1.5f})
      .output("y");
  m.node("Resize", {"x", "scales"}, {"y"});
  const Graph g = importOk(m);
  const auto p = g.nodes[0].paramsAs<kernels::ResizeParams>();
  EXPECT_EQ(p.mode, kernels::ResizeMode::kNearest);
  EXPECT_EQ(p.transform, kernels::CoordinateTransform::kAsymmetric);
  EXPECT_EQ(p.rounding, kernels::NearestRounding::kFloor);
  EXPECT_EQ(p.outputShape, Shape::of({1, 1, 6, 6}));
}

TEST(OnnxImport, ResizeOpset11SizesAndOpset13Scales) {
  OnnxModel m(11);
  m.input("x", std::vector<std::int64_t>{1, 2, 4, 4})
      .floats("roi", {0}, {})
      .floats("noscales", {0}, {})
      .ints("sizes", {4}, {1, 2, 8, 6})
      .output("y");
  auto& n = m.node("Resize", {"x", "roi", "noscales", "sizes"}, {"y"});
  attrS(n, "mode", "linear");
  attrS(n, "coordinate_transformation_mode", "align_corners");
  const Graph g = importOk(m);
  const auto p = g.nodes[0].paramsAs<kernels::ResizeParams>();
  EXPECT_EQ(p.mode, kernels::ResizeMode::kLinear);
  EXPECT_EQ(p.transform, kernels::CoordinateTransform::kAlignCorners);
  EXPECT_EQ(p.outputShape, Shape::of({1, 2, 8, 6}));
  EXPECT_FLOAT_EQ(p.scale[3], 1.5f);

  OnnxModel m13(13);
  m13.input("x", std::vector<std::int64_t>{1, 2, 5, 5})
      .floats("scales", {4}, {1, 1, 0.5f, 1.7f})
      .output("y");
  auto& r = m13.node("Resize", {"x", "", "scales"}, {"y"});
  attrS(r, "nearest_mode", "floor");
  const Graph g13 = importOk(m13);
  const auto p13 = g13.nodes[0].paramsAs<kernels::ResizeParams>();
  EXPECT_EQ(p13.rounding, kernels::NearestRounding::kFloor);
  EXPECT_EQ(p13.transform, kernels::CoordinateTransform::kHalfPixel);
  EXPECT_EQ(p13.outputShape, Shape::of({1, 2, 2, 8}));  // floor(2.5), floor(8.5)

  attrS(r, "coordinate_transformation_mode", "tf_half_pixel_for_nn");  // ONNX Runtime's name
  const Graph gnn = importOk(m13);
  EXPECT_EQ(gnn.nodes[0].paramsAs<kernels::ResizeParams>().transform,
            kernels::CoordinateTransform::kTfHalfPixelForNearest);
}

// Cubic reads its coefficient (default -0.75) and exclude_outside; crop-and-resize is not
// supported.
TEST(OnnxImport, ResizeCubicAttributesAndCropIsRejected) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{1, 1, 2, 2})
      .floats("scales", {4}, {1, 1, 2, 2})
      .output("y");
  auto& n = m.node("Resize", {"x", "", "scales"}, {"y"}, "rs");
  attrS(n, "mode", "cubic");
  auto p = importOk(m).nodes[0].paramsAs<kernels::ResizeParams>();
  EXPECT_EQ(p.mode, kernels::ResizeMode::kCubic);
  EXPECT_EQ(p.cubicCoeffA, -0.75f);
  EXPECT_EQ(p.excludeOutside, 0);
  attrF(n, "cubic_coeff_a", -0.5f);
  attrI(n, "exclude_outside", 1);
  p = importOk(m).nodes[0].paramsAs<kernels::ResizeParams>();
  EXPECT_EQ(p.cubicCoeffA, -0.5f);
  EXPECT_EQ(p.excludeOutside, 1);
  n.clear_attribute();
  attrS(n, "coordinate_transformation_mode", "tf_crop_and_resize");
  EXPECT_EQ(
      importError(m),
      "node rs (Resize): coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
}

TEST(OnnxImport, UpsampleIsLoweredToResize) {
  OnnxModel m9(9);
  m9.input("x", std::vector<std::int64_t>{1, 1, 2, 3})
      .floats("scales", {4}, {1, 1, 2, 2})
      .output("y");
  m9.node("Upsample", {"x", "scales"}, {"y"});
  const Graph g = importOk(m9);
  EXPECT_EQ(g.nodes[0].op, OpCode::kResize);
  EXPECT_EQ(g.nodes[0].onnxOp, "Upsample");
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({1, 1, 4, 6}));
  const auto out = runGraph(g, {{1, 2, 3, 4, 5, 6}})[0];
  EXPECT_EQ(out, (std::vector<float>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3,
                                     4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6}));

  OnnxModel m7(7);
  m7.input("x", std::vector<std::int64_t>{1, 1, 2, 3}).output("y");
  auto& n = m7.node("Upsample", {"x"}, {"y"});
  attrFloats(n, "scales", {1, 1, 3, 1});
  attrS(n, "mode", "linear");
  const Graph g7 = importOk(m7);
  EXPECT_EQ(g7.nodes[0].paramsAs<kernels::ResizeParams>().mode, kernels::ResizeMode::kLinear);
  EXPECT_EQ(g7.value(g7.outputs[0]).type.shape, Shape::of({1, 1, 6, 3}));
}

// --- Import and passes together ----------------------------------------------------------

TEST(OnnxImport, ResidualClassifierKeepsResultsThroughThePasses) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{1, 4, 6, 6}).output("prob");
  for (const char* k : {"1", "2"}) {
    const std::string s(k);
    m.randomFloats("w" + s, {4, 4, 3, 3}, 40 + static_cast<unsigned>(k[0]))
        .floats("scale" + s, {4}, {0.5f, 1.5f, 2.0f, 0.8f})
        .randomFloats("shift" + s, {4}, 50 + static_cast<unsigned>(k[0]))
        .randomFloats("mean" + s, {4}, 60 + static_cast<unsigned>(k[0]))
        .floats("var" + s, {4}, {0.5f, 1.0f, 2.0f, 0.25f});
  }
  m.randomFloats("fc_w", {3, 4}, 70).randomFloats("fc_b", {3}, 71);
  attrInts(m.node("Conv", {"x", "w1"}, {"c1"}, "conv1"), "pads", {1, 1, 1, 1});
  m.node("BatchNormalization", {"c1", "scale1", "shift1", "mean1", "var1"}, {"b1"});
  m.node("Relu", {"b1"}, {"r1"});
  attrInts(m.node("Conv", {"r1", "w2"}, {"c2"}, "conv2"), "pads", {1, 1, 1, 1});
  m.node("BatchNormalization", {"c2", "scale2", "shift2", "mean2", "var2"}, {"b2"});
  m.node("Add", {"b2", "x"}, {"sum"});
  m.node("Relu", {"sum"}, {"r2"});
  m.node("GlobalAveragePool", {"r2"}, {"gap"});
  m.node("Flatten", {"gap"}, {"flat"});
  attrI(m.node("Gemm", {"flat", "fc_w", "fc_b"}, {"logits"}), "transB", 1);
  m.node("Softmax", {"logits"}, {"prob"});
  const Graph imported = importOk(m);
  ASSERT_EQ(imported.nodes.size(), 11u);
  Graph g = imported;
  auto r = runPasses(g);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(verifyGraph(g).ok());
  // conv1(+bn, relu), conv2(+bn, residual, relu), gap, flatten, gemm, softmax.
  ASSERT_EQ(g.nodes.size(), 6u);
  EXPECT_EQ(g.nodes[1].name, "conv2");
  EXPECT_EQ(g.nodes[1].paramsAs<kernels::ConvParams>().hasResidual, 1);
  EXPECT_EQ(g.value(g.outputs[0]).name, "prob");
  const auto in = randomFloats(4 * 6 * 6, 72);
  testing::expectNear(runGraph(g, {in})[0], runGraph(imported, {in})[0], 1e-5f);
}

// --- Files --------------------------------------------------------------------------------------

TEST(OnnxImport, ReadsAModelFile) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{3}).output("y");
  m.node("Sigmoid", {"x"}, {"y"});
  char path[] = "/tmp/edgert-import-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream out(path, std::ios::binary);
    ASSERT_TRUE(m.model.SerializeToOstream(&out));
  }
  auto g = importOnnxFile(path, {});
  std::remove(path);
  ASSERT_TRUE(g.ok()) << g.error().message();
  EXPECT_EQ(g->nodes.size(), 1u);

  auto missing = importOnnxFile("/nonexistent/model.onnx", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), Errc::kNotFound);
  EXPECT_NE(missing.error().message().find("/nonexistent/model.onnx"), std::string::npos);
}

// --- Ops made of other ops, and what the importer decides for the new ones ----------------

// Tile is Reshape, Expand, Reshape: [[1,2],[3,4]] tiled 2 x 3.
TEST(OnnxImport, TileIsAReshapeExpandReshape) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{2, 2}).output("y");
  m.ints("repeats", {2}, {2, 3});
  m.node("Tile", {"x", "repeats"}, {"y"}, "t");
  const Graph g = importOk(m);
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[1].op, OpCode::kExpand);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({4, 6}));
  const auto y = runGraph(g, {{1, 2, 3, 4}})[0];
  EXPECT_EQ(y, (std::vector<float>{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}));
  // Repeats of 1 everywhere: nothing to do.
  OnnxModel same(13);
  same.input("x", std::vector<std::int64_t>{2, 2}).output("y");
  same.ints("repeats", {2}, {1, 1});
  same.node("Tile", {"x", "repeats"}, {"y"});
  for (const Node& n : importOk(same).nodes) EXPECT_NE(n.op, OpCode::kExpand);
}

// DepthToSpace in both modes and SpaceToDepth, against the ONNX definitions worked by hand
// on C = 4 channels of 1 x 1 pixels (DCR) and a 2 x 2 image (SpaceToDepth).
TEST(OnnxImport, DepthToSpaceAndSpaceToDepthRearrange) {
  for (const std::string mode : {"DCR", "CRD"}) {
    OnnxModel m(13);
    m.input("x", std::vector<std::int64_t>{1, 8, 1, 1}).output("y");
    auto& n = m.node("DepthToSpace", {"x"}, {"y"});
    attrI(n, "blocksize", 2);
    attrS(n, "mode", mode);
    const Graph g = importOk(m);
    EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({1, 2, 2, 2}));
    const auto y = runGraph(g, {{0, 1, 2, 3, 4, 5, 6, 7}})[0];
    // DCR: channel = (by * 2 + bx) * C' + c; CRD: channel = c * 4 + by * 2 + bx.
    if (mode == "DCR") {
      EXPECT_EQ(y, (std::vector<float>{0, 2, 4, 6, 1, 3, 5, 7})) << mode;
    } else {
      EXPECT_EQ(y, (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7})) << mode;
    }
  }
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{1, 1, 2, 4}).output("y");
  attrI(m.node("SpaceToDepth", {"x"}, {"y"}), "blocksize", 2);
  const Graph g = importOk(m);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({1, 4, 1, 2}));
  // Channel by * 2 + bx holds pixel (by, 2 * w + bx).
  EXPECT_EQ(runGraph(g, {{0, 1, 2, 3, 4, 5, 6, 7}})[0], (std::vector<float>{0, 2, 1, 3, 4, 6, 5, 7}));
  OnnxModel odd(13);
  odd.input("x", std::vector<std::int64_t>{1, 6, 1, 1}).output("y");
  attrI(odd.node("DepthToSpace", {"x"}, {"y"}, "d"), "blocksize", 2);
  EXPECT_EQ(importError(odd), "node d (DepthToSpace): C = 6 is not a multiple of blocksize^2 = 4");
}

// Expand's result may be larger than its shape operand in either direction.
TEST(OnnxImport, ExpandBroadcastsBothWays) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{3, 1}).output("y");
  m.ints("shape", {3}, {2, 1, 2});
  m.node("Expand", {"x", "shape"}, {"y"});
  const Graph g = importOk(m);
  EXPECT_EQ(g.value(g.outputs[0]).type.shape, Shape::of({2, 3, 2}));
  EXPECT_EQ(runGraph(g, {{1, 2, 3}})[0], (std::vector<float>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
}

// InstanceNormalization is a LayerNorm over each plane, then the per-channel scale and B.
TEST(OnnxImport, InstanceNormalizationNormalizesEachPlane) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{1, 2, 1, 2}).output("y");
  m.floats("scale", {2}, {2.0f, -1.0f});
  m.floats("b", {2}, {0.5f, 10.0f});
  attrF(m.node("InstanceNormalization", {"x", "scale", "b"}, {"y"}), "epsilon", 0.0f);
  const Graph g = importOk(m);
  // Planes (1, 3) and (5, 9): each normalizes to (-1, 1).
  EXPECT_EQ(runGraph(g, {{1, 3, 5, 9}})[0], (std::vector<float>{-1.5f, 2.5f, 11.0f, 9.0f}));
}

TEST(OnnxImport, IndexingOpsCheckWhatTheyCanAtCompileTime) {
  OnnxModel gather(13);
  gather.input("x", std::vector<std::int64_t>{4, 2}).output("y");
  gather.ints("i", {2}, {1, 4});
  gather.node("Gather", {"x", "i"}, {"y"}, "g");
  EXPECT_EQ(importError(gather), "node g (Gather): index 4 is out of range for axis size 4");
  OnnxModel topk(13);
  topk.input("x", std::vector<std::int64_t>{4}).input("k", std::vector<std::int64_t>{1}).output("v").output("i");
  topk.node("TopK", {"x", "k"}, {"v", "i"}, "t");
  EXPECT_EQ(importError(topk),
            "node t (TopK): the K operand 'k' must be a constant (computable at compile time), but it depends on "
            "runtime data");
  OnnxModel norm(17);
  norm.input("x", std::vector<std::int64_t>{2, 4}).output("y");
  norm.floats("s", {4}, {1, 1, 1, 1});
  attrI(norm.node("LayerNormalization", {"x", "s"}, {"y"}, "n"), "stash_type", 0);
  EXPECT_EQ(importError(norm), "node n (LayerNormalization): stash_type 0 is not supported (only 1, float32)");
}

// Constant operands fold through the kernels: Range, then Cast (saturating) and Gather on
// the result.
TEST(OnnxImport, RangeCastAndGatherOnConstantsFold) {
  OnnxModel m(13);
  m.input("x", std::vector<std::int64_t>{2}).output("y").output("c");
  m.floats("start", {}, {-1.5f});
  m.floats("limit", {}, {3.5e9f});
  m.floats("delta", {}, {1e9f});
  // -1.5, 1e9 - 1.5, 2e9 - 1.5, 3e9 - 1.5 (as float32: -1.5, 1e9, 2e9, 3e9)
  m.node("Range", {"start", "limit", "delta"}, {"r"});
  auto& cast = m.node("Cast", {"r"}, {"c"});
  attrI(cast, "to", onnx::TensorProto::INT32);
  m.ints("i", {2}, {0, -1});
  m.node("Gather", {"r", "i"}, {"g"});
  m.node("Add", {"x", "g"}, {"y"});
  const Graph g = importOk(m);
  ASSERT_EQ(g.nodes.size(), 1u);
  const Value* c = findValue(g, "c");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->type, (kernels::TensorType{DType::kInt32, Shape::of({4})}));
  std::vector<std::int32_t> values(4);
  std::memcpy(values.data(), c->data.data(), 16);
  EXPECT_EQ(values, (std::vector<std::int32_t>{-1, 1000000000, 2000000000, std::numeric_limits<std::int32_t>::max()}));
  EXPECT_EQ(runGraph(g, {{1, 2}})[0], (std::vector<float>{-0.5f, 3e9f}));
}

// --- Einsum ----------------------------------------------------------------------------------

// Einsum by definition: every assignment of the letters, the product of the operands'
// elements added into the output's. Letters and sizes given; ellipses written out.
std::vector<float> naiveEinsum(const std::vector<std::string>& terms, const std::string& out,
                               const std::map<char, std::int64_t>& sizes, const std::vector<std::vector<float>>& xs) {
  std::vector<char> letters;
  for (const auto& [c, n] : sizes) letters.push_back(c);
  auto offset = [&](const std::string& term, const std::map<char, std::int64_t>& at) {
    std::int64_t o = 0;
    for (char c : term) o = o * sizes.at(c) + at.at(c);
    return o;
  };
  std::int64_t outSize = 1;
  for (char c : out) outSize *= sizes.at(c);
  std::vector<double> y(static_cast<std::size_t>(outSize), 0.0);
  std::map<char, std::int64_t> at;
  for (char c : letters) at[c] = 0;
  while (true) {
    double p = 1.0;
    for (std::size_t k = 0; k < terms.size(); ++k) p *= xs[k][static_cast<std::size_t>(offset(terms[k], at))];
    y[static_cast<std::size_t>(offset(out, at))] += p;
    std::size_t i = letters.size();
    while (i > 0 && ++at[letters[i - 1]] == sizes.at(letters[i - 1])) at[letters[--i]] = 0;
    if (i == 0) break;
  }
  return std::vector<float>(y.begin(), y.end());
}

TEST(OnnxImport, EinsumMatrixProductFormsMatchTheDefinition) {
  struct Case {
    std::string equation;
    std::vector<std::vector<std::int64_t>> shapes;
    std::vector<std::string> terms;  // the equation's terms with ellipses written out
    std::string out;
  };
  const std::vector<Case> cases = {
      {"bij,bjk->bik", {{2, 3, 4}, {2, 4, 5}}, {"bij", "bjk"}, "bik"},
      {"bhqd,bhkd->bhqk", {{1, 2, 3, 4}, {1, 2, 5, 4}}, {"bhqd", "bhkd"}, "bhqk"},  // attention's Q K^T
      {"ij,jk", {{3, 4}, {4, 2}}, {"ij", "jk"}, "ik"},                                // implicit output
      {"...ij,...jk->...ik", {{2, 3, 4}, {2, 4, 3}}, {"zij", "zjk"}, "zik"},
      {"i,i->", {{5}, {5}}, {"i", "i"}, ""},
      {"ij,kj->ik", {{2, 3}, {4, 3}}, {"ij", "kj"}, "ik"},
      {"ij,k->ijk", {{2, 3}, {2}}, {"ij", "k"}, "ijk"},                               // outer product
      {"bij,bjk->ik", {{2, 2, 3}, {2, 3, 2}}, {"bij", "bjk"}, "ik"},                  // the batch summed too
      {"ij->ji", {{2, 3}}, {"ij"}, "ji"},
      {"ijk->ki", {{2, 3, 4}}, {"ijk"}, "ki"},
  };
  unsigned seed = 1;
  for (const Case& c : cases) {
    OnnxModel m(12);
    std::vector<std::string> inputs;
    std::vector<std::vector<float>> data;
    std::map<char, std::int64_t> sizes;
    for (std::size_t k = 0; k < c.shapes.size(); ++k) {
      const std::string name = "x" + std::to_string(k);
      m.input(name, c.shapes[k]);
      inputs.push_back(name);
      std::int64_t n = 1;
      for (std::size_t d = 0; d < c.shapes[k].size(); ++d) {
        n *= c.shapes[k][d];
        sizes[c.terms[k][d]] = c.shapes[k][d];
      }
      data.push_back(randomFloats(static_cast<std::size_t>(n), seed++));
    }
    m.output("y");
    attrS(m.node("Einsum", inputs, {"y"}, "e"), "equation", c.equation);
    const Graph g = importOk(m);
    if (::testing::Test::HasFailure()) return;
    const std::vector<float> got = runGraph(g, data)[0];
    const std::vector<float> want = naiveEinsum(c.terms, c.out, sizes, data);
    ASSERT_EQ(got.size(), want.size()) << c.equation;
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5f) << c.equation << " at " << i;
  }
}

TEST(OnnxImport, EinsumBeyondMatrixProductsIsNamed) {
  OnnxModel diagonal(12);
  diagonal.input("x", std::vector<std::int64_t>{3, 3}).output("y");
  attrS(diagonal.node("Einsum", {"x"}, {"y"}, "e"), "equation", "ii->i");
  EXPECT_EQ(importError(diagonal),
            "node e (Einsum): operand 0 'ii' repeats 'i' (a diagonal); edgert supports matrix products");
  OnnxModel three(12);
  three.input("a", std::vector<std::int64_t>{2}).input("b", std::vector<std::int64_t>{2}).input("c", std::vector<std::int64_t>{2});
  three.output("y");
  attrS(three.node("Einsum", {"a", "b", "c"}, {"y"}, "e"), "equation", "i,i,i->");
  EXPECT_EQ(importError(three), "node e (Einsum): 3 operands; edgert supports Einsum of one or two");
}

// NonMaxSuppression: a padded output with a static bound and, as it is a graph output, its
// row count as the next graph output.
TEST(OnnxImport, NonMaxSuppressionHasABoundAndACountOutput) {
  OnnxModel m(11);
  m.input("boxes", std::vector<std::int64_t>{2, 6, 4}).input("scores", std::vector<std::int64_t>{2, 3, 6}).output("sel");
  m.ints("most", {1}, {4});
  m.floats("iou", {1}, {0.5f});
  m.node("NonMaxSuppression", {"boxes", "scores", "most", "iou"}, {"sel"}, "nms");
  const Graph g = importOk(m);
  ASSERT_EQ(g.outputs.size(), 2u);
  EXPECT_EQ(g.value(g.outputs[0]).name, "sel");
  EXPECT_EQ(g.value(g.outputs[0]).type, (kernels::TensorType{DType::kInt64, Shape::of({24, 3})}));
  EXPECT_EQ(g.value(g.outputs[1]).name, "sel_count");
  EXPECT_EQ(g.value(g.outputs[1]).type, (kernels::TensorType{DType::kInt64, Shape::of({1})}));
  const auto p = g.nodes[0].paramsAs<kernels::NmsParams>();
  EXPECT_EQ(p.maxPerClass, 4);
  EXPECT_EQ(p.iouThreshold, 0.5f);
  EXPECT_EQ(p.hasScoreThreshold, 0);
  OnnxModel runtime(11);
  runtime.input("boxes", std::vector<std::int64_t>{1, 6, 4}).input("scores", std::vector<std::int64_t>{1, 1, 6});
  runtime.input("most", std::vector<std::int64_t>{1}).output("sel");
  runtime.node("NonMaxSuppression", {"boxes", "scores", "most"}, {"sel"}, "nms");
  EXPECT_EQ(importError(runtime),
            "node nms (NonMaxSuppression): the max_output_boxes_per_class operand 'most' must be a constant "
            "(computable at compile time), but it depends on runtime data");
}

}  // namespace
}  // namespace edgert::compiler
