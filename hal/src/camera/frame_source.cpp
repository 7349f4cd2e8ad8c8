// Which source a configuration names, and the board file's camera section as a config.
#include "camera_util.hpp"
#include "edgert/hal/camera.hpp"

namespace edgert::hal {

std::string_view waitStatusName(WaitStatus status) {
  switch (status) {
    case WaitStatus::kFrame: return "frame";
    case WaitStatus::kTimeout: return "timeout";
    case WaitStatus::kLost: return "lost";
    case WaitStatus::kEnded: return "ended";
  }
  return "invalid";
}

CameraConfig cameraConfigFromBoard(const Board::Camera& camera) {
  CameraConfig config;
  config.source = camera.source;
  config.width = camera.width;
  config.height = camera.height;
  config.fps = camera.fps;
  config.format = camera.format;
  config.buffers = camera.buffers;
  return config;
}

Result<std::unique_ptr<FrameSource>> makeFrameSource(const CameraConfig& config) {
  const std::string_view source = config.source;
  if (source.substr(0, 9) == "synthetic") return makeSyntheticSource(config);
  if (isImageFilePath(source)) return makeImageFileSource(config);
  if (isVideoFilePath(source)) return makeVideoFileSource(config);
  return makeV4l2Camera(config);
}

}  // namespace edgert::hal
