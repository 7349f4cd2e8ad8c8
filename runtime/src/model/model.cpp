#include "edgert/runtime/model.hpp"

#include "edgert/kernels/cpu_features.hpp"
#include "edgert/kernels/shape_check.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace edgert {
namespace {

using model::BindingRecord;
using model::Header;
using model::OpRecord;
using model::Section;
using model::TensorRecord;
using model::VariantRecord;

constexpr std::size_t kMaxOpInputs = 64;

bool isAligned(std::uint64_t value, std::uint64_t alignment) { return value % alignment == 0; }

// a + b <= limit without overflow.
bool fits(std::uint64_t offset, std::uint64_t bytes, std::uint64_t limit) {
  return offset <= limit && bytes <= limit - offset;
}

// What a kernel variant's instruction set asks of the CPU, for the loader's refusals.
const char* isaNeeds(kernels::Isa isa) {
  switch (isa) {
    case kernels::Isa::kAny: return "nothing";
    case kernels::Isa::kAvx2: return "AVX2 and FMA";
    case kernels::Isa::kAvx512: return "AVX2, FMA and AVX-512 F/BW/VL";
    case kernels::Isa::kNeon: return "NEON";
    case kernels::Isa::kNeonFp16: return "NEON with FP16 arithmetic";
  }
  return "an unknown instruction set";
}

std::string describe(const kernels::TensorType& t) {
  return fmt::format("{} {}", kernels::dtypeName(t.dtype), kernels::formatShape(t.shape));
}

}  // namespace

Model::Model(Model&& o) noexcept { *this = std::move(o); }

Model& Model::operator=(Model&& o) noexcept {
  if (this != &o) {
    if (mapping_) ::munmap(mapping_, bytes_.size());
    sourceName_ = std::move(o.sourceName_);
    bytes_ = o.bytes_;
    mapping_ = std::exchange(o.mapping_, nullptr);
    header_ = o.header_;
    tensors_ = o.tensors_;
    ops_ = o.ops_;
    bindings_ = o.bindings_;
    indices_ = o.indices_;
    strings_ = o.strings_;
    stringsBytes_ = o.stringsBytes_;
    params_ = o.params_;
    weights_ = o.weights_;
    alternatives_ = o.alternatives_;
    altBegin_ = std::move(o.altBegin_);
    chosen_ = std::move(o.chosen_);
    checkFor_ = o.checkFor_;
  }
  return *this;
}

Model::~Model() {
  if (mapping_) ::munmap(mapping_, bytes_.size());
}

Result<Model> Model::open(const std::string& path, CheckFor checkFor) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::fromErrno(errno, "open " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Error::fromErrno(err, "stat " + path);
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size < sizeof(Header)) {
    ::close(fd);
    return makeError(Errc::kCorrupt, "{}: {} bytes, shorter than the {}-byte image header", path,
                     size, sizeof(Header));
  }
  // MAP_POPULATE: every page is mapped now, in one call (validation reads them all anyway),
  // not faulted in one by one (~10 us each on the VMs here).
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  const int err = errno;
  ::close(fd);
  if (p == MAP_FAILED) return Error::fromErrno(err, "mmap " + path);
  Model m;
  m.sourceName_ = path;
  m.mapping_ = p;
  m.bytes_ = {static_cast<const std::byte*>(p), size};
  m.checkFor_ = checkFor;
  EDGERT_TRY(m.validate());
  return m;
}

Result<Model> Model::fromBytes(std::span<const std::byte> bytes, std::string_view sourceName) {
  Model m;
  m.sourceName_ = sourceName;
  if (bytes.size() < sizeof(Header)) {
    return makeError(Errc::kCorrupt, "{}: {} bytes, shorter than the {}-byte image header",
                     sourceName, bytes.size(), sizeof(Header));
  }
  if (!isAligned(reinterpret_cast<std::uintptr_t>(bytes.data()), model::kWeightAlignment)) {
    return makeError(Errc::kInvalidArgument, "{}: image buffer is not 64-byte aligned", sourceName);
  }
  m.bytes_ = bytes;
  EDGERT_TRY(m.validate());
  return m;
}

