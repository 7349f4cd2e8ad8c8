// libFuzzer target for the bundle manifest parser: any text must give a manifest or a
// clean error; a manifest that parses must write back (formatBundleManifest) to text that
// parses to the same manifest.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "edgert/runtime/update/bundle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  edgert::Result<edgert::update::BundleManifest> m = edgert::update::parseBundleManifest(text, "fuzz");
  if (!m) return 0;
  const std::string again = edgert::update::formatBundleManifest(*m);
  edgert::Result<edgert::update::BundleManifest> m2 = edgert::update::parseBundleManifest(again, "fuzz");
  if (!m2 || edgert::update::formatBundleManifest(*m2) != again) std::abort();
  return 0;
}
