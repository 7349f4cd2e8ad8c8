// The edgert model image (.edgm): one flat, checksummed, mmap-able file that carries a
// compiled network and its static memory plan. Written by edgert-compile on a host
// (toolchain/compiler/image_writer.cpp), read in place by the device (runtime/src/model/).
// The format is specified in runtime/MODEL_FORMAT.md; this header is its C++ form.
//
// All integers are little-endian; every offset is from the start of the file unless said
// otherwise. Records are plain structs read in place, so their sizes are fixed here.
#pragma once

#include "edgert/kernels/tensor.hpp"

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace edgert::model {

inline constexpr char kMagic[8] = {'E', 'D', 'G', 'E', 'R', 'T', 'M', '\0'};
// The version the writer gives an image with kernel alternatives (a variants section). An
// image without them is written as version 2, which devices before version 3 still read.
inline constexpr std::uint32_t kFormatVersion = 3;
inline constexpr std::uint32_t kOldestFormatVersion = 2;  // the oldest this loader reads
inline constexpr std::uint32_t kNoTensor = 0xFFFFFFFFu;  // an absent optional op input
inline constexpr std::uint64_t kArenaAlignment = 64;     // every arena buffer
inline constexpr std::uint64_t kWeightAlignment = 64;    // the weight section and each weight

// Which CPU the op records' own kernel variants need. kAny: reference kernels (a version-3
// image may add fast alternatives per op, VariantRecord); kX86_64: AVX2 + FMA;
// kX86_64Avx512: AVX2 + FMA and AVX-512 (F, BW, VL); kAarch64: NEON.
enum class Target : std::uint32_t { kAny = 0, kX86_64 = 1, kAarch64 = 2, kX86_64Avx512 = 3 };

// The name edgert-compile --target takes for a target, and "unknown" for any other value.
constexpr const char* targetName(Target t) {
  switch (t) {
    case Target::kAny: return "any";
    case Target::kX86_64: return "x86_64";
    case Target::kAarch64: return "aarch64";
    case Target::kX86_64Avx512: return "x86_64-avx512";
  }
  return "unknown";
}

// The architecture whose kernels an image for `t` runs ("" for kAny).
constexpr const char* targetArch(Target t) {
  switch (t) {
    case Target::kX86_64:
    case Target::kX86_64Avx512: return "x86_64";
    case Target::kAarch64: return "aarch64";
    default: return "";
  }
}

struct Section {
  std::uint64_t offset = 0;
  std::uint64_t bytes = 0;
};

struct Header {
  char magic[8];
  std::uint32_t formatVersion;
  std::uint32_t headerBytes;       // sizeof(Header)
  std::uint64_t fileBytes;         // the whole file
  std::uint64_t checksum;          // XXH3-64 of the whole file with this field read as 0
  Target target;
  std::uint32_t flags;             // none defined: must be 0
  std::uint64_t arenaBytes;        // the static memory plan's size
  std::uint64_t arenaLowerBound;   // largest total of simultaneously live bytes (for reports)
  Section strings;                 // NUL-terminated names; the section ends with a NUL
  Section tensors;                 // TensorRecord[]
  Section ops;                     // OpRecord[], in execution order
  Section indices;                 // std::uint32_t[]: op inputs then outputs, kNoTensor = absent
  Section params;                  // op parameter blocks, each 8-byte aligned
  Section bindings;                // BindingRecord[]: graph inputs, then graph outputs
  Section weights;                 // constant tensors, 64-byte aligned
  Section variants;                // VariantRecord[] (version 3); zero in version 2
  std::uint8_t reserved[16];       // zero
};

enum class Storage : std::uint8_t {
  kArena = 0,   // offset into the arena (activations, graph inputs and outputs)
  kWeight = 1,  // offset into the weight section (constants)
};

struct TensorRecord {
  std::uint32_t name;              // offset into the string section
  kernels::DType dtype;
  Storage storage;
  std::uint8_t layout;             // 0: plain row-major; others: pre-packed for a variant
  std::uint8_t reserved;
  std::int32_t rank;
  std::int32_t reserved2;
  std::int64_t dims[kernels::kMaxRank];
  std::uint64_t offset;            // in the arena or the weight section, per storage
  std::uint64_t bytes;             // numel * element size
};

struct OpRecord {
  std::uint16_t opcode;            // kernels::OpCode
  std::uint16_t variant;           // kernels::KernelVariant::id
  std::uint32_t name;              // offset into the string section
  std::uint32_t firstIndex;        // into the index section
  std::uint16_t numInputs;
  std::uint16_t numOutputs;
  std::uint32_t paramsOffset;      // relative to the params section, 8-byte aligned
  std::uint32_t paramsBytes;       // == OpInfo::paramsBytes
  std::uint64_t scratchOffset;     // in the arena
  std::uint64_t scratchBytes;      // 0: no scratch
};

// One more kernel variant an op may run where this CPU has its features: an image for a
// mixed fleet names, per op, the fast variants of several instruction sets, best first,
// after the op record's own (the base, which needs the header's target). The loader runs the
// first alternative this CPU runs, else the base. Records are in op order.
struct VariantRecord {
  std::uint32_t op;                // index into the op table
  std::uint16_t variant;           // kernels::KernelVariant::id, of that op's opcode
  std::uint16_t reserved;          // zero
};

enum class BindingKind : std::uint8_t { kInput = 0, kOutput = 1 };

struct BindingRecord {
  std::uint32_t name;              // offset into the string section
  std::uint32_t tensor;            // index into the tensor table
  BindingKind kind;
  std::uint8_t reserved[7];
};

static_assert(sizeof(Header) == 200);
static_assert(sizeof(TensorRecord) == 96);
static_assert(sizeof(OpRecord) == 40);
static_assert(sizeof(BindingRecord) == 16);
static_assert(sizeof(VariantRecord) == 8);
static_assert(std::is_trivially_copyable_v<Header> && std::is_standard_layout_v<Header>);
static_assert(std::is_trivially_copyable_v<TensorRecord>);
static_assert(std::is_trivially_copyable_v<OpRecord>);
static_assert(std::is_trivially_copyable_v<BindingRecord>);
static_assert(std::is_trivially_copyable_v<VariantRecord>);

// The byte offset of Header::checksum, which the checksum treats as zero.
inline constexpr std::size_t kChecksumOffset = 24;

// XXH3-64 over `bytes` (a whole image) with the 8 checksum bytes taken as zero.
std::uint64_t computeChecksum(const std::byte* bytes, std::size_t size);

}  // namespace edgert::model
