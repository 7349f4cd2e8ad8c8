// Tensors as kernels see them: an element type, a static shape, and a pointer into the
// arena or the weight section. Kernels borrow; they never own or allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

namespace edgert::kernels {

// Element types. The numbers are ONNX's TensorProto.DataType codes and are stored in the
// model image: never renumber.
enum class DType : std::uint8_t {
  kFloat32 = 1,
  kUint8 = 2,
  kInt8 = 3,
  kInt32 = 6,
  kInt64 = 7,
  kBool = 9,
};

// Size of one element in bytes; 0 for a value that is not a DType above.
std::size_t dtypeSize(DType dtype);
// "float32", "int64", ...; "invalid" for a value that is not a DType above.
std::string_view dtypeName(DType dtype);
bool isValidDType(std::uint8_t code);

inline constexpr int kMaxRank = 8;

struct Shape {
  std::int32_t rank = 0;
  std::int32_t reserved = 0;  // explicit: Shape is stored in parameter blocks, no hidden padding
  std::int64_t dims[kMaxRank] = {};

  static Shape of(std::initializer_list<std::int64_t> d) {
    Shape s;
    for (std::int64_t v : d) s.dims[s.rank++] = v;
    return s;
  }
  std::int64_t numel() const {
    std::int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= dims[i];
    return n;
  }
  std::span<const std::int64_t> span() const { return {dims, static_cast<std::size_t>(rank)}; }
  bool operator==(const Shape& o) const {
    if (rank != o.rank) return false;
    for (int i = 0; i < rank; ++i) {
      if (dims[i] != o.dims[i]) return false;
    }
    return true;
  }
};

struct TensorType {
  DType dtype = DType::kFloat32;
  Shape shape;
  std::size_t bytes() const { return static_cast<std::size_t>(shape.numel()) * dtypeSize(dtype); }
  bool operator==(const TensorType&) const = default;
};

// A kernel's input: read-only. data is nullptr for an absent optional input.
struct InTensor {
  const std::byte* data = nullptr;
  TensorType type;
  template <typename T>
  const T* as() const { return reinterpret_cast<const T*>(data); }
};

// A kernel's output. An output may alias input 0 only where the op allows it (OpInfo).
struct OutTensor {
  std::byte* data = nullptr;
  TensorType type;
  template <typename T>
  T* as() const { return reinterpret_cast<T*>(data); }
};

}  // namespace edgert::kernels
