#include "edgert/runtime/model_format.hpp"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack: no allocation
#include <xxhash.h>

#include <cstddef>

namespace edgert::model {

static_assert(offsetof(Header, checksum) == kChecksumOffset);

std::uint64_t computeChecksum(const std::byte* bytes, std::size_t size) {
  XXH3_state_t state;
  XXH3_INITSTATE(&state);
  XXH3_64bits_reset(&state);
  const std::size_t head = size < kChecksumOffset ? size : kChecksumOffset;
  XXH3_64bits_update(&state, bytes, head);
  if (size > kChecksumOffset) {
    const std::byte zeros[8] = {};
    const std::size_t n = size - kChecksumOffset < 8 ? size - kChecksumOffset : 8;
    XXH3_64bits_update(&state, zeros, n);
    if (size > kChecksumOffset + 8) {
      XXH3_64bits_update(&state, bytes + kChecksumOffset + 8, size - kChecksumOffset - 8);
    }
  }
  return XXH3_64bits_digest(&state);
}

}  // namespace edgert::model
