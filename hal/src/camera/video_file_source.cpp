// Video files replayed as a camera: YUV4MPEG2 (.y4m: 4:2:0 delivered as NV12, 4:2:2 as YUYV,
// mono as GREY) and raw frames of one format back to back (.yuyv, .nv12, .grey, .rgb; size
// from the configuration). start() checks the whole file (every Y4M frame header, a raw
// file's size) so that a truncated recording is refused up front with the frame and byte
// where it breaks; frames are then read with pread into slots created at start, at the
// file's rate (or as fast as taken), looping or ending at the end.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <vector>

#include "camera_util.hpp"
#include "edgert/hal/camera.hpp"

namespace edgert::hal {

namespace {

constexpr int kMaxSlots = 32;
constexpr std::size_t kMaxHeaderBytes = 1024;

enum class Layout : std::uint8_t {
  kPacked,      // the file holds the frame as handed out
  kI420ToNv12,  // Y plane, U plane, V plane -> Y plane, interleaved U V
  kI422ToYuyv,  // Y plane, U plane, V plane at half width -> Y0 U Y1 V
};

struct VideoFormat {
  PixelFormat format = PixelFormat::kNv12;
  Layout layout = Layout::kPacked;
  int width = 0;
  int height = 0;
  double fps = 0;
  std::size_t fileFrameBytes = 0;  // one frame's payload in the file
};

std::optional<PixelFormat> rawFormatOf(std::string_view path) {
  if (hasExtension(path, ".yuyv")) return PixelFormat::kYuyv;
  if (hasExtension(path, ".nv12")) return PixelFormat::kNv12;
  if (hasExtension(path, ".grey") || hasExtension(path, ".gray")) return PixelFormat::kGrey;
  if (hasExtension(path, ".rgb")) return PixelFormat::kRgb24;
  return std::nullopt;
}

template <typename T>
bool parseNumber(std::string_view text, T& out) {
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

// "YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg": the stream header's parameters.
Result<VideoFormat> parseY4mHeader(std::string_view line, const std::string& path) {
  VideoFormat v;
  std::string_view colour = "420jpeg";
  std::size_t pos = line.find(' ');
  while (pos != std::string_view::npos) {
    const std::size_t next = line.find(' ', pos + 1);
    const std::string_view token =
        line.substr(pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
    pos = next;
    if (token.empty()) continue;
    const std::string_view value = token.substr(1);
    switch (token[0]) {
      case 'W':
        if (!parseNumber(value, v.width)) return makeError(Errc::kParse, "{}: bad Y4M width \"{}\"", path, token);
        break;
      case 'H':
        if (!parseNumber(value, v.height)) return makeError(Errc::kParse, "{}: bad Y4M height \"{}\"", path, token);
        break;
      case 'F': {
        const std::size_t colon = value.find(':');
        std::int64_t num = 0, den = 0;
        if (colon == std::string_view::npos || !parseNumber(value.substr(0, colon), num) ||
            !parseNumber(value.substr(colon + 1), den) || num < 0 || den <= 0) {
          return makeError(Errc::kParse, "{}: bad Y4M frame rate \"{}\"", path, token);
        }
        v.fps = static_cast<double>(num) / static_cast<double>(den);
        break;
      }
      case 'C': colour = value; break;
      default: break;  // interlacing, aspect ratio and X comments do not change the bytes
    }
  }
  if (v.width <= 0 || v.height <= 0 || v.width > 16384 || v.height > 16384) {
    return makeError(Errc::kParse, "{}: Y4M size {}x{} missing or outside 1..16384", path,
                     v.width, v.height);
  }
  const auto w = static_cast<std::size_t>(v.width);
  const auto h = static_cast<std::size_t>(v.height);
  if (colour == "420jpeg" || colour == "420paldv" || colour == "420mpeg2" || colour == "420") {
    v.format = PixelFormat::kNv12;
    v.layout = Layout::kI420ToNv12;
    if (v.width % 2 != 0 || v.height % 2 != 0) {
      return makeError(Errc::kUnsupported, "{}: 4:2:0 video needs even sizes, not {}x{}", path,
                       v.width, v.height);
    }
    v.fileFrameBytes = w * h * 3 / 2;
  } else if (colour == "422") {
    v.format = PixelFormat::kYuyv;
    v.layout = Layout::kI422ToYuyv;
    if (v.width % 2 != 0) {
      return makeError(Errc::kUnsupported, "{}: 4:2:2 video needs an even width, not {}", path, v.width);
    }
    v.fileFrameBytes = w * h * 2;
  } else if (colour == "mono") {
    v.format = PixelFormat::kGrey;
    v.fileFrameBytes = w * h;
  } else {
    return makeError(Errc::kUnsupported,
                     "{}: Y4M colour space C{} is not supported (420jpeg, 420paldv, 420mpeg2, "
                     "420, 422, mono are)",
                     path, colour);
  }
  return v;
}

class VideoFileSource final : public FrameSource {
 public:
  explicit VideoFileSource(const CameraConfig& config) : config_(config) {
    describe_ = config.source;
  }
  ~VideoFileSource() override { closeFile(); }

  Result<void> start() override {
    closeFile();
    fd_ = ::open(config_.source.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      const int err = errno;
      return Error::fromErrno(err, fmt::format("video {}: open", config_.source));
    }
    struct stat st {};
    if (::fstat(fd_, &st) < 0 || !S_ISREG(st.st_mode)) {
      closeFile();
      return makeError(Errc::kInvalidArgument, "video {}: not a regular file", config_.source);
    }
    Result<void> indexed = rawFormatOf(config_.source) ? indexRaw(st.st_size) : indexY4m(st.st_size);
    if (!indexed) {
      closeFile();
      return indexed;
    }
    const int slots = std::clamp(config_.buffers, 2, kMaxSlots);
    frameBytes_ = packedImageBytes(video_.format, video_.width, video_.height);
    storage_.assign(frameBytes_ * static_cast<std::size_t>(slots), 0);
    scratch_.assign(video_.layout == Layout::kPacked ? 0 : video_.fileFrameBytes, 0);
    format_ = StreamFormat{video_.format, video_.format, video_.width, video_.height,
                           config_.realtime ? video_.fps : 0.0, slots};
    describe_ = fmt::format("{} ({} frames {}x{} {} at {:g} fps)", config_.source, offsets_.size(),
                            video_.width, video_.height, pixelFormatName(video_.format), video_.fps);
    pacer_.setRate(format_.fps);
    next_ = 0;
    borrowed_ = 0;
    return success();
  }

  WaitStatus waitFrame(std::chrono::milliseconds timeout, Frame& frame) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    if (fd_ < 0) {
      sleepUntil(deadline);
      return WaitStatus::kTimeout;
    }
    if (next_ == offsets_.size()) {
      if (!config_.loop) return WaitStatus::kEnded;
      next_ = 0;
    }
    int slot = 0;
    while (slot < format_.buffers && (borrowed_ & (1u << slot)) != 0) ++slot;
    if (slot == format_.buffers) {
      sleepUntil(deadline);
      return WaitStatus::kTimeout;
    }
    if (!pacer_.waitForNext(deadline)) return WaitStatus::kTimeout;
    std::uint8_t* image = storage_.data() + frameBytes_ * static_cast<std::size_t>(slot);
    if (!readFrame(offsets_[next_], image)) {
      // The file changed under us (it was checked in start()): treat it as the end.
      lastError_.set("video {}: frame {} could not be read: {}", config_.source, next_,
                     errnoText(errno));
      return WaitStatus::kEnded;
    }
    pacer_.advance();
    ++next_;
    borrowed_ |= 1u << slot;
    frame.image = packedImageView(video_.format, video_.width, video_.height, image);
    frame.sequence = sequence_++;
    frame.timestampNs = monotonicNowNs();
    frame.dmabufFd = -1;
    frame.slot = static_cast<std::uint32_t>(slot);
    ++stats_.frames;
    return WaitStatus::kFrame;
  }

  void release(const Frame& frame) override {
    if (frame.slot < kMaxSlots) borrowed_ &= ~(1u << frame.slot);
  }

  void stop() override {
    closeFile();
    storage_ = {};
    scratch_ = {};
  }

  const StreamFormat& format() const override { return format_; }
  const CameraStats& stats() const override { return stats_; }
  std::string_view describe() const override { return describe_; }
  std::string_view lastError() const override { return lastError_.view(); }

 private:
  void closeFile() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool preadAll(std::uint8_t* out, std::size_t bytes, off_t offset) const {
    while (bytes > 0) {
      const ssize_t n = ::pread(fd_, out, bytes, offset);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0) errno = ENODATA;
        return false;
      }
      out += n;
      bytes -= static_cast<std::size_t>(n);
      offset += n;
    }
    return true;
  }

