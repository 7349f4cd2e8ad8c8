// libFuzzer target for the model loader: any bytes given to Model::fromBytes must give a
// clean error or a model that runs. The harness recomputes the checksum before loading,
// so mutations get past it to the structural checks (a corrupt file with a right checksum
// is exactly what a buggy or hostile compiler would produce). A model that loads is run
// once, so the kernels are fuzzed through the parameters the infer functions let through.
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/model.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Model::fromBytes wants 64-byte aligned memory, as an mmap gives.
  auto* buf = static_cast<std::byte*>(std::aligned_alloc(64, (size + 63) / 64 * 64 + 64));
  std::memcpy(buf, data, size);
  if (size >= sizeof(edgert::model::Header)) {
    const std::uint64_t sum = edgert::model::computeChecksum(buf, size);
    std::memcpy(buf + edgert::model::kChecksumOffset, &sum, sizeof sum);
  }
  auto model = edgert::Model::fromBytes({buf, size}, "fuzz");
  // A valid image may ask for any arena size and, through its kernels' prepared state (many
  // ops on one weight tensor), any amount of state; the service checks both against the
  // memory budget before creating an engine, and so does this harness (16 MiB each).
  if (model.ok() && model->header().arenaBytes <= (16u << 20) &&
      edgert::Engine::stateBytesFor(*model) <= (16u << 20)) {
    auto engine = edgert::Engine::create(*model);
    if (!engine.ok()) std::abort();  // 16 MiB of arena and of state must be granted
    (*engine)->invoke();
  }
  std::free(buf);
  return 0;
}
