#include "image_writer.hpp"

#include "edgert/runtime/model.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

namespace edgert::compiler {
namespace {

using kernels::DType;
using kernels::Shape;

ValueId addValue(Graph& g, const char* name, Shape s, bool constant = false) {
  Value v;
  v.name = name;
  v.type = {DType::kFloat32, s};
  v.isConstant = constant;
  if (constant) {
    v.data.resize(v.type.bytes());
    for (std::size_t i = 0; i < v.data.size(); ++i) v.data[i] = static_cast<std::byte>(i);
  }
  return g.addValue(std::move(v));
}

// x -> Add(x, k) -> y; plus a constant output c.
Graph addGraph() {
  Graph g;
  ValueId x = addValue(g, "x", Shape::of({2, 3}));
  ValueId k = addValue(g, "k", Shape::of({3}), true);
  ValueId c = addValue(g, "c", Shape::of({5}), true);
  ValueId y = addValue(g, "y", Shape::of({2, 3}));
  g.value(x).isGraphInput = true;
  g.inputs = {x};
  g.outputs = {y, c};
  Node add;
  add.name = "add";
  add.op = kernels::OpCode::kBinary;
  add.setParams(kernels::BinaryParams{});
  add.inputs = {x, k};
  add.outputs = {y};
  g.nodes.push_back(add);
  return g;
}

TEST(ImageWriter, LayoutIsAlignedOrderedAndChecksummed) {
  Graph g = addGraph();
  auto plan = planArena(g);
  ASSERT_TRUE(plan.ok());
  auto bytes = writeImage(g, *plan);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message();
  model::Header h;
  std::memcpy(&h, bytes->data(), sizeof h);
  EXPECT_EQ(std::memcmp(h.magic, "EDGERTM", 8), 0);
  EXPECT_EQ(h.fileBytes, bytes->size());
  EXPECT_EQ(h.checksum, model::computeChecksum(bytes->data(), bytes->size()));
  const model::Section order[] = {h.strings, h.tensors, h.ops, h.indices, h.params, h.bindings, h.weights};
  std::uint64_t end = sizeof(model::Header);
  for (const model::Section& s : order) {
    EXPECT_GE(s.offset, end);
    EXPECT_EQ(s.offset % 8, 0u);
    end = s.offset + s.bytes;
  }
  EXPECT_EQ(h.weights.offset % 64, 0u);
  EXPECT_EQ(h.tensors.bytes / sizeof(model::TensorRecord), 4u);  // x, k, y, c
  EXPECT_EQ(h.bindings.bytes / sizeof(model::BindingRecord), 3u);

  // Both constants are 64-byte aligned inside the weight section; the constant output
  // is bound from the weight section.
  const auto* tensors = reinterpret_cast<const model::TensorRecord*>(bytes->data() + h.tensors.offset);
  int weights = 0;
  for (int i = 0; i < 4; ++i) {
    if (tensors[i].storage != model::Storage::kWeight) continue;
    ++weights;
    EXPECT_EQ(tensors[i].offset % 64, 0u);
  }
  EXPECT_EQ(weights, 2);

  std::byte* aligned = static_cast<std::byte*>(std::aligned_alloc(64, (bytes->size() + 63) / 64 * 64));
  std::memcpy(aligned, bytes->data(), bytes->size());
  auto m = Model::fromBytes({aligned, bytes->size()}, "add.edgm");
  EXPECT_TRUE(m.ok()) << m.error().message();
  std::free(aligned);
}

TEST(ImageWriter, RejectsAConstantWhoseDataDoesNotMatchItsType) {
  Graph g = addGraph();
  g.value(1).data.resize(4);
  auto plan = planArena(g);
  ASSERT_TRUE(plan.ok());
  auto bytes = writeImage(g, *plan);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().message(), "constant 'k' holds 4 bytes, its type needs 12");
}

}  // namespace
}  // namespace edgert::compiler
