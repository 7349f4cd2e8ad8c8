// libFuzzer target for the TOML a device reads: board files (hal::parseBoard) and service
// configs (runtime::parseServiceConfig) through the strict schema reader. Any text must
// give a value or a clean error. Relative paths in a config resolve under a folder that
// does not exist, so nothing outside is read but what "auto" boards look for.
#include <cstdint>
#include <string_view>

#include "edgert/hal/board.hpp"
#include "edgert/runtime/service_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)edgert::hal::parseBoard(text, "fuzz-board.toml");
  (void)edgert::runtime::parseServiceConfig(text, "fuzz-service.toml", "/nonexistent/edgert-fuzz");
  return 0;
}
