// The kernel tests' harness: tensors owned by the test, run through the registry (the op's
// infer function, then its reference variant 0) exactly as the runtime would, and every kernel
// run checked to make no heap allocation. Two kinds of test tensor:
//   Tensor: float32 values in a std::vector<float> (the compute ops' tests);
//   Buffer: any element type as raw bytes (the elementwise and data-movement ops' tests).
// Header-only, but for the allocation counter in ref_harness_alloc.cpp.
#pragma once

#include "edgert/kernels/registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace edgert::kernels::test {

// --- Heap allocations ------------------------------------------------------------------

// Heap allocations this process has made so far: every form of global operator new, or in an
// AddressSanitizer build every allocation ASan serves (malloc too).
std::uint64_t heapAllocations();

// Makes one allocation and says whether heapAllocations() counted exactly that one: without
// it, a count of zero around a kernel run would prove nothing.
bool allocationCounterSeesAProbe();

// Runs a kernel variant; the test fails if the run allocates on the heap (kernels work in the
// arena they are given and never allocate).
inline void runWithoutAllocating(const KernelVariant& variant, const KernelArgs& args) {
  ASSERT_NE(variant.run, nullptr) << variant.name << " is not built for this CPU";
  ASSERT_TRUE(allocationCounterSeesAProbe()) << "the heap allocation counter missed a probe";
  const std::uint64_t before = heapAllocations();
  variant.run(args);
  const std::uint64_t allocations = heapAllocations() - before;
  const OpInfo* op = findOp(variant.code);
  EXPECT_EQ(allocations, 0u) << (op ? op->name : "unknown op") << " kernel " << variant.name
                             << " allocated on the heap";
}

// Runs op `code`'s reference kernel (variant 0) on `inputs` into `output`, allocation-checked.
inline void runReference(OpCode code, const void* params, std::span<const InTensor> inputs,
                         const OutTensor& output) {
  const KernelVariant* ref = findVariant(code, 0);
  ASSERT_NE(ref, nullptr) << "op " << static_cast<unsigned>(code) << " has no reference kernel";
  // The scratch it plans, if any (DepthwisePointwise's band of the intermediate).
  std::vector<std::byte> scratch;
  std::span<std::byte> scratchSpan;
  if (ref->scratch) {
    std::vector<TensorType> types;
    for (const InTensor& in : inputs) types.push_back(in.type);
    const std::uint64_t bytes = ref->scratch(params, types, std::span<const TensorType>(&output.type, 1));
    scratch.resize(static_cast<std::size_t>(bytes) + 64);
    const auto at = (64 - reinterpret_cast<std::uintptr_t>(scratch.data()) % 64) % 64;
    scratchSpan = std::span<std::byte>(scratch).subspan(at, static_cast<std::size_t>(bytes));
  }
  runWithoutAllocating(*ref, KernelArgs{params, inputs, std::span<const OutTensor>(&output, 1), scratchSpan});
}

// --- Types and infer -------------------------------------------------------------------

inline TensorType f32(std::initializer_list<std::int64_t> dims) {
  return TensorType{DType::kFloat32, Shape::of(dims)};
}

// An absent optional input.
inline TensorType absentType() {
  TensorType t;
  t.shape.rank = kAbsentRank;
  return t;
}

// Y's type, or the infer error.
inline Result<TensorType> inferOp(OpCode code, const void* params,
                                  std::vector<TensorType> inputs) {
  const OpInfo* op = findOp(code);
  if (op == nullptr) {
    return makeError(Errc::kInternal, "op {} not registered", static_cast<int>(code));
  }
  TensorType out[1];
  EDGERT_TRY(op->infer(params, inputs, std::span<TensorType>(out)));
  return out[0];
}

// "ok" (and Y's type in *outType) when the op's infer function accepts the inputs, else its
// error message.
inline std::string inferError(OpCode code, const void* params, std::vector<TensorType> inputs,
                              TensorType* outType = nullptr) {
  const Result<TensorType> y = inferOp(code, params, std::move(inputs));
  if (!y) return y.error().message();
  if (outType) *outType = *y;
  return "ok";
}

// --- Buffer: any element type --------------------------------------------------------------

struct Buffer {
  TensorType type;
  std::vector<std::byte> bytes;
};

template <typename T>
Buffer tensor(DType dtype, const Shape& shape, const std::vector<T>& values) {
  Buffer b{TensorType{dtype, shape}, std::vector<std::byte>(values.size() * sizeof(T))};
  EXPECT_EQ(b.bytes.size(), b.type.bytes()) << "test data does not match its shape";
  if (!values.empty()) std::memcpy(b.bytes.data(), values.data(), b.bytes.size());
  return b;
}

inline Buffer floats(const Shape& shape, const std::vector<float>& values) {
  return tensor(DType::kFloat32, shape, values);
}

template <typename T>
std::vector<T> valuesOf(const Buffer& b) {
  std::vector<T> v(b.bytes.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), b.bytes.data(), b.bytes.size());
  return v;
}

// first, first + 1, ... (n values).
template <typename T>
std::vector<T> iota(std::size_t n, T first) {
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<T>(first + static_cast<T>(i));
  return v;
}

// Where runOp has the kernel write Y: a buffer of its own (kOwnBuffer), or over input i's data
// (overInput(i)) as the planner may place it where the op's OpInfo::aliasInputs allows.
struct OutputPlacement {
  int aliasedInput = -1;
};
inline constexpr OutputPlacement kOwnBuffer{};
constexpr OutputPlacement overInput(int input) { return OutputPlacement{input}; }

