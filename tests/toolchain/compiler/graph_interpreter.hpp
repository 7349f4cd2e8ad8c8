// Test helper: runs a compiler Graph node by node with the registry's kernels (each node's
// variant), so tests can check that a pass or an import preserves results.
#pragma once

#include "compiler/graph.hpp"
#include "edgert/kernels/registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

namespace edgert::compiler::testing {

inline std::vector<std::byte> floatBytes(const std::vector<float>& v) {
  std::vector<std::byte> out(v.size() * sizeof(float));
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

inline std::vector<float> bytesToFloats(const std::vector<std::byte>& b) {
  std::vector<float> out(b.size() / sizeof(float));
  if (!out.empty()) std::memcpy(out.data(), b.data(), out.size() * sizeof(float));
  return out;
}

inline std::vector<float> randomFloats(std::size_t n, unsigned seed, float lo = -1.0f,
                                       float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> out(n);
  for (float& x : out) x = dist(rng);
  return out;
}

// Runs `graph` on float32 inputs given in graph.inputs order; returns the graph outputs in
// graph.outputs order as floats. Failures are reported through gtest.
inline std::vector<std::vector<float>> runGraph(const Graph& graph,
                                                const std::vector<std::vector<float>>& inputs) {
  std::vector<std::vector<std::byte>> buffers(graph.values.size());
  for (std::size_t i = 0; i < graph.values.size(); ++i) {
    if (graph.values[i].isConstant) buffers[i] = graph.values[i].data;
  }
  EXPECT_EQ(inputs.size(), graph.inputs.size());
  for (std::size_t k = 0; k < graph.inputs.size() && k < inputs.size(); ++k) {
    const Value& v = graph.value(graph.inputs[k]);
    EXPECT_EQ(static_cast<std::int64_t>(inputs[k].size()), v.type.shape.numel()) << v.name;
    buffers[static_cast<std::size_t>(graph.inputs[k])] = floatBytes(inputs[k]);
  }
  static std::byte empty[8];
  for (const Node& node : graph.nodes) {
    const kernels::KernelVariant* variant = kernels::findVariant(node.op, node.variant);
    if (variant == nullptr) {
      ADD_FAILURE() << "no kernel variant " << node.variant << " for node " << node.name;
      return {};
    }
    std::vector<kernels::InTensor> ins;
    std::vector<kernels::TensorType> inTypes;
    for (ValueId id : node.inputs) {
      kernels::InTensor t;
      if (id == kNoValue) {
        t.type.shape.rank = kernels::kAbsentRank;
      } else {
        auto& buf = buffers[static_cast<std::size_t>(id)];
        t.type = graph.value(id).type;
        t.data = buf.empty() ? empty : buf.data();
        EXPECT_EQ(buf.size(), t.type.bytes())
            << "input " << graph.value(id).name << " of " << node.name;
      }
      ins.push_back(t);
      inTypes.push_back(t.type);
    }
    std::vector<kernels::OutTensor> outs;
    std::vector<kernels::TensorType> outTypes;
    for (ValueId id : node.outputs) {
      auto& buf = buffers[static_cast<std::size_t>(id)];
      buf.assign(graph.value(id).type.bytes(), std::byte{0});
      outs.push_back({buf.empty() ? empty : buf.data(), graph.value(id).type});
      outTypes.push_back(graph.value(id).type);
    }
    std::vector<std::byte> scratch;
    if (variant->scratch != nullptr)
      scratch.resize(variant->scratch(node.params.data(), inTypes, outTypes) + 64);
    kernels::KernelArgs args;
    args.params = node.params.data();
    args.inputs = ins;
    args.outputs = outs;
    if (!scratch.empty()) {
      void* p = scratch.data();
      std::size_t space = scratch.size();
      std::align(64, scratch.size() - 64, p, space);
      args.scratch = {static_cast<std::byte*>(p), scratch.size() - 64};
    }
    variant->run(args);
  }
  std::vector<std::vector<float>> results;
  for (ValueId id : graph.outputs)
    results.push_back(bytesToFloats(buffers[static_cast<std::size_t>(id)]));
  return results;
}

inline void expectNear(const std::vector<float>& got, const std::vector<float>& want,
                       float tolerance) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], tolerance * (1.0f + std::abs(want[i]))) << "element " << i;
  }
}

}  // namespace edgert::compiler::testing
