// A model image, mapped and validated. After Model::open succeeds every offset, size,
// index, parameter block and tensor type in the image has been checked (and every op's
// output types recomputed with its infer function), so the engine and the kernels trust it.
#pragma once

#include "edgert/base/result.hpp"
#include "edgert/kernels/registry.hpp"
#include "edgert/runtime/model_format.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edgert {

// Which machine an image is checked for. kThisMachine: it must run here (its target is this
// build's architecture, every kernel variant is built and this CPU has its features).
// kItsTarget: everything that does not depend on the machine (structure, checksum, types,
// each variant's applicability, plans, lifetimes), for a host checking an image made for a
// device of another architecture (edgert-bundle); such a Model cannot be run here.
enum class CheckFor : std::uint8_t { kThisMachine, kItsTarget };

class Model {
 public:
  // Maps `path` read-only (MAP_PRIVATE, every page mapped in at once: MAP_POPULATE) and
  // validates it. Errors name the file and what is wrong: "face.edgm: checksum mismatch
  // (file says 0x..., contents give 0x...)".
  static Result<Model> open(const std::string& path, CheckFor checkFor = CheckFor::kThisMachine);

  // Validates an image held by the caller (tests, fuzzing). The bytes must outlive the
  // Model and be 64-byte aligned (misaligned input is rejected).
  static Result<Model> fromBytes(std::span<const std::byte> bytes, std::string_view sourceName);

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  const model::Header& header() const { return *header_; }
  std::span<const model::TensorRecord> tensors() const { return tensors_; }
  std::span<const model::OpRecord> ops() const { return ops_; }
  std::span<const model::BindingRecord> bindings() const { return bindings_; }
  std::span<const std::uint32_t> indices() const { return indices_; }

  std::string_view string(std::uint32_t offset) const;
  kernels::TensorType tensorType(std::uint32_t tensor) const;
  const std::byte* weight(const model::TensorRecord& t) const { return weights_ + t.offset; }
  const void* params(const model::OpRecord& op) const { return params_ + op.paramsOffset; }
  std::span<const std::uint32_t> opInputs(const model::OpRecord& op) const;
  std::span<const std::uint32_t> opOutputs(const model::OpRecord& op) const;

  // The kernel variant op `op` runs: its first alternative this CPU runs, else the op
  // record's own (for a Model checked for another machine: always the op record's).
  const kernels::KernelVariant& variant(std::size_t op) const { return *chosen_[op]; }
  // The op's alternatives (VariantRecord), best first; empty for most images.
  std::span<const model::VariantRecord> alternatives(std::size_t op) const {
    return alternatives_.subspan(altBegin_[op], altBegin_[op + 1] - altBegin_[op]);
  }
  bool hasAlternatives() const { return !alternatives_.empty(); }

  const std::string& sourceName() const { return sourceName_; }
  std::size_t fileBytes() const { return bytes_.size(); }
  // Checked for this machine: an Engine can run it.
  bool runsHere() const { return checkFor_ == CheckFor::kThisMachine; }

 private:
  Model() = default;
  Result<void> validate();
  Result<void> validatePlan() const;

  std::string sourceName_;
  std::span<const std::byte> bytes_;
  void* mapping_ = nullptr;  // owned mmap, or nullptr for fromBytes
  const model::Header* header_ = nullptr;
  std::span<const model::TensorRecord> tensors_;
  std::span<const model::OpRecord> ops_;
  std::span<const model::BindingRecord> bindings_;
  std::span<const std::uint32_t> indices_;
  const char* strings_ = nullptr;
  std::size_t stringsBytes_ = 0;
  const std::byte* params_ = nullptr;
  const std::byte* weights_ = nullptr;
  std::span<const model::VariantRecord> alternatives_;
  std::vector<std::uint32_t> altBegin_;                // per op, and one past the last
  std::vector<const kernels::KernelVariant*> chosen_;  // per op
  CheckFor checkFor_ = CheckFor::kThisMachine;
};

}  // namespace edgert
