#include "test_models.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>

#include "arena_plan.hpp"
#include "edgert/kernels/registry.hpp"
#include "edgert/runtime/model_format.hpp"
#include "image_writer.hpp"

namespace edgert::testing {

namespace {

std::vector<std::byte> floatBytes(const std::vector<float>& v) {
  std::vector<std::byte> b(v.size() * sizeof(float));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "tinyCameraModel: %s\n", why.c_str());
  std::abort();
}

}  // namespace

std::vector<std::byte> tinyCameraModel(TinyModelOutputs outputs, int seed, bool portable) {
  using compiler::Graph;
  using compiler::Node;
  using compiler::Value;
  using kernels::DType;
  using kernels::Shape;
  Graph g;
  auto add = [&g](const char* name, Shape s) {
    Value v;
    v.name = name;
    v.type = {DType::kFloat32, s};
    return g.addValue(std::move(v));
  };
  constexpr int kOut = 4;
  const auto x = add("image", Shape::of({1, 3, 32, 32}));
  g.value(x).isGraphInput = true;
  g.inputs.push_back(x);
  const auto w = add("w", Shape::of({kOut, 3, 3, 3}));
  std::vector<float> wv(kOut * 27);
  for (std::size_t i = 0; i < wv.size(); ++i) {
    wv[i] = static_cast<float>((static_cast<int>(i) * 7 + seed * 13) % 11 - 5) / 16.0F;
  }
  g.value(w).isConstant = true;
  g.value(w).data = floatBytes(wv);
  const auto b = add("b", Shape::of({kOut}));
  const float bias = outputs == TinyModelOutputs::kNaN ? std::numeric_limits<float>::quiet_NaN() : 0.25F;
  g.value(b).isConstant = true;
  g.value(b).data = floatBytes(std::vector<float>(kOut, bias));
  const auto y = add("scores", Shape::of({1, kOut, 32, 32}));
  g.value(y).isGraphOutput = true;
  g.outputs.push_back(y);
  Node conv;
  conv.name = "conv";
  conv.op = kernels::OpCode::kConv;
  kernels::ConvParams p;
  p.kernel[0] = p.kernel[1] = 3;
  p.padBegin[0] = p.padBegin[1] = p.padEnd[0] = p.padEnd[1] = 1;
  p.hasBias = 1;
  conv.setParams(p);
  conv.inputs = {x, w, b};
  conv.outputs = {y};
  if (portable) {
    const std::vector<kernels::TensorType> ins{g.value(x).type, g.value(w).type, g.value(b).type};
    const std::vector<kernels::TensorType> outs{g.value(y).type};
    for (const kernels::KernelVariant& v : kernels::allVariants()) {
      if (v.code == kernels::OpCode::kConv && v.id != 0 &&
          (v.applies == nullptr || v.applies(conv.params.data(), ins, outs))) {
        conv.alternatives.push_back(v.id);
      }
    }
  }
  g.nodes.push_back(conv);
  auto plan = compiler::planArena(g);
  if (!plan) die(plan.error().message());
  auto image = compiler::writeImage(g, *plan);
  if (!image) die(image.error().message());
  return *image;
}

void writeTinyCameraModel(const std::string& path, TinyModelOutputs outputs, int seed) {
  writeImage(path, tinyCameraModel(outputs, seed));
}

std::vector<std::byte> withArenaBytes(std::vector<std::byte> image, std::uint64_t arenaBytes) {
  model::Header h;
  if (image.size() < sizeof h) die("withArenaBytes: not an image");
  std::memcpy(&h, image.data(), sizeof h);
  h.arenaBytes = arenaBytes;
  h.checksum = 0;
  std::memcpy(image.data(), &h, sizeof h);
  h.checksum = model::computeChecksum(image.data(), image.size());
  std::memcpy(image.data(), &h, sizeof h);
  return image;
}

void writeImage(const std::string& path, const std::vector<std::byte>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) die("cannot write " + path);
}

}  // namespace edgert::testing
