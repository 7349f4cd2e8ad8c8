// libFuzzer target for still images replayed as a camera (PNG through libpng, JPEG through
// libjpeg, behind hal's image file source): any bytes give frames of the size the source
// reports, or a clean error. The first byte picks the extension.
#include "camera_file_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string path = edgert::fuzz::writeInput(data + 1, size - 1, (data[0] & 1) ? ".jpg" : ".png");
  edgert::hal::CameraConfig config;
  config.source = path;
  config.realtime = false;
  config.loop = false;
  edgert::fuzz::readFrames(edgert::hal::makeImageFileSource(config), 2);
  return 0;
}
