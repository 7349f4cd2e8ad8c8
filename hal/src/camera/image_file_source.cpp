// A still image (PNG through libpng, JPEG through libjpeg-turbo) replayed as a stream: it is
// decoded once to RGB24 at its own size in start(), and every frame is a read-only view of
// that one buffer, paced at config.fps (or as fast as taken). libpng is opened with dlopen
// for the first PNG (base/shared_library.hpp), not linked: with zlib it cost 0.65 ms of
// every edgert start.
#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "camera_util.hpp"
#include "edgert/base/shared_library.hpp"
#include "edgert/hal/camera.hpp"

// After <cstdio>: jpeglib.h uses FILE and size_t without including their headers.
#include <jpeglib.h>
#include <png.h>

namespace edgert::hal {

namespace {

constexpr int kMaxSide = 16384;

struct Decoded {
  std::vector<std::uint8_t> rgb;
  int width = 0;
  int height = 0;
};

// libpng's simplified API, the library opened on first use (thread-safe; it stays open):
// the soname of the headers built against.
static_assert(PNG_LIBPNG_VER_SONUM == 16, "libpng16.so.16 below is the ABI of these headers");
struct PngLibrary {
  decltype(&::png_image_begin_read_from_file) beginRead = nullptr;
  decltype(&::png_image_finish_read) finishRead = nullptr;
  decltype(&::png_image_free) free = nullptr;
  bool ok = false;
  std::string error;  // why not, when !ok
};

const PngLibrary& libpng() {
  static const PngLibrary lib = [] {
    constexpr const char* kSoname = "libpng16.so.16";
    PngLibrary l;
    void* handle = dl::open(kSoname, l.error);
    if (handle == nullptr) return l;
    l.ok = dl::bind(handle, kSoname, "png_image_begin_read_from_file", l.beginRead, l.error);
    l.ok = dl::bind(handle, kSoname, "png_image_finish_read", l.finishRead, l.error) && l.ok;
    l.ok = dl::bind(handle, kSoname, "png_image_free", l.free, l.error) && l.ok;
    return l;
  }();
  return lib;
}

Result<Decoded> decodePng(const std::string& path) {
  const PngLibrary& png = libpng();
  if (!png.ok) return makeError(Errc::kUnsupported, "image {}: {}", path, png.error);
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (png.beginRead(&image, path.c_str()) == 0) {
    return makeError(Errc::kParse, "image {}: not a readable PNG: {}", path, image.message);
  }
  if (image.width == 0 || image.height == 0 || image.width > kMaxSide || image.height > kMaxSide) {
    png.free(&image);
    return makeError(Errc::kUnsupported, "image {}: {}x{} outside 1..{} per side", path,
                     image.width, image.height, kMaxSide);
  }
  image.format = PNG_FORMAT_RGB;  // alpha is composited onto black, grey expanded
  Decoded out;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.rgb.resize(PNG_IMAGE_SIZE(image));
  if (png.finishRead(&image, nullptr, out.rgb.data(), 0, nullptr) == 0) {
    return makeError(Errc::kParse, "image {}: PNG decoding failed: {}", path, image.message);
  }
  return out;
}

// libjpeg reports errors by calling error_exit, which must not return: it jumps back here.
struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void onJpegError(j_common_ptr info) {
  auto* err = reinterpret_cast<JpegError*>(info->err);
  (*info->err->format_message)(info, err->message);
  std::longjmp(err->jump, 1);
}

// Plain C data only between setjmp and longjmp (no destructors are skipped); `out` is
// allocated before decoding starts.
bool decodeJpegInto(std::FILE* file, JpegError& err, Decoded& out, bool sizeOnly) {
  jpeg_decompress_struct info{};
  info.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = onJpegError;
  if (setjmp(err.jump) != 0) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_stdio_src(&info, file);
  jpeg_read_header(&info, TRUE);
  info.out_color_space = JCS_RGB;
  if (sizeOnly) {
    out.width = static_cast<int>(info.image_width);
    out.height = static_cast<int>(info.image_height);
    jpeg_destroy_decompress(&info);
    return true;
  }
  jpeg_start_decompress(&info);
  const std::size_t stride = static_cast<std::size_t>(out.width) * 3;
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = out.rgb.data() + info.output_scanline * stride;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

Result<Decoded> decodeJpeg(const std::string& path) {
  Decoded out;
  JpegError err{};
  for (const bool sizeOnly : {true, false}) {
    std::FILE* file = std::fopen(path.c_str(), "rbe");
    if (file == nullptr) {
      const int e = errno;
      return Error::fromErrno(e, fmt::format("image {}: open", path));
    }
    const bool ok = decodeJpegInto(file, err, out, sizeOnly);
    std::fclose(file);
    if (!ok) return makeError(Errc::kParse, "image {}: not a readable JPEG: {}", path, err.message);
    if (sizeOnly) {
      if (out.width <= 0 || out.height <= 0 || out.width > kMaxSide || out.height > kMaxSide) {
        return makeError(Errc::kUnsupported, "image {}: {}x{} outside 1..{} per side", path,
                         out.width, out.height, kMaxSide);
      }
      out.rgb.resize(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height) * 3);
    }
  }
  return out;
}

class ImageFileSource final : public FrameSource {
 public:
  explicit ImageFileSource(const CameraConfig& config) : config_(config) {
    describe_ = config.source;
  }

