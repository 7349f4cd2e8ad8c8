// libFuzzer target for video files replayed as a camera (YUV4MPEG2, and raw YUYV/NV12
// frames of a configured size): any bytes give whole frames of the size the source reports,
// or a clean error. The first byte picks the format and, for raw files, the frame size.
#include "camera_file_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t pick = data[0];
  const char* extension = (pick & 3) == 0 ? ".yuyv" : (pick & 3) == 1 ? ".nv12" : ".y4m";
  const std::string path = edgert::fuzz::writeInput(data + 1, size - 1, extension);
  edgert::hal::CameraConfig config;
  config.source = path;
  config.width = 2 * (1 + ((pick >> 2) & 7));  // 2..16
  config.height = 2 * (1 + ((pick >> 5) & 7));
  config.realtime = false;
  config.loop = (pick & 0x80) != 0;
  edgert::fuzz::readFrames(edgert::hal::makeVideoFileSource(config), 4);
  return 0;
}
