// The field debugging snapshot: the current camera frame as a PNG with the detections drawn
// on it, so someone at the device can see what the model saw and what it made of it.
//
// Drawing, on an RGB canvas of the frame's size (kernels::convertToRgb24, so the colours are
// those pre-processing gave the model): a 2-pixel green outline of each region (the quad of
// a rotated text line, else the box) straddling its edges; each keypoint as a 3x3 red dot;
// then, over everything, each label: the text read (if any) and the score with 2 decimals
// ("LOT 4471 0.98", "0.91") in white on a black rectangle, above the box's top-left corner,
// below the box where there is no room above, kept inside the image and clipped at its
// edges. Glyphs are a 5x7 bitmap font for printable ASCII drawn at 2x from 640 pixels wide;
// any other code point (the recogniser reads Chinese too), control character or invalid
// UTF-8 byte is one hollow box. Coordinates may be anything a model produces (negative,
// huge, NaN): lines are clipped to the canvas, nothing is written outside it.
//
// Writing is atomic: a temporary file beside the snapshot (.snapshot.png.XXXXXX), fsync,
// rename over the old one, fsync of the directory. A reader sees the old snapshot or the new
// one, never part of one, and a failure removes the temporary file. The file is 0644
// whatever the umask, like the Prometheus file: the directory's permissions decide who may
// fetch it (camera images can be private).
//
// Memory: the canvas is allocated in create() and reused. A snapshot does allocate: libpng
// and zlib allocate inside, the PNG is encoded into a buffer that grows to the largest
// snapshot so far and is kept (memoryBytes() counts it), and write() returns the path as a
// new string. That is acceptable because snapshots are rare (on a signal or every N
// seconds), never per frame. libpng is opened with dlopen on the first snapshot
// (base/shared_library.hpp), not linked: the device binary starts without it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "edgert/base/image.hpp"
#include "edgert/base/result.hpp"
#include "edgert/runtime/postprocess.hpp"

namespace edgert::runtime {

class SnapshotWriter {
 public:
  static constexpr int kMaxSide = 16384;
  static constexpr const char* kFileName = "snapshot.png";

  // An RGB canvas for frames of width x height (1..kMaxSide each), allocated here once;
  // `directory` is where snapshots go (it must exist and be writable when write() is
  // called, not now).
  static Result<SnapshotWriter> create(int width, int height, std::string directory);

  // Converts `frame` into the canvas, draws every detection (source-image pixels), writes
  // `<directory>/snapshot.png` atomically and returns the path written. The frame must have
  // the size given to create() and an uncompressed format. Errors name the file and the
  // errno text; nothing half-written is ever left under the final name, and no temporary
  // file is left behind.
  Result<std::string> write(const ImageView& frame, std::span<const Detection> detections);

  int width() const { return width_; }
  int height() const { return height_; }
  // `<directory>/snapshot.png`.
  const std::string& path() const { return path_; }
  // The canvas as last drawn: width * height * 3 bytes, RGB.
  std::span<const std::uint8_t> canvas() const { return canvas_; }

  // Heap bytes held: the canvas, the PNG buffer (the largest snapshot so far) and the paths.
  std::size_t memoryBytes() const;

 private:
  SnapshotWriter() = default;

  Result<void> checkFrame(const ImageView& frame) const;
  void draw(std::span<const Detection> detections);
  Result<std::size_t> encodePng();
  Result<void> replaceFile(std::span<const std::uint8_t> bytes);

  int width_ = 0;
  int height_ = 0;
  int fontScale_ = 1;
  std::string directory_;
  std::string path_;         // <directory>/snapshot.png
  std::string tmpTemplate_;  // <directory>/.snapshot.png.XXXXXX, for mkostemp
  std::string tmpPath_;      // the temporary file of the write in progress
  std::vector<std::uint8_t> canvas_;
  std::vector<std::uint8_t> png_;
};

}  // namespace edgert::runtime
