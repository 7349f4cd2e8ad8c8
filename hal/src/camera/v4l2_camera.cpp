// The V4L2 camera: libv4l2 (v4l2_open / v4l2_ioctl / v4l2_mmap) so that formats a camera
// only offers compressed (MJPEG) are decoded by libv4lconvert; MMAP streaming with a fixed
// buffer count; poll with a timeout; EINTR retried; sequence gaps counted as drops;
// V4L2_BUF_FLAG_ERROR frames counted and re-queued; ENODEV (unplugged) closes the device and
// re-opens it with bounded exponential backoff on later waitFrame calls.
//
// Memory: every buffer is mapped in start() (and again after a reconnect); a frame is a view
// of a mapped buffer, so the steady state allocates nothing. A re-open attempt allocates a
// little (libv4l2's state, the error text), at most once per backoff period.
//
// libv4l2 is opened with dlopen when the first camera is (base/shared_library.hpp), not
// linked: with libv4lconvert it cost 0.9 ms of every edgert start.
#include <fcntl.h>
#include <libv4l2.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "camera_util.hpp"
#include "edgert/base/shared_library.hpp"
#include "edgert/hal/camera.hpp"

namespace edgert::hal {

namespace {

constexpr int kMaxBuffers = 32;
constexpr int kMaxFormats = 96;

std::uint32_t fourccOf(PixelFormat format) {
  switch (format) {
    case PixelFormat::kYuyv: return V4L2_PIX_FMT_YUYV;
    case PixelFormat::kNv12: return V4L2_PIX_FMT_NV12;
    case PixelFormat::kGrey: return V4L2_PIX_FMT_GREY;
    case PixelFormat::kRgb24: return V4L2_PIX_FMT_RGB24;
    case PixelFormat::kMjpeg: return V4L2_PIX_FMT_MJPEG;
  }
  return 0;
}

std::string fourccText(std::uint32_t fourcc) {
  std::string text(4, ' ');
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>((fourcc >> (8 * i)) & 0xff);
    text[static_cast<std::size_t>(i)] = c >= 32 && c < 127 ? c : '?';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// libv4l2's entry points, the library opened on first use (thread-safe; it stays open).
struct V4l2Library {
  decltype(&::v4l2_fd_open) fdOpen = nullptr;
  decltype(&::v4l2_ioctl) ioctl = nullptr;
  decltype(&::v4l2_mmap) mmap = nullptr;
  decltype(&::v4l2_munmap) munmap = nullptr;
  decltype(&::v4l2_close) close = nullptr;
  bool ok = false;
  std::string error;  // why not, when !ok
};

const V4l2Library& v4l2() {
  static const V4l2Library lib = [] {
    constexpr const char* kSoname = "libv4l2.so.0";
    V4l2Library l;
    void* handle = dl::open(kSoname, l.error);
    if (handle == nullptr) return l;
    l.ok = dl::bind(handle, kSoname, "v4l2_fd_open", l.fdOpen, l.error);
    l.ok = dl::bind(handle, kSoname, "v4l2_ioctl", l.ioctl, l.error) && l.ok;
    l.ok = dl::bind(handle, kSoname, "v4l2_mmap", l.mmap, l.error) && l.ok;
    l.ok = dl::bind(handle, kSoname, "v4l2_munmap", l.munmap, l.error) && l.ok;
    l.ok = dl::bind(handle, kSoname, "v4l2_close", l.close, l.error) && l.ok;
    return l;
  }();
  return lib;
}

// On a descriptor from v4l2().fdOpen (a camera is only opened once the library is).
int xioctl(int fd, unsigned long request, void* arg) {
  int r;
  do {
    r = v4l2().ioctl(fd, request, arg);
  } while (r == -1 && errno == EINTR);
  return r;
}

// A name without a slash is looked up among the stable links udev makes.
Result<std::string> resolveDevicePath(const std::string& source) {
  if (source.find('/') != std::string::npos) return source;
  for (const char* dir : {"/dev/v4l/by-id/", "/dev/v4l/by-path/"}) {
    std::string path = std::string(dir) + source;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) return path;
  }
  return makeError(Errc::kNotFound,
                   "camera {}: no such device in /dev/v4l/by-id or /dev/v4l/by-path "
                   "(is it plugged in?)",
                   source);
}

class V4l2Camera final : public FrameSource {
 public:
  explicit V4l2Camera(const CameraConfig& config) : config_(config) {
    buffers_.reserve(kMaxBuffers);
    describe_ = config.source;
  }
  ~V4l2Camera() override { closeDevice(); }
  bool pluggable() const override { return true; }