  Result<void> indexRaw(off_t fileBytes) {
    video_.format = *rawFormatOf(config_.source);
    video_.layout = Layout::kPacked;
    video_.width = config_.width;
    video_.height = config_.height;
    video_.fps = config_.fps;
    if (!validImageSize(video_.format, video_.width, video_.height)) {
      return makeError(Errc::kInvalidArgument, "video {}: {}x{} is not a valid {} size",
                       config_.source, video_.width, video_.height, pixelFormatName(video_.format));
    }
    video_.fileFrameBytes = packedImageBytes(video_.format, video_.width, video_.height);
    const auto size = static_cast<std::size_t>(fileBytes);
    if (size == 0 || size % video_.fileFrameBytes != 0) {
      return makeError(Errc::kCorrupt,
                       "video {}: {} bytes is not a whole number of {}x{} {} frames ({} bytes "
                       "each); truncated, or the configured size is wrong",
                       config_.source, size, video_.width, video_.height,
                       pixelFormatName(video_.format), video_.fileFrameBytes);
    }
    offsets_.clear();
    for (std::size_t off = 0; off < size; off += video_.fileFrameBytes) {
      offsets_.push_back(static_cast<off_t>(off));
    }
    return success();
  }

  // Reads the line starting at `offset` (without its '\n') into `line`; false at the end.
  bool readLine(off_t offset, std::string& line) const {
    std::array<char, kMaxHeaderBytes> buf{};
    ssize_t n;
    do {
      n = ::pread(fd_, buf.data(), buf.size(), offset);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    const auto* end = static_cast<const char*>(std::memchr(buf.data(), '\n', static_cast<std::size_t>(n)));
    if (end == nullptr) return false;
    line.assign(buf.data(), static_cast<std::size_t>(end - buf.data()));
    return true;
  }

  Result<void> indexY4m(off_t fileBytes) {
    std::string line;
    if (!readLine(0, line) || line.rfind("YUV4MPEG2 ", 0) != 0) {
      return makeError(Errc::kParse,
                       "video {}: not a YUV4MPEG2 file (no \"YUV4MPEG2 \" header line) and not a "
                       "raw .yuyv/.nv12/.grey/.rgb file",
                       config_.source);
    }
    EDGERT_ASSIGN_OR_RETURN(video_, parseY4mHeader(line, config_.source));
    if (video_.fps == 0) video_.fps = config_.fps;
    off_t pos = static_cast<off_t>(line.size() + 1);
    offsets_.clear();
    while (pos < fileBytes) {
      if (!readLine(pos, line) || line.rfind("FRAME", 0) != 0) {
        return makeError(Errc::kCorrupt, "video {}: frame {} at byte {}: expected a FRAME header",
                         config_.source, offsets_.size(), pos);
      }
      const off_t data = pos + static_cast<off_t>(line.size() + 1);
      if (data + static_cast<off_t>(video_.fileFrameBytes) > fileBytes) {
        return makeError(Errc::kCorrupt,
                         "video {}: frame {} at byte {} is truncated ({} of {} bytes)",
                         config_.source, offsets_.size(), data, fileBytes - data,
                         video_.fileFrameBytes);
      }
      offsets_.push_back(data);
      pos = data + static_cast<off_t>(video_.fileFrameBytes);
    }
    if (offsets_.empty()) {
      return makeError(Errc::kCorrupt, "video {}: no frames after the header", config_.source);
    }
    return success();
  }

  bool readFrame(off_t offset, std::uint8_t* image) {
    const auto w = static_cast<std::size_t>(video_.width);
    const auto h = static_cast<std::size_t>(video_.height);
    switch (video_.layout) {
      case Layout::kPacked: return preadAll(image, frameBytes_, offset);
      case Layout::kI420ToNv12: {
        if (!preadAll(image, w * h, offset)) return false;  // Y straight into place
        if (!preadAll(scratch_.data(), w * h / 2, offset + static_cast<off_t>(w * h))) return false;
        const std::uint8_t* u = scratch_.data();
        const std::uint8_t* v = u + w * h / 4;
        std::uint8_t* uv = image + w * h;
        for (std::size_t i = 0; i < w * h / 4; ++i) {
          uv[2 * i] = u[i];
          uv[2 * i + 1] = v[i];
        }
        return true;
      }
      case Layout::kI422ToYuyv: {
        if (!preadAll(scratch_.data(), w * h * 2, offset)) return false;
        const std::uint8_t* y = scratch_.data();
        const std::uint8_t* u = y + w * h;
        const std::uint8_t* v = u + w * h / 2;
        for (std::size_t i = 0; i < w * h / 2; ++i) {
          image[4 * i] = y[2 * i];
          image[4 * i + 1] = u[i];
          image[4 * i + 2] = y[2 * i + 1];
          image[4 * i + 3] = v[i];
        }
        return true;
      }
    }
    return false;
  }

  CameraConfig config_;
  std::string describe_;
  StreamFormat format_;
  CameraStats stats_;
  ErrorText lastError_;
  VideoFormat video_;
  int fd_ = -1;
  std::vector<off_t> offsets_;  // where each frame's payload starts
  std::vector<std::uint8_t> storage_;
  std::vector<std::uint8_t> scratch_;
  std::size_t frameBytes_ = 0;
  std::size_t next_ = 0;
  std::uint32_t borrowed_ = 0;
  std::uint64_t sequence_ = 0;
  FramePacer pacer_;
};

}  // namespace

bool isVideoFilePath(std::string_view path) {
  return hasExtension(path, ".y4m") || rawFormatOf(path).has_value();
}

Result<std::unique_ptr<FrameSource>> makeVideoFileSource(const CameraConfig& config) {
  if (!isVideoFilePath(config.source)) {
    return makeError(Errc::kInvalidArgument,
                     "camera source {}: a video file must end in .y4m, .yuyv, .nv12, .grey or .rgb",
                     config.source);
  }
  CameraConfig checked = config;
  if (const auto raw = rawFormatOf(config.source)) checked.format = *raw;
  else checked.format = PixelFormat::kGrey;  // Y4M: the header decides; any size is valid
  EDGERT_TRY(checkCameraConfig(checked));
  return std::unique_ptr<FrameSource>(std::make_unique<VideoFileSource>(config));
}

}  // namespace edgert::hal