  Result<void> start() override {
    Result<Decoded> decoded = hasExtension(config_.source, ".png") ? decodePng(config_.source)
                                                               : decodeJpeg(config_.source);
    if (!decoded) return std::move(decoded).error();
    image_ = std::move(decoded).value();
    format_ = StreamFormat{PixelFormat::kRgb24, PixelFormat::kRgb24, image_.width, image_.height,
                           config_.realtime ? static_cast<double>(config_.fps) : 0.0,
                           std::max(config_.buffers, 2)};
    describe_ = fmt::format("{} ({}x{} RGB24)", config_.source, image_.width, image_.height);
    pacer_.setRate(format_.fps);
    return success();
  }

  WaitStatus waitFrame(std::chrono::milliseconds timeout, Frame& frame) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    if (image_.rgb.empty() || !pacer_.waitForNext(deadline)) {
      if (image_.rgb.empty()) sleepUntil(deadline);
      return WaitStatus::kTimeout;
    }
    pacer_.advance();
    frame.image = packedImageView(PixelFormat::kRgb24, image_.width, image_.height, image_.rgb.data());
    frame.sequence = sequence_++;
    frame.timestampNs = monotonicNowNs();
    frame.dmabufFd = -1;
    frame.slot = 0;
    ++stats_.frames;
    return WaitStatus::kFrame;
  }

  void release(const Frame&) override {}
  void stop() override { image_ = {}; }

  const StreamFormat& format() const override { return format_; }
  const CameraStats& stats() const override { return stats_; }
  std::string_view describe() const override { return describe_; }
  std::string_view lastError() const override { return {}; }

 private:
  CameraConfig config_;
  std::string describe_;
  StreamFormat format_;
  CameraStats stats_;
  Decoded image_;
  std::uint64_t sequence_ = 0;
  FramePacer pacer_;
};

}  // namespace

bool isImageFilePath(std::string_view path) {
  return hasExtension(path, ".png") || hasExtension(path, ".jpg") || hasExtension(path, ".jpeg");
}

Result<std::unique_ptr<FrameSource>> makeImageFileSource(const CameraConfig& config) {
  if (!isImageFilePath(config.source)) {
    return makeError(Errc::kInvalidArgument,
                     "camera source {}: a still image must end in .png, .jpg or .jpeg",
                     config.source);
  }
  CameraConfig checked = config;
  checked.format = PixelFormat::kRgb24;  // the image's own format, whatever the board says
  EDGERT_TRY(checkCameraConfig(checked));
  return std::unique_ptr<FrameSource>(std::make_unique<ImageFileSource>(checked));
}

}  // namespace edgert::hal
