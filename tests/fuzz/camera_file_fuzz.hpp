// Shared by the fuzz targets of the camera's file sources: the input written to a file of
// a given extension (the sources open paths and pick the format by extension), then
// started and read as the service reads a camera.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "edgert/hal/camera.hpp"

namespace edgert::fuzz {

inline std::string writeInput(const std::uint8_t* data, std::size_t size, const char* extension) {
  const char* dir = std::getenv("TMPDIR");
  const std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/edgert-fuzz-" +
                           std::to_string(::getpid()) + extension;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) std::abort();
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return path;
}

// Starts the source and takes up to `frames` frames; every frame must be the size the
// stream format says.
inline void readFrames(Result<std::unique_ptr<hal::FrameSource>> made, int frames) {
  if (!made) return;
  hal::FrameSource& source = **made;
  if (!source.start()) return;
  const hal::StreamFormat f = source.format();
  for (int i = 0; i < frames; ++i) {
    hal::Frame frame;
    if (source.waitFrame(std::chrono::milliseconds(0), frame) != hal::WaitStatus::kFrame) break;
    if (frame.image.width != f.width || frame.image.height != f.height) std::abort();
    source.release(frame);
  }
  source.stop();
}

}  // namespace edgert::fuzz
