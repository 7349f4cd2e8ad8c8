// Numpy broadcasting for the reference kernels (Binary, Where, Expand): walks an output
// shape in order and gives, for each element, the element offset in each input.
#pragma once

#include "edgert/kernels/tensor.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace edgert::kernels::ref {

// Element strides of `shape` once right-aligned to `rank` dims, 0 along broadcast dims.
inline void broadcastStrides(const Shape& shape, int rank, std::int64_t (&strides)[kMaxRank]) {
  const int offset = rank - shape.rank;
  std::int64_t stride = 1;
  for (int i = rank - 1; i >= 0; --i) {
    const int own = i - offset;
    const std::int64_t dim = own >= 0 ? shape.dims[own] : 1;
    strides[i] = dim == 1 ? 0 : stride;
    stride *= dim;
  }
}

// Calls f(i, offsets) for every output element i in order, offsets[k] the element of
// inputs[k] that broadcasts to it. The inputs' shapes broadcast to `out` (checked by infer).
template <std::size_t N, typename F>
void forEachBroadcast(const std::array<const Shape*, N>& inputs, const Shape& out, F&& f) {
  std::int64_t strides[N][kMaxRank] = {};
  for (std::size_t k = 0; k < N; ++k) broadcastStrides(*inputs[k], out.rank, strides[k]);
  const std::int64_t n = out.numel();
  std::int64_t coord[kMaxRank] = {};
  std::array<std::int64_t, N> offsets{};
  for (std::int64_t i = 0; i < n; ++i) {
    f(i, static_cast<const std::array<std::int64_t, N>&>(offsets));
    // Next coordinate, last axis fastest; the offsets follow it.
    for (int d = out.rank - 1; d >= 0; --d) {
      if (++coord[d] < out.dims[d]) {
        for (std::size_t k = 0; k < N; ++k) offsets[k] += strides[k][d];
        break;
      }
      for (std::size_t k = 0; k < N; ++k) offsets[k] -= strides[k][d] * (out.dims[d] - 1);
      coord[d] = 0;
    }
  }
}

}  // namespace edgert::kernels::ref