  Result<void> start() override {
    if (streaming_) return success();
    Result<void> opened = openAndStream();
    if (!opened) {
      closeDevice();
      return opened;
    }
    lastError_.clear();
    return success();
  }

  WaitStatus waitFrame(std::chrono::milliseconds timeout, Frame& frame) override {
    const Clock::time_point deadline = Clock::now() + timeout;
    for (;;) {
      if (lost_) {
        if (!retryOpen(deadline)) return WaitStatus::kLost;
        continue;
      }
      if (!streaming_) {
        sleepUntil(deadline);
        return WaitStatus::kTimeout;
      }
      if (queued_ == 0) {
        // Every buffer is borrowed: nothing can arrive until the consumer releases one.
        sleepUntil(deadline);
        return WaitStatus::kTimeout;
      }
      const int waitMs = remainingMs(deadline);
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, waitMs);
      if (r < 0) {
        if (errno == EINTR) continue;
        lose(errno, "poll");
        return WaitStatus::kLost;
      }
      if (r == 0) return WaitStatus::kTimeout;

      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      if (xioctl(fd_, VIDIOC_DQBUF, &buf) < 0) {
        if (errno == EAGAIN && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) == 0) continue;
        // POLLERR without a buffer (the queue broke) or ENODEV/EIO: the stream is gone.
        lose(errno == EAGAIN ? EIO : errno, "VIDIOC_DQBUF");
        return WaitStatus::kLost;
      }
      --queued_;
      countSequence(buf.sequence);
      if ((buf.flags & V4L2_BUF_FLAG_ERROR) != 0) {
        ++stats_.errorFrames;
        requeue(buf.index);
        if (lost_) return WaitStatus::kLost;
        continue;
      }
      fillFrame(buf, frame);
      ++stats_.frames;
      return WaitStatus::kFrame;
    }
  }

  void release(const Frame& frame) override {
    if (!streaming_ || (frame.slot >> 8) != generation_) return;  // from before a reconnect
    requeue(frame.slot & 0xff);
  }

  void stop() override {
    closeDevice();
    lost_ = false;
  }

  const StreamFormat& format() const override { return format_; }
  const CameraStats& stats() const override { return stats_; }
  std::string_view describe() const override { return describe_; }
  std::string_view lastError() const override { return lastError_.view(); }

 private:
  using Clock = std::chrono::steady_clock;

  struct Buffer {
    void* start = MAP_FAILED;
    std::size_t length = 0;
    int dmabufFd = -1;
  };

