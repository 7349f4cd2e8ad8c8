// NumPy .npy files (format 1.0-3.0, C order): inputs and outputs of `edgert infer`, and
// test data. Element types: float32, int8, uint8, int32, int64, bool (little-endian).
#pragma once

#include "edgert/base/result.hpp"
#include "edgert/kernels/tensor.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edgert {

struct NpyArray {
  kernels::TensorType type;
  std::vector<std::byte> data;  // type.bytes() bytes
};

Result<NpyArray> parseNpy(std::span<const std::byte> bytes, std::string_view sourceName);
Result<NpyArray> readNpy(const std::string& path);

std::vector<std::byte> encodeNpy(const kernels::TensorType& type, const std::byte* data);
Result<void> writeNpy(const std::string& path, const kernels::TensorType& type, const std::byte* data);

}  // namespace edgert
