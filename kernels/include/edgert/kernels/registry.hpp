// The op registry: every op and every kernel variant edgert has, listed explicitly in
// registry.cpp, one line each. No file shadowing, no silent fallback: the compiler picks a
// variant per node and records it in the image; the loader refuses an image that names a
// variant this build or this CPU does not have.
#pragma once

#include "edgert/base/result.hpp"
#include "edgert/kernels/ops.hpp"
#include "edgert/kernels/tensor.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace edgert::kernels {

// Checks an op's parameters and input types and computes its output types. The same
// function resolves shapes in the compiler and validates every op in the loader, so it
// must reject anything a kernel could not run safely: bad enum values, out-of-range
// sizes, axes or pads, wrong input count or dtype, shapes whose element count overflows.
// `params` holds exactly OpInfo::paramsBytes bytes, suitably aligned. An absent optional
// input has rank -1 in `inputs` (see kAbsentRank). Error messages name the problem and the
// values: "Conv: group 3 does not divide 16 input channels".
using InferFn = Result<void> (*)(const void* params, std::span<const TensorType> inputs,
                                 std::span<TensorType> outputs);

// Bytes of scratch memory a kernel variant needs for these validated types (planned in the
// arena by the compiler). nullptr: none.
using ScratchFn = std::uint64_t (*)(const void* params, std::span<const TensorType> inputs,
                                    std::span<const TensorType> outputs);

inline constexpr std::int32_t kAbsentRank = -1;

class WorkerPool;  // parallel.hpp

struct KernelArgs {
  const void* params = nullptr;
  std::span<const InTensor> inputs;    // absent optional inputs have data == nullptr
  std::span<const OutTensor> outputs;
  std::span<std::byte> scratch;        // ScratchFn's bytes, 64-byte aligned (worker 0's)
  // The threads a kernel may split its work over (parallel.hpp), each with its own copy of
  // the scratch (workerScratch). nullptr: run on the calling thread alone. Kernels that do
  // not split ignore it.
  WorkerPool* pool = nullptr;
  // What PrepareFn made when the engine started (StateFn's bytes, 64-byte aligned), or
  // empty: the variant asked for none, or the engine runs it unprepared (a kernel with a
  // state must also run without one, doing per call what preparing did once).
  std::span<const std::byte> state = {};
};

// Runs a kernel on validated arguments. Never allocates, never fails.
using KernelFn = void (*)(const KernelArgs& args);

// Whether a kernel variant handles these parameters and types, which `infer` has already
// validated (a fast variant covers some shapes only: a 1x1 conv, a 3x3 depthwise conv).
// The compiler picks only variants that apply; the loader refuses an image naming one that
// does not. nullptr: applies to everything `infer` accepts.
using AppliesFn = bool (*)(const void* params, std::span<const TensorType> inputs,
                           std::span<const TensorType> outputs);

// The kernel life cycle: a variant may prepare persistent state once, when an engine is
// created, and read it on every run (KernelArgs::state): weights pre-packed into the order
// its inner loop reads them on the CPU; uploaded buffers and built programs on a GPU. The
// engine sizes every op's state at start-up, allocates it once beside the arena (counted in
// the memory budget) and prepares it from the node's constant inputs.
//
// StateFn: the bytes of state for these validated types, 0 for none. Bit i of
// `constantInputs` is set when input i is a constant of the image (its weights); a variant
// asks for no state when what it would prepare from is not constant. nullptr: none.
using StateFn = std::uint64_t (*)(const void* params, std::span<const TensorType> inputs,
                                  std::span<const TensorType> outputs, std::uint32_t constantInputs);

struct PrepareArgs {
  const void* params = nullptr;
  // Only the constant inputs have data; the others have data == nullptr and their types.
  std::span<const InTensor> inputs;
  std::span<const TensorType> outputs;
  std::span<std::byte> state;  // StateFn's bytes, 64-byte aligned
};

// Fills the state. Never allocates, never fails (the loader has validated everything).
using PrepareFn = void (*)(const PrepareArgs& args);

struct OpInfo {
  OpCode code;
  std::string_view name;           // "Conv", "Binary", ...
  std::uint32_t paramsBytes;       // sizeof the parameter struct
  std::uint8_t minInputs;
  std::uint8_t maxInputs;
  std::uint8_t minOutputs;          // most ops: exactly 1; Split: 1..kMaxSplitOutputs
  std::uint8_t maxOutputs;
  // Bit i set: output 0 may be placed exactly on input i when both have the same size. The
  // kernel then reads element j of that input before it writes element j of the output:
  // elementwise ops (input 0, and both inputs of Binary), Conv (its residual, input 3);
  // Reshape's output is a view of its input.
  std::uint8_t aliasInputs;
  InferFn infer;
};

enum class Isa : std::uint8_t { kAny = 0, kAvx2 = 1, kAvx512 = 2, kNeon = 3, kNeonFp16 = 4 };

struct KernelVariant {
  OpCode code;
  std::uint16_t id;                // stored in the image; 0 is always the reference kernel
  std::string_view name;           // "ref", "avx2-direct", ...
  Isa isa;
  KernelFn run;                    // nullptr: listed for the compiler, not built for this CPU
  ScratchFn scratch;
  AppliesFn applies;
  StateFn state = nullptr;  // the life cycle above: both set, or neither
  PrepareFn prepare = nullptr;
};

// nullptr when the code is not an op of this build.
const OpInfo* findOp(OpCode code);
std::span<const OpInfo> allOps();

// nullptr when this build has no such variant.
const KernelVariant* findVariant(OpCode code, std::uint16_t id);
std::span<const KernelVariant> allVariants();

// The multiply-adds of one run of an op on these validated types: Conv, ConvTranspose,
// Gemm, MatMul and DepthwisePointwise (the products that dominate a network's arithmetic);
// 0 for every other op.
// Saturates at UINT64_MAX. Twice this is the op's FLOPs.
std::uint64_t multiplyAdds(OpCode code, const void* params, std::span<const TensorType> inputs,
                           std::span<const TensorType> outputs);

// This CPU has the features `isa` needs (cpuFeatures()).
bool isaAvailable(Isa isa);
// Built for this architecture and runnable on this CPU.
inline bool runsHere(const KernelVariant& v) { return v.run != nullptr && isaAvailable(v.isa); }

}  // namespace edgert::kernels
