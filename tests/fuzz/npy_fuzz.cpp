// libFuzzer target for .npy arrays (edgert infer --in, the model tests' references): any
// bytes give an array or a clean error; an array holds exactly its type's bytes and
// encodes back to a file that parses to the same array.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "edgert/runtime/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  edgert::Result<edgert::NpyArray> a = edgert::parseNpy(bytes, "fuzz.npy");
  if (!a) return 0;
  if (a->data.size() != a->type.bytes()) std::abort();
  const std::vector<std::byte> again = edgert::encodeNpy(a->type, a->data.data());
  edgert::Result<edgert::NpyArray> b = edgert::parseNpy(again, "again.npy");
  if (!b || b->data.size() != a->data.size() || !(b->type == a->type) ||
      (a->data.size() > 0 && std::memcmp(b->data.data(), a->data.data(), a->data.size()) != 0)) {
    std::abort();
  }
  return 0;
}