std::string_view Model::string(std::uint32_t offset) const {
  if (offset >= stringsBytes_) return "?";
  return strings_ + offset;  // the section ends with a NUL (validated)
}

kernels::TensorType Model::tensorType(std::uint32_t tensor) const {
  const TensorRecord& t = tensors_[tensor];
  kernels::TensorType type;
  type.dtype = t.dtype;
  type.shape.rank = t.rank;
  for (int i = 0; i < t.rank; ++i) type.shape.dims[i] = t.dims[i];
  return type;
}

std::span<const std::uint32_t> Model::opInputs(const OpRecord& op) const {
  return indices_.subspan(op.firstIndex, op.numInputs);
}

std::span<const std::uint32_t> Model::opOutputs(const OpRecord& op) const {
  return indices_.subspan(op.firstIndex + op.numInputs, op.numOutputs);
}

Result<void> Model::validate() {
  const std::string& src = sourceName_;
  const std::size_t size = bytes_.size();
  header_ = reinterpret_cast<const Header*>(bytes_.data());
  const Header& h = *header_;

  if (std::memcmp(h.magic, model::kMagic, sizeof h.magic) != 0) {
    return makeError(Errc::kCorrupt, "{}: not an edgert model image (bad magic)", src);
  }
  if (h.formatVersion < model::kOldestFormatVersion || h.formatVersion > model::kFormatVersion) {
    return makeError(Errc::kUnsupported, "{}: image format version {}, this edgert reads versions {} to {}",
                     src, h.formatVersion, model::kOldestFormatVersion, model::kFormatVersion);
  }
  if (h.headerBytes != sizeof(Header)) {
    return makeError(Errc::kCorrupt, "{}: header is {} bytes, expected {}", src, h.headerBytes,
                     sizeof(Header));
  }
  if (h.fileBytes != size) {
    return makeError(Errc::kCorrupt, "{}: header says {} bytes but the file has {} (truncated?)",
                     src, h.fileBytes, size);
  }
  const std::uint64_t sum = model::computeChecksum(bytes_.data(), size);
  if (sum != h.checksum) {
    return makeError(Errc::kCorrupt,
                     "{}: checksum mismatch (header says {:#018x}, contents give {:#018x})", src,
                     h.checksum, sum);
  }
  if (h.flags != 0) return makeError(Errc::kUnsupported, "{}: unknown flags {:#x}", src, h.flags);
  for (std::uint8_t b : h.reserved) {
    if (b != 0) return makeError(Errc::kCorrupt, "{}: reserved header bytes are not zero", src);
  }
  // Version 2 had 32 reserved bytes where version 3 has the variants section.
  const bool hasVariants = h.variants.offset != 0 || h.variants.bytes != 0;
  if (hasVariants && h.formatVersion < 3) {
    return makeError(Errc::kCorrupt, "{}: reserved header bytes are not zero", src);
  }
  switch (h.target) {
    case model::Target::kAny: break;
    case model::Target::kX86_64:
    case model::Target::kX86_64Avx512:
    case model::Target::kAarch64: {
      if (checkFor_ == CheckFor::kThisMachine &&
          std::string_view(kernels::compiledArch()) != model::targetArch(h.target)) {
        return makeError(Errc::kUnsupported, "{}: compiled for {} kernels, this edgert is {}", src,
                         model::targetName(h.target), kernels::compiledArch());
      }
      break;
    }
    default:
      return makeError(Errc::kCorrupt, "{}: unknown target {}", src, static_cast<unsigned>(h.target));
  }

  struct NamedSection {
    const char* name;
    const Section& section;
    std::uint64_t alignment;
    std::uint64_t recordBytes;
  };
  const std::array sections{
      NamedSection{"strings", h.strings, 1, 1},
      NamedSection{"tensors", h.tensors, 8, sizeof(TensorRecord)},
      NamedSection{"ops", h.ops, 8, sizeof(OpRecord)},
      NamedSection{"indices", h.indices, 4, sizeof(std::uint32_t)},
      NamedSection{"params", h.params, 8, 1},
      NamedSection{"bindings", h.bindings, 8, sizeof(BindingRecord)},
      NamedSection{"weights", h.weights, model::kWeightAlignment, 1},
      NamedSection{"variants", h.variants, 8, sizeof(VariantRecord)},
  };
  for (const NamedSection& s : sections) {
    if (&s.section == &h.variants && !hasVariants) continue;
    if (s.section.offset < sizeof(Header) || !fits(s.section.offset, s.section.bytes, size)) {
      return makeError(Errc::kCorrupt, "{}: {} section ({} bytes at {}) lies outside the {}-byte file",
                       src, s.name, s.section.bytes, s.section.offset, size);
    }
    if (!isAligned(s.section.offset, s.alignment) || s.section.bytes % s.recordBytes != 0) {
      return makeError(Errc::kCorrupt, "{}: {} section is misaligned or not a whole number of records",
                       src, s.name);
    }
  }
  const std::byte* base = bytes_.data();
  strings_ = reinterpret_cast<const char*>(base + h.strings.offset);
  stringsBytes_ = h.strings.bytes;
  if (stringsBytes_ == 0 || strings_[stringsBytes_ - 1] != '\0') {
    return makeError(Errc::kCorrupt, "{}: string section does not end with a NUL", src);
  }
  tensors_ = {reinterpret_cast<const TensorRecord*>(base + h.tensors.offset),
              h.tensors.bytes / sizeof(TensorRecord)};
  ops_ = {reinterpret_cast<const OpRecord*>(base + h.ops.offset), h.ops.bytes / sizeof(OpRecord)};
  indices_ = {reinterpret_cast<const std::uint32_t*>(base + h.indices.offset),
              h.indices.bytes / sizeof(std::uint32_t)};
  bindings_ = {reinterpret_cast<const BindingRecord*>(base + h.bindings.offset),
               h.bindings.bytes / sizeof(BindingRecord)};
  params_ = base + h.params.offset;
  weights_ = base + h.weights.offset;
  if (hasVariants) {
    alternatives_ = {reinterpret_cast<const VariantRecord*>(base + h.variants.offset),
                     h.variants.bytes / sizeof(VariantRecord)};
  }
  if (tensors_.size() >= model::kNoTensor) {
    return makeError(Errc::kCorrupt, "{}: too many tensors ({})", src, tensors_.size());
  }

  // Tensors.
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    const TensorRecord& t = tensors_[i];
    if (t.name >= stringsBytes_) {
      return makeError(Errc::kCorrupt, "{}: tensor {}: name offset {} outside the string section", src,
                       i, t.name);
    }
    const std::string_view name = string(t.name);
    if (!kernels::isValidDType(static_cast<std::uint8_t>(t.dtype))) {
      return makeError(Errc::kCorrupt, "{}: tensor {} '{}': invalid element type {}", src, i, name,
                       static_cast<unsigned>(t.dtype));
    }
    if (t.layout != 0) {
      return makeError(Errc::kUnsupported, "{}: tensor {} '{}': unknown layout {}", src, i, name,
                       t.layout);
    }
    if (t.rank < 0 || t.rank > kernels::kMaxRank) {
      return makeError(Errc::kCorrupt, "{}: tensor {} '{}': rank {}", src, i, name, t.rank);
    }
    const kernels::TensorType type = tensorType(static_cast<std::uint32_t>(i));
    if (Result<void> r = kernels::validateShape(type.shape, "tensor"); !r) {
      return makeError(Errc::kCorrupt, "{}: tensor {} '{}': {}", src, i, name, r.error().message());
    }
    if (t.bytes != type.bytes()) {
      return makeError(Errc::kCorrupt, "{}: tensor {} '{}': {} bytes recorded, {} needs {}", src, i,
                       name, t.bytes, describe(type), type.bytes());
    }
    const std::uint64_t align = kernels::dtypeSize(t.dtype);
    const bool inArena = t.storage == model::Storage::kArena;
    if (t.storage != model::Storage::kArena && t.storage != model::Storage::kWeight) {
      return makeError(Errc::kCorrupt, "{}: tensor {} '{}': unknown storage {}", src, i, name,
                       static_cast<unsigned>(t.storage));
    }
    const std::uint64_t limit = inArena ? h.arenaBytes : h.weights.bytes;
    if (!fits(t.offset, t.bytes, limit) || !isAligned(t.offset, align)) {
      return makeError(Errc::kCorrupt, "{}: tensor {} '{}': {} bytes at {} outside its {} ({} bytes)",
                       src, i, name, t.bytes, t.offset, inArena ? "arena" : "weight section", limit);
    }
  }

  // Ops.
  chosen_.assign(ops_.size(), nullptr);
  altBegin_.assign(ops_.size() + 1, 0);
  std::size_t nextAlternative = 0;
  std::array<kernels::TensorType, kMaxOpInputs> inTypes;
  std::array<kernels::TensorType, kernels::kMaxSplitOutputs> outTypes;  // the most outputs an op has
  for (std::size_t k = 0; k < ops_.size(); ++k) {
    const OpRecord& op = ops_[k];
    const std::string_view opName = op.name < stringsBytes_ ? string(op.name) : "?";
    auto fail = [&](Errc code, const std::string& what) {
      return Error(code, fmt::format("{}: op {} '{}': {}", src, k, opName, what));
    };
    if (op.name >= stringsBytes_) return fail(Errc::kCorrupt, "name outside the string section");
    const kernels::OpInfo* info = kernels::findOp(static_cast<kernels::OpCode>(op.opcode));
    if (info == nullptr) return fail(Errc::kUnsupported, fmt::format("unknown opcode {}", op.opcode));
    const kernels::KernelVariant* variant =
        kernels::findVariant(static_cast<kernels::OpCode>(op.opcode), op.variant);
    if (variant == nullptr) {
      return fail(Errc::kUnsupported,
                  fmt::format("{} kernel variant {} is not in this build", info->name, op.variant));
    }
    if (op.numInputs < info->minInputs || op.numInputs > info->maxInputs ||
        op.numInputs > kMaxOpInputs || op.numOutputs < info->minOutputs || op.numOutputs > info->maxOutputs ||
        op.numOutputs > outTypes.size()) {
      return fail(Errc::kCorrupt, fmt::format("{} with {} inputs and {} outputs", info->name,
                                              op.numInputs, op.numOutputs));
    }
    if (!fits(op.firstIndex, std::uint64_t{op.numInputs} + op.numOutputs, indices_.size())) {
      return fail(Errc::kCorrupt, "operand indices outside the index section");
    }
    if (op.paramsBytes != info->paramsBytes || !isAligned(op.paramsOffset, 8) ||
        !fits(op.paramsOffset, op.paramsBytes, h.params.bytes)) {
      return fail(Errc::kCorrupt, fmt::format("parameter block ({} bytes at {}) is invalid for {}",
                                              op.paramsBytes, op.paramsOffset, info->name));
    }
    const auto ins = opInputs(op);
    const auto outs = opOutputs(op);
    for (std::size_t i = 0; i < ins.size(); ++i) {
      if (ins[i] == model::kNoTensor) {
        if (i < info->minInputs) return fail(Errc::kCorrupt, fmt::format("required input {} is absent", i));
        inTypes[i] = {};
        inTypes[i].shape.rank = kernels::kAbsentRank;
        continue;
      }
      if (ins[i] >= tensors_.size()) {
        return fail(Errc::kCorrupt, fmt::format("input {} names tensor {} of {}", i, ins[i], tensors_.size()));
      }
      inTypes[i] = tensorType(ins[i]);
    }
    for (std::size_t i = 0; i < outs.size(); ++i) {
      if (outs[i] >= tensors_.size() || tensors_[outs[i]].storage != model::Storage::kArena) {
        return fail(Errc::kCorrupt, fmt::format("output {} is not an arena tensor", i));
      }
    }
    const std::span<const kernels::TensorType> inSpan(inTypes.data(), ins.size());
    const std::span<kernels::TensorType> outSpan(outTypes.data(), outs.size());
    if (Result<void> r = info->infer(params(op), inSpan, outSpan); !r) {
      return fail(r.error().code(), r.error().message());
    }
    for (std::size_t i = 0; i < outs.size(); ++i) {
      const kernels::TensorType recorded = tensorType(outs[i]);
      if (!(recorded == outTypes[i])) {
        return fail(Errc::kCorrupt, fmt::format("output {} '{}' is recorded as {} but {} computes {}", i,
                                                string(tensors_[outs[i]].name), describe(recorded),
                                                info->name, describe(outTypes[i])));
      }
    }
    if (variant->applies != nullptr &&
        !variant->applies(params(op), inSpan, std::span<const kernels::TensorType>(outSpan))) {
      return fail(Errc::kUnsupported,
                  fmt::format("{} kernel '{}' does not handle these parameters and shapes (inputs {}, "
                              "output {}); compile the model again",
                              info->name, variant->name, describe(inSpan[0]), describe(outSpan[0])));
    }
    const std::uint64_t needed = variant->scratch ? variant->scratch(params(op), inSpan, outSpan) : 0;
    if (op.scratchBytes < needed || !fits(op.scratchOffset, op.scratchBytes, h.arenaBytes) ||
        (op.scratchBytes > 0 && !isAligned(op.scratchOffset, model::kArenaAlignment))) {
      return fail(Errc::kCorrupt, fmt::format("scratch ({} bytes at {}) invalid, kernel needs {}",
                                              op.scratchBytes, op.scratchOffset, needed));
    }

    // The op's alternatives (records in op order). The kernel it runs: the first alternative
    // this CPU runs, else the base; an op with neither is refused, saying what each needs.
    // An alternative this build does not have (an image from a newer edgert-compile) or one
    // that does not apply to the op is passed over, never run.
    altBegin_[k] = static_cast<std::uint32_t>(nextAlternative);
    const kernels::KernelVariant* chosen = nullptr;
    for (; nextAlternative < alternatives_.size() && alternatives_[nextAlternative].op == k; ++nextAlternative) {
      const VariantRecord& a = alternatives_[nextAlternative];
      const std::size_t index = nextAlternative - altBegin_[k];
      auto bad = [&](const std::string& what) {
        return fail(Errc::kCorrupt, fmt::format("alternative {}: {}", index, what));
      };
      if (a.reserved != 0) return bad(fmt::format("reserved field is {}, expected 0", a.reserved));
      if (a.variant == 0) return bad("variant 0, the reference kernel, is never an alternative");
      if (a.variant == op.variant) return bad(fmt::format("variant {} is the op's own", a.variant));
      for (std::size_t j = altBegin_[k]; j < nextAlternative; ++j) {
        if (alternatives_[j].variant == a.variant) return bad(fmt::format("variant {} is listed twice", a.variant));
      }
      const kernels::KernelVariant* alt = kernels::findVariant(static_cast<kernels::OpCode>(op.opcode), a.variant);
      if (alt == nullptr) continue;
      if (alt->applies != nullptr &&
          !alt->applies(params(op), inSpan, std::span<const kernels::TensorType>(outSpan))) {
        continue;
      }
      const std::uint64_t altNeeds = alt->scratch ? alt->scratch(params(op), inSpan, outSpan) : 0;
      if (op.scratchBytes < altNeeds) {
        return bad(fmt::format("{} kernel '{}' needs {} bytes of scratch, the op has {}", info->name, alt->name,
                               altNeeds, op.scratchBytes));
      }
      if (chosen == nullptr && checkFor_ == CheckFor::kThisMachine && kernels::runsHere(*alt)) chosen = alt;
    }
    if (nextAlternative < alternatives_.size() && alternatives_[nextAlternative].op < k) {
      return fail(Errc::kCorrupt, "the variants section is not in op order");
    }
    if (chosen == nullptr) chosen = variant;
    if (checkFor_ == CheckFor::kThisMachine && !kernels::runsHere(*chosen)) {
      std::string why;
      for (std::size_t j = altBegin_[k]; j <= nextAlternative; ++j) {
        const kernels::KernelVariant* v =
            j < nextAlternative ? kernels::findVariant(static_cast<kernels::OpCode>(op.opcode), alternatives_[j].variant)
                                : variant;
        if (v == nullptr) continue;
        why += fmt::format("{}'{}' {}", why.empty() ? "" : ", ", v->name,
                           v->run == nullptr ? fmt::format("is not built for {}", kernels::compiledArch())
                                             : fmt::format("needs {}", isaNeeds(v->isa)));
      }
      return fail(Errc::kUnsupported,
                  fmt::format("no {} kernel of this op runs here: {} (this CPU: {})", info->name, why,
                              kernels::describe(kernels::cpuFeatures())));
    }
    chosen_[k] = chosen;
  }
  altBegin_[ops_.size()] = static_cast<std::uint32_t>(nextAlternative);
  if (nextAlternative != alternatives_.size()) {
    return makeError(Errc::kCorrupt, "{}: variant record {} names op {} of {}", src, nextAlternative,
                     alternatives_[nextAlternative].op, ops_.size());
  }

  // Bindings.
  std::size_t numOutputs = 0;
  for (std::size_t i = 0; i < bindings_.size(); ++i) {
    const BindingRecord& b = bindings_[i];
    if (b.name >= stringsBytes_ || b.tensor >= tensors_.size() ||
        (b.kind != model::BindingKind::kInput && b.kind != model::BindingKind::kOutput)) {
      return makeError(Errc::kCorrupt, "{}: binding {} is invalid", src, i);
    }
    if (b.kind == model::BindingKind::kInput && tensors_[b.tensor].storage != model::Storage::kArena) {
      return makeError(Errc::kCorrupt, "{}: input '{}' is not an arena tensor", src, string(b.name));
    }
    numOutputs += b.kind == model::BindingKind::kOutput;
  }
  if (numOutputs == 0) return makeError(Errc::kCorrupt, "{}: the model has no outputs", src);

  return validatePlan();
}

