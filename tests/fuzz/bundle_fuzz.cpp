// libFuzzer target for the bundle reader: any bytes given as a bundle must give a clean
// refusal (or, for inspect, a manifest), never a crash, a hang or a leak. Each input is
// read twice, as `edgert-bundle inspect` does (no key) and as `edgert update install`
// does (against a fixed trusted key, so mutations of the signature path run too).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#include "edgert/runtime/update/bundle.hpp"

namespace {

class Discard final : public edgert::update::BundleConsumer {
 public:
  edgert::Result<void> accept(const edgert::update::BundleManifest&, std::span<const std::byte>,
                              std::span<const std::byte>, const edgert::update::PublicKey&) override {
    return edgert::success();
  }
  edgert::Result<void> beginPayload(const edgert::update::PayloadEntry&) override { return edgert::success(); }
  edgert::Result<void> payloadData(std::span<const std::byte>) override { return edgert::success(); }
  edgert::Result<void> endPayload(const edgert::update::PayloadEntry&) override { return edgert::success(); }
};

int memoryFile(const std::uint8_t* data, std::size_t size) {
  const int fd = ::memfd_create("bundle", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  if (size > 0 && ::write(fd, data, size) != static_cast<ssize_t>(size)) std::abort();
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  edgert::update::BundleLimits limits;
  limits.maxPayloadBytes = 1 << 20;
  limits.maxTotalBytes = 2 << 20;
  int fd = memoryFile(data, size);
  (void)edgert::update::inspectBundle(fd, "fuzz", limits);
  ::close(fd);

  static const edgert::update::Keyring keys = [] {
    edgert::update::Keyring k;
    edgert::update::PublicKey key;
    for (std::size_t i = 0; i < key.raw.size(); ++i) key.raw[i] = static_cast<std::uint8_t>(i * 37 + 11);
    key.id = "fuzz";
    k.trusted.push_back(key);
    k.source = "fuzz";
    return k;
  }();
  fd = memoryFile(data, size);
  Discard discard;
  (void)edgert::update::readBundle(fd, "fuzz", keys, limits, discard);
  ::close(fd);
  return 0;
}