// What Y holds before the kernel runs, so that an element it forgets to write shows: 0xEE
// bytes read as no value a test expects (-3.7e28 as float32, -286331154 as int32).
inline constexpr std::byte kUnwritten{0xEE};

// Infers Y, runs the reference kernel (allocation-checked) and returns Y. nullptr inputs are
// absent optional inputs. With overInput(i), Y starts as a copy of input i, and the kernel
// reads input i from that same memory: input i must have Y's size.
inline Buffer runOp(OpCode code, const void* params, const std::vector<const Buffer*>& inputs,
                    OutputPlacement placement = kOwnBuffer) {
  std::vector<TensorType> types;
  std::vector<InTensor> ins;
  for (const Buffer* b : inputs) {
    const TensorType type = b ? b->type : absentType();
    types.push_back(type);
    ins.push_back(InTensor{b ? b->bytes.data() : nullptr, type});
  }
  const Result<TensorType> yType = inferOp(code, params, types);
  if (!yType) {
    ADD_FAILURE() << yType.error().message();
    return {};
  }
  Buffer y{*yType, std::vector<std::byte>(yType->bytes(), kUnwritten)};
  if (const int i = placement.aliasedInput; i >= 0) {
    EXPECT_TRUE(findOp(code)->aliasInputs & (1u << i))
        << findOp(code)->name << " does not allow its output on input " << i;
    if (inputs[i] == nullptr || inputs[i]->bytes.size() != y.bytes.size()) {
      ADD_FAILURE() << "input " << i << " does not have the output's size";
      return {};
    }
    y.bytes = inputs[i]->bytes;
    ins[i].data = y.bytes.data();
  }
  runReference(code, params, ins, OutTensor{y.bytes.data(), *yType});
  return y;
}

// For ops with several outputs: infers `outputs` outputs, runs the reference kernel
// (allocation-checked, with the variant's scratch) and returns them.
inline std::vector<Buffer> runOpOutputs(OpCode code, const void* params, const std::vector<const Buffer*>& inputs,
                                        std::size_t outputs) {
  std::vector<TensorType> types;
  std::vector<InTensor> ins;
  for (const Buffer* b : inputs) {
    const TensorType type = b ? b->type : absentType();
    types.push_back(type);
    ins.push_back(InTensor{b ? b->bytes.data() : nullptr, type});
  }
  std::vector<TensorType> outTypes(outputs);
  const auto inferred = findOp(code)->infer(params, types, outTypes);
  if (!inferred) {
    ADD_FAILURE() << inferred.error().message();
    return {};
  }
  std::vector<Buffer> outs;
  for (const TensorType& t : outTypes) outs.push_back(Buffer{t, std::vector<std::byte>(t.bytes(), kUnwritten)});
  std::vector<OutTensor> outTensors;
  for (Buffer& b : outs) outTensors.push_back(OutTensor{b.bytes.data(), b.type});
  const KernelVariant& variant = *findVariant(code, 0);
  std::vector<std::byte> scratch(variant.scratch != nullptr ? variant.scratch(params, types, outTypes) : 0);
  KernelArgs args{params, ins, outTensors, scratch};
  runWithoutAllocating(variant, args);
  return outs;
}

// --- Tensor: float32 values ------------------------------------------------------------

struct Tensor {
  Shape shape;
  std::vector<float> data;
};

// Zeros when data is empty.
inline Tensor tensor(std::initializer_list<std::int64_t> dims, std::vector<float> data = {}) {
  Tensor t{Shape::of(dims), std::move(data)};
  if (t.data.empty()) t.data.resize(static_cast<std::size_t>(t.shape.numel()));
  EXPECT_EQ(t.data.size(), static_cast<std::size_t>(t.shape.numel()));
  return t;
}

// Uniform in [-1, 1).
inline Tensor randomTensor(const Shape& shape, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor t{shape, std::vector<float>(static_cast<std::size_t>(shape.numel()))};
  for (float& v : t.data) v = dist(rng);
  return t;
}

// 1, 2, 3, ... in memory order.
inline Tensor iota(std::initializer_list<std::int64_t> dims) {
  Tensor t = tensor(dims);
  for (std::size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>(i + 1);
  return t;
}

// runOp on float32 tensors. (An initializer_list, not a vector: {&x, &w} would also match
// vector<const Buffer*>'s iterator-pair constructor and make calls ambiguous.)
inline Tensor runOp(OpCode code, const void* params, std::initializer_list<const Tensor*> inputs,
                    OutputPlacement placement = kOwnBuffer) {
  std::vector<Buffer> buffers;
  buffers.reserve(inputs.size());  // the pointers below must stay valid
  std::vector<const Buffer*> pointers;
  for (const Tensor* t : inputs) {
    if (t) buffers.push_back(floats(t->shape, t->data));
    pointers.push_back(t ? &buffers.back() : nullptr);
  }
  const Buffer y = runOp(code, params, pointers, placement);
  return Tensor{y.type.shape, valuesOf<float>(y)};
}

// |got - want| <= abs + rel * |want| element by element, NaN only where NaN is expected.
inline void expectClose(const std::vector<float>& got, const std::vector<float>& want,
                        double rel = 1e-5, double abs = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i << ": got " << got[i] << ", want NaN";
      continue;
    }
    if (std::isinf(want[i])) {
      EXPECT_EQ(got[i], want[i]) << "at " << i;
      continue;
    }
    const double tolerance = abs + rel * std::fabs(double{want[i]});
    EXPECT_LE(std::fabs(double{got[i]} - double{want[i]}), tolerance)
        << "at " << i << ": got " << got[i] << ", want " << want[i];
  }
}

}  // namespace edgert::kernels::test
