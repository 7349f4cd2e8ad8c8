#include "image_writer.hpp"

#include "edgert/kernels/registry.hpp"

#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

namespace edgert::compiler {
namespace {

std::uint64_t alignUp(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

class Strings {
 public:
  Strings() { bytes_.push_back('\0'); }  // offset 0: the empty name
  std::uint32_t add(std::string_view s) {
    auto it = index_.find(std::string(s));
    if (it != index_.end()) return it->second;
    const auto offset = static_cast<std::uint32_t>(bytes_.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    bytes_.push_back('\0');
    index_.emplace(std::string(s), offset);
    return offset;
  }
  const std::vector<char>& bytes() const { return bytes_; }

 private:
  std::vector<char> bytes_;
  std::unordered_map<std::string, std::uint32_t> index_;
};

template <typename T>
void append(std::vector<std::byte>& out, const T* data, std::size_t count) {
  const auto* p = reinterpret_cast<const std::byte*>(data);
  out.insert(out.end(), p, p + sizeof(T) * count);
}

void padTo(std::vector<std::byte>& out, std::uint64_t alignment) {
  out.resize(alignUp(out.size(), alignment), std::byte{0});
}

}  // namespace

Result<std::vector<std::byte>> writeImage(const Graph& graph, const ArenaPlan& plan,
                                          model::Target target) {
  Strings strings;
  std::vector<model::TensorRecord> tensors;
  std::vector<std::byte> weights;
  std::vector<std::uint32_t> tensorOf(graph.values.size(), model::kNoTensor);

  auto tensorFor = [&](ValueId v) -> Result<std::uint32_t> {
    const auto vi = static_cast<std::size_t>(v);
    if (tensorOf[vi] != model::kNoTensor) return tensorOf[vi];
    const Value& val = graph.value(v);
    model::TensorRecord r{};
    r.name = strings.add(val.name);
    r.dtype = val.type.dtype;
    r.layout = static_cast<std::uint8_t>(val.layout);
    r.rank = val.type.shape.rank;
    for (int i = 0; i < val.type.shape.rank; ++i) r.dims[i] = val.type.shape.dims[i];
    r.bytes = val.type.bytes();
    if (val.isConstant) {
      if (val.data.size() != r.bytes) {
        return makeError(Errc::kInternal, "constant '{}' holds {} bytes, its type needs {}", val.name,
                         val.data.size(), r.bytes);
      }
      r.storage = model::Storage::kWeight;
      padTo(weights, model::kWeightAlignment);
      r.offset = weights.size();
      weights.insert(weights.end(), val.data.begin(), val.data.end());
    } else {
      if (plan.valueOffset[vi] == kNotInArena) {
        return makeError(Errc::kInternal, "value '{}' has no place in the arena plan", val.name);
      }
      r.storage = model::Storage::kArena;
      r.offset = plan.valueOffset[vi];
    }
    tensorOf[vi] = static_cast<std::uint32_t>(tensors.size());
    tensors.push_back(r);
    return tensorOf[vi];
  };

  std::vector<model::OpRecord> ops;
  std::vector<std::uint32_t> indices;
  std::vector<std::byte> params;
  std::vector<model::VariantRecord> alternatives;
  for (std::size_t k = 0; k < graph.nodes.size(); ++k) {
    const Node& node = graph.nodes[k];
    const kernels::OpInfo* info = kernels::findOp(node.op);
    if (info == nullptr || node.params.size() != info->paramsBytes) {
      return makeError(Errc::kInternal, "node '{}': bad op or parameter block", node.name);
    }
    model::OpRecord op{};
    op.opcode = static_cast<std::uint16_t>(node.op);
    op.variant = node.variant;
    for (std::uint16_t a : node.alternatives) {
      alternatives.push_back(model::VariantRecord{static_cast<std::uint32_t>(k), a, 0});
    }
    op.name = strings.add(node.name);
    op.firstIndex = static_cast<std::uint32_t>(indices.size());
    op.numInputs = static_cast<std::uint16_t>(node.inputs.size());
    op.numOutputs = static_cast<std::uint16_t>(node.outputs.size());
    for (ValueId v : node.inputs) {
      if (v == kNoValue) {
        indices.push_back(model::kNoTensor);
      } else {
        EDGERT_ASSIGN_OR_RETURN(const std::uint32_t t, tensorFor(v));
        indices.push_back(t);
      }
    }
    for (ValueId v : node.outputs) {
      EDGERT_ASSIGN_OR_RETURN(const std::uint32_t t, tensorFor(v));
      indices.push_back(t);
    }
    padTo(params, 8);
    op.paramsOffset = static_cast<std::uint32_t>(params.size());
    op.paramsBytes = static_cast<std::uint32_t>(node.params.size());
    params.insert(params.end(), node.params.begin(), node.params.end());
    op.scratchBytes = plan.scratchBytes[k];
    op.scratchOffset = op.scratchBytes ? plan.scratchOffset[k] : 0;
    ops.push_back(op);
  }

  std::vector<model::BindingRecord> bindings;
  for (int pass = 0; pass < 2; ++pass) {
    const auto& list = pass == 0 ? graph.inputs : graph.outputs;
    for (ValueId v : list) {
      model::BindingRecord b{};
      b.name = strings.add(graph.value(v).name);
      EDGERT_ASSIGN_OR_RETURN(b.tensor, tensorFor(v));
      b.kind = pass == 0 ? model::BindingKind::kInput : model::BindingKind::kOutput;
      bindings.push_back(b);
    }
  }

  // Layout: header, strings, tensors, ops, indices, params, bindings, weights, variants.
  std::vector<std::byte> out(sizeof(model::Header));
  model::Header h{};
  std::memcpy(h.magic, model::kMagic, sizeof h.magic);
  // Version 3 only where the image has alternatives: devices of version 2 read the rest.
  h.formatVersion = alternatives.empty() ? model::kOldestFormatVersion : model::kFormatVersion;
  h.headerBytes = sizeof(model::Header);
  h.target = target;
  h.arenaBytes = plan.arenaBytes;
  h.arenaLowerBound = plan.lowerBound;
  auto section = [&out](model::Section& s, const void* data, std::size_t bytes, std::uint64_t align) {
    padTo(out, align);
    s.offset = out.size();
    s.bytes = bytes;
    append(out, static_cast<const std::byte*>(data), bytes);
  };
  section(h.strings, strings.bytes().data(), strings.bytes().size(), 8);
  section(h.tensors, tensors.data(), tensors.size() * sizeof(model::TensorRecord), 8);
  section(h.ops, ops.data(), ops.size() * sizeof(model::OpRecord), 8);
  section(h.indices, indices.data(), indices.size() * sizeof(std::uint32_t), 8);
  section(h.params, params.data(), params.size(), 8);
  section(h.bindings, bindings.data(), bindings.size() * sizeof(model::BindingRecord), 8);
  section(h.weights, weights.data(), weights.size(), model::kWeightAlignment);
  if (!alternatives.empty()) {
    section(h.variants, alternatives.data(), alternatives.size() * sizeof(model::VariantRecord), 8);
  }
  h.fileBytes = out.size();
  std::memcpy(out.data(), &h, sizeof h);
  h.checksum = model::computeChecksum(out.data(), out.size());
  std::memcpy(out.data(), &h, sizeof h);
  return out;
}

}  // namespace edgert::compiler