  static int remainingMs(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 1 << 30));
  }

  Result<void> openAndStream() {
    EDGERT_ASSIGN_OR_RETURN(path_, resolveDevicePath(config_.source));
    // Opened and queried directly first: libv4l2 prints to stderr about devices that are
    // not V4L2 ones; only a capture device is handed to it (v4l2_fd_open).
    const int fd = ::open(path_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == ENOENT || err == ENODEV || err == ENXIO) {
        return Error(err == ENOENT ? Errc::kNotFound : Errc::kDisconnected,
                     fmt::format("camera {}: {} (is it plugged in?)", path_, errnoText(err)), err);
      }
      return Error::fromErrno(err, fmt::format("camera {}: open", path_));
    }
    v4l2_capability cap{};
    int r;
    do {
      r = ::ioctl(fd, VIDIOC_QUERYCAP, &cap);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      const int err = errno;
      ::close(fd);
      // ENOTTY from the kernel; ENOSYS from qemu-user, which does not pass ioctls it does
      // not know to a file that is not a V4L2 device.
      if (err == ENOTTY || err == EINVAL || err == ENOSYS) {
        return makeError(Errc::kUnsupported, "camera {}: not a V4L2 device", path_);
      }
      return Error::fromErrno(err, fmt::format("camera {}: VIDIOC_QUERYCAP", path_));
    }
    const std::uint32_t caps =
        (cap.capabilities & V4L2_CAP_DEVICE_CAPS) != 0 ? cap.device_caps : cap.capabilities;
    describe_ = fmt::format("{} ({}: {})", path_, reinterpret_cast<const char*>(cap.driver),
                            reinterpret_cast<const char*>(cap.card));
    if ((caps & V4L2_CAP_VIDEO_CAPTURE) == 0) {
      ::close(fd);
      return makeError(Errc::kUnsupported,
                       "camera {}: not a single-planar video capture device (capabilities "
                       "0x{:08x})",
                       describe_, caps);
    }
    if ((caps & V4L2_CAP_STREAMING) == 0) {
      ::close(fd);
      return makeError(Errc::kUnsupported, "camera {}: no streaming I/O", describe_);
    }
    if (!v4l2().ok) {
      ::close(fd);
      return makeError(Errc::kUnsupported, "camera {}: {}", describe_, v4l2().error);
    }
    fd_ = v4l2().fdOpen(fd, 0);
    if (fd_ < 0) {
      const int err = errno;
      ::close(fd);
      return Error::fromErrno(err, fmt::format("camera {}: libv4l2", describe_));
    }
    EDGERT_TRY(negotiateFormat());
    setFrameRate();
    EDGERT_TRY(createBuffers());
    for (std::uint32_t i = 0; i < buffers_.size(); ++i) {
      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      buf.index = i;
      if (xioctl(fd_, VIDIOC_QBUF, &buf) < 0) {
        const int err = errno;
        return Error::fromErrno(err, fmt::format("camera {}: VIDIOC_QBUF", describe_));
      }
    }
    queued_ = static_cast<int>(buffers_.size());
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd_, VIDIOC_STREAMON, &type) < 0) {
      const int err = errno;
      return Error::fromErrno(err, fmt::format("camera {}: VIDIOC_STREAMON", describe_));
    }
    streaming_ = true;
    haveSequence_ = false;
    ++generation_;
    generation_ &= 0xffffff;
    return success();
  }

  Result<void> negotiateFormat() {
    // What the device offers, directly or through libv4lconvert (flagged emulated).
    std::array<std::uint32_t, kMaxFormats> offered{};
    std::array<bool, kMaxFormats> emulated{};
    int count = 0;
    for (; count < kMaxFormats; ++count) {
      v4l2_fmtdesc desc{};
      desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      desc.index = static_cast<std::uint32_t>(count);
      if (xioctl(fd_, VIDIOC_ENUM_FMT, &desc) < 0) break;
      offered[static_cast<std::size_t>(count)] = desc.pixelformat;
      emulated[static_cast<std::size_t>(count)] = (desc.flags & V4L2_FMT_FLAG_EMULATED) != 0;
    }
    const auto offers = [&](std::uint32_t fourcc, bool nativeOnly) {
      for (int i = 0; i < count; ++i) {
        const auto k = static_cast<std::size_t>(i);
        if (offered[k] == fourcc && (!nativeOnly || !emulated[k])) return true;
      }
      return false;
    };
    const bool mjpeg = config_.format == PixelFormat::kMjpeg;
    const std::uint32_t want = fourccOf(config_.format);
    if (!offers(want, mjpeg)) {
      std::string list;
      for (int i = 0; i < count; ++i) {
        if (!list.empty()) list += ", ";
        list += fourccText(offered[static_cast<std::size_t>(i)]);
      }
      return makeError(Errc::kUnsupported,
                       "camera {}: pixel format {} is not offered (the device offers: {})",
                       describe_, pixelFormatName(config_.format), list.empty() ? "none" : list);
    }
    // MJPEG is captured as such and handed out as RGB24, decoded by libv4lconvert.
    const std::uint32_t request = mjpeg ? V4L2_PIX_FMT_RGB24 : want;
    if (mjpeg && config_.exportDmabuf) {
      return makeError(Errc::kUnsupported,
                       "camera {}: MJPEG frames are decoded by libv4lconvert into its own "
                       "memory, which cannot be exported as DMABUF",
                       describe_);
    }
    v4l2_format fmt{};
    fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    fmt.fmt.pix.width = static_cast<std::uint32_t>(config_.width);
    fmt.fmt.pix.height = static_cast<std::uint32_t>(config_.height);
    fmt.fmt.pix.pixelformat = request;
    fmt.fmt.pix.field = V4L2_FIELD_NONE;
    if (xioctl(fd_, VIDIOC_S_FMT, &fmt) < 0) {
      const int err = errno;
      return Error::fromErrno(err, fmt::format("camera {}: VIDIOC_S_FMT {} {}x{}", describe_,
                                               fourccText(request), config_.width,
                                               config_.height));
    }
    if (fmt.fmt.pix.pixelformat != request) {
      return makeError(Errc::kUnsupported, "camera {}: asked for {}, the driver chose {}",
                       describe_, fourccText(request), fourccText(fmt.fmt.pix.pixelformat));
    }
    format_.format = mjpeg ? PixelFormat::kRgb24 : config_.format;
    format_.captured = config_.format;
    format_.width = static_cast<int>(fmt.fmt.pix.width);
    format_.height = static_cast<int>(fmt.fmt.pix.height);
    if (!validImageSize(format_.format, format_.width, format_.height)) {
      return makeError(Errc::kUnsupported, "camera {}: the driver chose {}x{}, invalid for {}",
                       describe_, format_.width, format_.height,
                       pixelFormatName(format_.format));
    }
    stride_ = fmt.fmt.pix.bytesperline != 0
                  ? fmt.fmt.pix.bytesperline
                  : packedStride(format_.format, format_.width);
    const std::size_t rows = static_cast<std::size_t>(format_.height) +
                             static_cast<std::size_t>(planeRows(format_.format, format_.height, 1));
    const std::size_t need = stride_ * rows;
    if (stride_ < packedStride(format_.format, format_.width) || fmt.fmt.pix.sizeimage < need) {
      return makeError(Errc::kUnsupported,
                       "camera {}: the driver's layout (bytesperline {}, sizeimage {}) is too "
                       "small for {} {}x{}",
                       describe_, fmt.fmt.pix.bytesperline, fmt.fmt.pix.sizeimage,
                       pixelFormatName(format_.format), format_.width, format_.height);
    }
    return success();
  }

  // Frame rate is best effort: many drivers have a fixed rate per size.
  void setFrameRate() {
    format_.fps = 0;
    v4l2_streamparm parm{};
    parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (config_.fps > 0 && xioctl(fd_, VIDIOC_G_PARM, &parm) == 0 &&
        (parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME) != 0) {
      parm.parm.capture.timeperframe.numerator = 1;
      parm.parm.capture.timeperframe.denominator = static_cast<std::uint32_t>(config_.fps);
      (void)xioctl(fd_, VIDIOC_S_PARM, &parm);
    }
    if (xioctl(fd_, VIDIOC_G_PARM, &parm) == 0 && parm.parm.capture.timeperframe.numerator != 0) {
      format_.fps = static_cast<double>(parm.parm.capture.timeperframe.denominator) /
                    parm.parm.capture.timeperframe.numerator;
    }
  }

  Result<void> createBuffers() {
    v4l2_requestbuffers req{};
    req.count = static_cast<std::uint32_t>(config_.buffers);
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    if (xioctl(fd_, VIDIOC_REQBUFS, &req) < 0) {
      const int err = errno;
      return Error::fromErrno(err, fmt::format("camera {}: VIDIOC_REQBUFS {} buffers",
                                               describe_, config_.buffers));
    }
    if (req.count < 2 || req.count > kMaxBuffers) {
      return makeError(Errc::kUnsupported, "camera {}: the driver granted {} buffers (need 2 to {})",
                       describe_, req.count, kMaxBuffers);
    }
    for (std::uint32_t i = 0; i < req.count; ++i) {
      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      buf.index = i;
      if (xioctl(fd_, VIDIOC_QUERYBUF, &buf) < 0) {
        const int err = errno;
        return Error::fromErrno(err, fmt::format("camera {}: VIDIOC_QUERYBUF {}", describe_, i));
      }
      Buffer& b = buffers_.emplace_back();
      b.length = buf.length;
      b.start = v4l2().mmap(nullptr, buf.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_,
                          buf.m.offset);
      if (b.start == MAP_FAILED) {
        const int err = errno;
        return Error::fromErrno(err, fmt::format("camera {}: mmap buffer {}", describe_, i));
      }
      if (config_.exportDmabuf) {
        v4l2_exportbuffer exp{};
        exp.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        exp.index = i;
        exp.flags = O_RDONLY | O_CLOEXEC;
        if (xioctl(fd_, VIDIOC_EXPBUF, &exp) < 0) {
          const int err = errno;
          return Error::fromErrno(err, fmt::format("camera {}: VIDIOC_EXPBUF {}", describe_, i));
        }
        b.dmabufFd = exp.fd;
      }
    }
    format_.buffers = static_cast<int>(req.count);
    return success();
  }

  void closeDevice() {
    if (fd_ >= 0) {
      if (streaming_) {
        int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        (void)xioctl(fd_, VIDIOC_STREAMOFF, &type);
      }
      for (Buffer& b : buffers_) {
        if (b.dmabufFd >= 0) ::close(b.dmabufFd);
        if (b.start != MAP_FAILED) v4l2().munmap(b.start, b.length);
      }
      buffers_.clear();
      if (!lost_) {
        // Give the buffers back to the driver; after a disconnect the ioctl fails harmlessly.
        v4l2_requestbuffers req{};
        req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        req.memory = V4L2_MEMORY_MMAP;
        (void)xioctl(fd_, VIDIOC_REQBUFS, &req);
      }
      v4l2().close(fd_);
    }
    fd_ = -1;
    streaming_ = false;
    queued_ = 0;
  }

  void lose(int err, const char* what) {
    lastError_.set("{}: {}: {}", describe_, what, errnoText(err));
    ++stats_.lost;
    lost_ = true;
    closeDevice();
    backoff_ = config_.reconnectMin;
    nextOpen_ = Clock::now() + backoff_;
  }

  // While lost: re-opens each time the backoff has passed, sleeping in between, until the
  // deadline; true once the device streams again.
  bool retryOpen(Clock::time_point deadline) {
    for (;;) {
      if (Clock::now() >= nextOpen_) {
        Result<void> opened = openAndStream();
        if (opened) {
          lost_ = false;
          ++stats_.reconnects;
          return true;
        }
        closeDevice();
        ++stats_.reopenFailures;
        lastError_.set("{}", opened.error().message());
        backoff_ = std::min(backoff_ * 2, config_.reconnectMax);
        nextOpen_ = Clock::now() + backoff_;
      }
      if (Clock::now() >= deadline) return false;
      sleepUntil(std::min(deadline, nextOpen_));
    }
  }

  void requeue(std::uint32_t index) {
    if (index >= buffers_.size()) return;
    v4l2_buffer buf{};
    buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buf.memory = V4L2_MEMORY_MMAP;
    buf.index = index;
    if (xioctl(fd_, VIDIOC_QBUF, &buf) < 0) {
      lose(errno, "VIDIOC_QBUF");
      return;
    }
    ++queued_;
  }

  void countSequence(std::uint32_t sequence) {
    if (haveSequence_ && sequence > lastSequence_ + 1) {
      stats_.dropped += sequence - lastSequence_ - 1;
    }
    haveSequence_ = true;
    lastSequence_ = sequence;
  }

  void fillFrame(const v4l2_buffer& buf, Frame& frame) const {
    const Buffer& b = buffers_[buf.index];
    const auto* base = static_cast<const std::uint8_t*>(b.start);
    frame.image.format = format_.format;
    frame.image.width = format_.width;
    frame.image.height = format_.height;
    frame.image.planes = {base, nullptr};
    frame.image.strides = {stride_, 0};
    if (format_.format == PixelFormat::kNv12) {
      frame.image.planes[1] = base + stride_ * static_cast<std::size_t>(format_.height);
      frame.image.strides[1] = stride_;
    }
    frame.sequence = buf.sequence;
    if ((buf.flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) == V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC) {
      frame.timestampNs = static_cast<std::int64_t>(buf.timestamp.tv_sec) * 1'000'000'000 +
                          static_cast<std::int64_t>(buf.timestamp.tv_usec) * 1'000;
    } else {
      frame.timestampNs = monotonicNowNs();
    }
    frame.dmabufFd = b.dmabufFd;
    frame.slot = (generation_ << 8) | buf.index;
  }

  CameraConfig config_;
  std::string path_;
  std::string describe_;
  StreamFormat format_;
  CameraStats stats_;
  ErrorText lastError_;
  int fd_ = -1;
  std::vector<Buffer> buffers_;
  std::size_t stride_ = 0;
  int queued_ = 0;
  bool streaming_ = false;
  bool lost_ = false;
  std::uint32_t generation_ = 0;
  std::uint32_t lastSequence_ = 0;
  bool haveSequence_ = false;
  std::chrono::milliseconds backoff_{0};
  Clock::time_point nextOpen_{};
};

}  // namespace

Result<std::unique_ptr<FrameSource>> makeV4l2Camera(const CameraConfig& config) {
  EDGERT_TRY(checkCameraConfig(config));
  if (config.buffers < 2 || config.buffers > kMaxBuffers) {
    return makeError(Errc::kInvalidArgument, "camera {}: buffers {} outside 2..{}",
                     config.source, config.buffers, kMaxBuffers);
  }
  return std::unique_ptr<FrameSource>(std::make_unique<V4l2Camera>(config));
}

}  // namespace edgert::hal