// The memory plan: arena tensors whose lifetimes overlap must not overlap in memory,
// except a legal alias (an op's output 0 placed exactly on its input 0 where the op allows
// it), and every arena tensor an op reads was written before (by an op or the caller).
Result<void> Model::validatePlan() const {
  const std::string& src = sourceName_;
  const std::size_t n = tensors_.size();
  const int kInput = -1;
  const int kNever = -2;
  std::vector<int> def(n, kNever);       // op that writes it; kInput for graph inputs
  std::vector<int> lastUse(n, kNever);
  std::vector<std::uint32_t> group(n);   // alias groups share memory
  for (std::uint32_t i = 0; i < n; ++i) group[i] = i;
  auto root = [&group](std::uint32_t t) {
    while (group[t] != t) t = group[t] = group[group[t]];
    return t;
  };

  for (const BindingRecord& b : bindings_) {
    if (b.kind == model::BindingKind::kInput) def[b.tensor] = kInput;
  }
  const int end = static_cast<int>(ops_.size());
  for (int k = 0; k < end; ++k) {
    const OpRecord& op = ops_[static_cast<std::size_t>(k)];
    for (std::uint32_t t : opInputs(op)) {
      if (t == model::kNoTensor || tensors_[t].storage != model::Storage::kArena) continue;
      if (def[t] == kNever) {
        return makeError(Errc::kCorrupt, "{}: op {} '{}' reads tensor '{}' before anything writes it",
                         src, k, string(op.name), string(tensors_[t].name));
      }
      lastUse[t] = k;
    }
    for (std::uint32_t t : opOutputs(op)) {
      if (def[t] != kNever) {
        return makeError(Errc::kCorrupt, "{}: tensor '{}' is written twice", src, string(tensors_[t].name));
      }
      def[t] = k;
    }
  }
  for (const BindingRecord& b : bindings_) {
    if (b.kind == model::BindingKind::kOutput && tensors_[b.tensor].storage == model::Storage::kArena) {
      if (def[b.tensor] == kNever) {
        return makeError(Errc::kCorrupt, "{}: output '{}' is never written", src, string(b.name));
      }
      lastUse[b.tensor] = end;
    }
  }

  // Legal aliases: output 0 exactly on an input the op allows (OpInfo::aliasInputs). They
  // join one memory group. An op that writes in place (everything but Reshape, a pure view)
  // must be the last reader of every earlier tensor in that group.
  std::vector<std::pair<int, std::uint32_t>> inPlace;  // (op, the input it overwrites)
  for (int k = 0; k < end; ++k) {
    const OpRecord& op = ops_[static_cast<std::size_t>(k)];
    const auto ins = opInputs(op);
    const TensorRecord& out = tensors_[opOutputs(op)[0]];
    const kernels::OpInfo* info = kernels::findOp(static_cast<kernels::OpCode>(op.opcode));
    for (std::size_t i = 0; i < ins.size() && i < 8; ++i) {
      if (!(info->aliasInputs & (1u << i)) || ins[i] == model::kNoTensor) continue;
      const TensorRecord& in = tensors_[ins[i]];
      // Same element type too: a bool result as large as a float input 4 times smaller is
      // a broadcast, which would overwrite elements it reads again.
      if (in.storage != model::Storage::kArena || in.offset != out.offset || in.bytes != out.bytes ||
          in.dtype != out.dtype) {
        continue;
      }
      group[root(opOutputs(op)[0])] = root(ins[i]);
      if (static_cast<kernels::OpCode>(op.opcode) != kernels::OpCode::kReshape) inPlace.emplace_back(k, ins[i]);
      break;
    }
  }
  for (const auto& [k, overwritten] : inPlace) {
    const OpRecord& op = ops_[static_cast<std::size_t>(k)];
    const std::uint32_t g = root(overwritten);
    for (std::uint32_t t = 0; t < n; ++t) {
      if (def[t] == kNever || def[t] >= k || lastUse[t] <= k || root(t) != g) continue;
      return makeError(Errc::kCorrupt, "{}: op {} '{}' overwrites '{}' in place, which is read later",
                       src, k, string(op.name), string(tensors_[t].name));
    }
  }

  struct Interval {
    std::uint64_t begin, end;  // bytes
    int first, last;           // op indices, inclusive
    std::uint32_t tensor;      // or kNoTensor for scratch
  };
  std::vector<Interval> live;
  std::vector<int> gFirst(n, end + 1), gLast(n, kNever);
  for (std::uint32_t t = 0; t < n; ++t) {
    if (tensors_[t].storage != model::Storage::kArena || def[t] == kNever) continue;
    const std::uint32_t g = root(t);
    gFirst[g] = std::min(gFirst[g], def[t]);
    gLast[g] = std::max({gLast[g], lastUse[t], def[t]});
  }
  for (std::uint32_t t = 0; t < n; ++t) {
    if (root(t) != t || gLast[t] == kNever) continue;
    const TensorRecord& r = tensors_[t];
    live.push_back({r.offset, r.offset + r.bytes, gFirst[t], gLast[t], t});
  }
  for (int k = 0; k < end; ++k) {
    const OpRecord& op = ops_[static_cast<std::size_t>(k)];
    if (op.scratchBytes > 0) live.push_back({op.scratchOffset, op.scratchOffset + op.scratchBytes, k, k, model::kNoTensor});
  }
  std::sort(live.begin(), live.end(), [](const Interval& a, const Interval& b) { return a.begin < b.begin; });
  for (std::size_t i = 0; i < live.size(); ++i) {
    for (std::size_t j = i + 1; j < live.size() && live[j].begin < live[i].end; ++j) {
      const Interval& a = live[i];
      const Interval& b = live[j];
      if (a.begin == a.end || b.begin == b.end) continue;  // empty tensors take no memory
      if (a.first <= b.last && b.first <= a.last) {
        auto label = [this](const Interval& x) {
          return x.tensor == model::kNoTensor ? std::string("op scratch")
                                              : fmt::format("'{}'", string(tensors_[x.tensor].name));
        };
        return makeError(Errc::kCorrupt, "{}: memory plan overlap: {} and {} share arena bytes while both live",
                         src, label(a), label(b));
      }
    }
  }
  return success();
}

}  // namespace edgert
