// Proves Engine::invoke() performs no heap allocation: this binary counts heap allocations
// (tests/support/alloc_counter.cpp) while 1,000 invocations run.
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/model.hpp"

#include "arena_plan.hpp"
#include "image_writer.hpp"
#include "support/alloc_counter.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <new>


namespace edgert {
namespace {

TEST(EngineAllocations, InvokeAllocatesNothingOver1000Runs) {
  // A network touching several kernels: conv+bias, relu, add, pool, concat, reshape.
  compiler::Graph g;
  auto add = [&g](const char* name, kernels::Shape s) {
    compiler::Value v;
    v.name = name;
    v.type = {kernels::DType::kFloat32, s};
    return g.addValue(std::move(v));
  };
  auto constant = [&](const char* name, kernels::Shape s) {
    compiler::ValueId id = add(name, s);
    g.value(id).isConstant = true;
    g.value(id).data.assign(g.value(id).type.bytes(), std::byte{0x3c});
    return id;
  };
  auto node = [&g](kernels::OpCode op, auto params, std::vector<compiler::ValueId> ins, compiler::ValueId out) {
    compiler::Node n;
    n.name = "n" + std::to_string(g.nodes.size());
    n.op = op;
    n.setParams(params);
    n.inputs = std::move(ins);
    n.outputs = {out};
    g.nodes.push_back(std::move(n));
  };
  compiler::ValueId x = add("x", kernels::Shape::of({1, 3, 16, 16}));
  g.value(x).isGraphInput = true;
  g.inputs.push_back(x);
  compiler::ValueId w = constant("w", kernels::Shape::of({8, 3, 3, 3}));
  compiler::ValueId b = constant("b", kernels::Shape::of({8}));
  compiler::ValueId c = add("c", kernels::Shape::of({1, 8, 16, 16}));
  kernels::ConvParams cp;
  cp.kernel[0] = cp.kernel[1] = 3;
  cp.padBegin[0] = cp.padBegin[1] = cp.padEnd[0] = cp.padEnd[1] = 1;
  cp.hasBias = 1;
  node(kernels::OpCode::kConv, cp, {x, w, b}, c);
  compiler::ValueId r = add("r", kernels::Shape::of({1, 8, 16, 16}));
  kernels::ActivationParams relu;
  relu.kind = kernels::Activation::kRelu;
  node(kernels::OpCode::kActivation, relu, {c}, r);
  compiler::ValueId s = add("s", kernels::Shape::of({1, 8, 16, 16}));
  node(kernels::OpCode::kBinary, kernels::BinaryParams{}, {r, c}, s);
  compiler::ValueId p = add("p", kernels::Shape::of({1, 8, 8, 8}));
  kernels::PoolParams pp;
  pp.kernel[0] = pp.kernel[1] = 2;
  pp.stride[0] = pp.stride[1] = 2;
  node(kernels::OpCode::kMaxPool, pp, {s}, p);
  compiler::ValueId cat = add("cat", kernels::Shape::of({1, 16, 8, 8}));
  kernels::ConcatParams catp;
  catp.axis = 1;
  node(kernels::OpCode::kConcat, catp, {p, p}, cat);
  compiler::ValueId y = add("y", kernels::Shape::of({1, 1024}));
  kernels::ReshapeParams rp;
  rp.shape = kernels::Shape::of({1, 1024});
  node(kernels::OpCode::kReshape, rp, {cat}, y);
  g.value(y).isGraphOutput = true;
  g.outputs.push_back(y);

  auto plan = compiler::planArena(g);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  auto bytes = compiler::writeImage(g, *plan);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message();
  std::byte* buf = static_cast<std::byte*>(std::aligned_alloc(64, (bytes->size() + 63) / 64 * 64));
  std::memcpy(buf, bytes->data(), bytes->size());
  auto model = Model::fromBytes({buf, bytes->size()}, "alloc.edgm");
  ASSERT_TRUE(model.ok()) << model.error().message();
  auto engine = Engine::create(*model);
  ASSERT_TRUE(engine.ok()) << engine.error().message();
  std::memset((*engine)->inputs()[0].data, 0, (*engine)->inputs()[0].type.bytes());

  // The counter itself must work, or a zero below proves nothing.
  ASSERT_TRUE(test::allocationCounterWorks()) << "allocation counter is not wired";
  test::startCountingAllocations();
  for (int i = 0; i < 1000; ++i) (*engine)->invoke();
  EXPECT_EQ(test::stopCountingAllocations(), 0);
  if (!test::countsMalloc()) RecordProperty("note", "sanitizer build: operator new counted, malloc not");
  std::free(buf);
}

}  // namespace
}  // namespace edgert
