// The synthetic test pattern: eight 75% colour bars (white, yellow, cyan, green, magenta,
// red, blue, black, like a broadcast test card and like vivid's default) with a 100% white
// square that moves diagonally while the motion schedule says so. The bars are rendered
// once in start(); each frame copies them and draws the square, in the configured format.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <vector>

#include "camera_util.hpp"
#include "edgert/hal/camera.hpp"
#include "yuv.hpp"

namespace edgert::hal {

namespace {

constexpr int kMaxSlots = 32;
constexpr std::array<Rgb, 8> kBars{{{191, 191, 191},
                                    {191, 191, 0},
                                    {0, 191, 191},
                                    {0, 191, 0},
                                    {191, 0, 191},
                                    {191, 0, 0},
                                    {0, 0, 191},
                                    {0, 0, 0}}};
constexpr Rgb kSquare{255, 255, 255};
constexpr int kStepPixels = 4;

struct MotionSchedule {
  std::uint64_t moving = 1;  // frames moving, then
  std::uint64_t still = 0;   // frames still; moving == 0: never moves
};

Result<MotionSchedule> parseSchedule(std::string_view source) {
  if (source == "synthetic") return MotionSchedule{};
  if (source == "synthetic:still") return MotionSchedule{0, 1};
  constexpr std::string_view kPulse = "synthetic:pulse=";
  if (source.substr(0, kPulse.size()) == kPulse) {
    const std::string_view rest = source.substr(kPulse.size());
    const std::size_t comma = rest.find(',');
    MotionSchedule s;
    if (comma != std::string_view::npos) {
      const auto a = std::from_chars(rest.data(), rest.data() + comma, s.moving);
      const auto b = std::from_chars(rest.data() + comma + 1, rest.data() + rest.size(), s.still);
      if (a.ec == std::errc() && a.ptr == rest.data() + comma && b.ec == std::errc() &&
          b.ptr == rest.data() + rest.size() && s.moving > 0) {
        return s;
      }
    }
  }
  return makeError(Errc::kInvalidArgument,
                   "camera source \"{}\": expected synthetic, synthetic:still or "
                   "synthetic:pulse=MOVING,STILL (frame counts, MOVING > 0)",
                   source);
}

class SyntheticSource final : public FrameSource {
 public:
  SyntheticSource(const CameraConfig& config, MotionSchedule schedule)
      : config_(config), schedule_(schedule) {
    describe_ = fmt::format("{} {}x{} {}", config.source, config.width, config.height,
                            pixelFormatName(config.format));
  }

  Result<void> start() override {
    if (config_.format == PixelFormat::kMjpeg) {
      return makeError(Errc::kUnsupported,
                       "camera synthetic: MJPEG is a camera's compressed format; use YUYV, "
                       "NV12, GREY or RGB24");
    }
    const int slots = std::clamp(config_.buffers, 2, kMaxSlots);
    format_ = StreamFormat{config_.format, config_.format, config_.width, config_.height,
                           config_.realtime ? static_cast<double>(config_.fps) : 0.0, slots};
    frameBytes_ = packedImageBytes(config_.format, config_.width, config_.height);
    background_.assign(frameBytes_, 0);
    storage_.assign(frameBytes_ * static_cast<std::size_t>(slots), 0);
    for (int x = 0; x < config_.width; ++x) {
      const Rgb bar = kBars[static_cast<std::size_t>(x * 8 / config_.width)];
      for (int y = 0; y < config_.height; ++y) putPixel(background_.data(), x, y, bar);
    }
    borrowed_ = 0;
    running_ = true;
    pacer_.setRate(format_.fps);
    return success();
  }

  WaitStatus waitFrame(std::chrono::milliseconds timeout, Frame& frame) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    if (!running_) {
      sleepUntil(deadline);
      return WaitStatus::kTimeout;
    }
    int slot = 0;
    while (slot < format_.buffers && (borrowed_ & (1u << slot)) != 0) ++slot;
    if (slot == format_.buffers || !pacer_.waitForNext(deadline)) {
      if (slot == format_.buffers) sleepUntil(deadline);
      return WaitStatus::kTimeout;
    }
    pacer_.advance();
    std::uint8_t* image = storage_.data() + frameBytes_ * static_cast<std::size_t>(slot);
    // A moving frame shows the square one step further than the frame before it.
    if (isMoving(sequence_)) ++position_;
    std::memcpy(image, background_.data(), frameBytes_);
    drawSquare(image);

    borrowed_ |= 1u << slot;
    frame.image = packedImageView(config_.format, config_.width, config_.height, image);
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

  // The buffers stay: a restart (the service's standby probes) refills them in place,
  // allocating nothing, as a V4L2 stream keeps its mmap'ed buffers.
  void stop() override {
    running_ = false;
    borrowed_ = 0;
  }

  const StreamFormat& format() const override { return format_; }
  const CameraStats& stats() const override { return stats_; }
  std::string_view describe() const override { return describe_; }
  std::string_view lastError() const override { return {}; }

 private:
  bool isMoving(std::uint64_t frameIndex) const {
    if (schedule_.moving == 0) return false;
    return frameIndex % (schedule_.moving + schedule_.still) < schedule_.moving;
  }

  void putPixel(std::uint8_t* image, int x, int y, Rgb rgb) const {
    const auto w = static_cast<std::size_t>(config_.width);
    const auto ux = static_cast<std::size_t>(x);
    const auto uy = static_cast<std::size_t>(y);
    const Yuv yuv = rgbToYuv601Limited(rgb);
    switch (config_.format) {
      case PixelFormat::kRgb24: {
        std::uint8_t* p = image + (uy * w + ux) * 3;
        p[0] = rgb.r;
        p[1] = rgb.g;
        p[2] = rgb.b;
        break;
      }
      case PixelFormat::kGrey: image[uy * w + ux] = yuv.y; break;
      case PixelFormat::kYuyv: {
        std::uint8_t* p = image + uy * w * 2 + ux * 2;
        p[0] = yuv.y;
        p[1] = (x % 2 == 0) ? yuv.u : yuv.v;  // chroma of the pair, set by both pixels
        if (x % 2 == 0) p[3] = yuv.v; else p[-1] = yuv.u;
        break;
      }
      case PixelFormat::kNv12: {
        image[uy * w + ux] = yuv.y;
        std::uint8_t* uv = image + w * static_cast<std::size_t>(config_.height) + (uy / 2) * w +
                           (ux / 2) * 2;
        uv[0] = yuv.u;
        uv[1] = yuv.v;
        break;
      }
      case PixelFormat::kMjpeg: break;
    }
  }

  void drawSquare(std::uint8_t* image) const {
    const int side = std::max(2, (config_.height / 6) & ~1);
    const int rangeX = std::max(1, config_.width - side);
    const int rangeY = std::max(1, config_.height - side);
    // Bounces inside the frame; even positions keep 4:2:x chroma pairs whole.
    const auto bounce = [](std::uint64_t t, int range) {
      const std::uint64_t period = 2 * static_cast<std::uint64_t>(range);
      const auto p = static_cast<int>(t % period);
      return (p < range ? p : static_cast<int>(period) - p) & ~1;
    };
    const int x0 = bounce(position_ * kStepPixels, rangeX);
    const int y0 = bounce(position_ * kStepPixels / 2, rangeY);
    for (int y = y0; y < std::min(y0 + side, config_.height); ++y) {
      for (int x = x0; x < std::min(x0 + side, config_.width); ++x) putPixel(image, x, y, kSquare);
    }
  }

  CameraConfig config_;
  MotionSchedule schedule_;
  std::string describe_;
  StreamFormat format_;
  CameraStats stats_;
  std::vector<std::uint8_t> background_;
  std::vector<std::uint8_t> storage_;
  std::size_t frameBytes_ = 0;
  std::uint32_t borrowed_ = 0;
  bool running_ = false;
  std::uint64_t sequence_ = 0;
  std::uint64_t position_ = 0;
  FramePacer pacer_;
};

}  // namespace

Result<std::unique_ptr<FrameSource>> makeSyntheticSource(const CameraConfig& config) {
  EDGERT_TRY(checkCameraConfig(config));
  EDGERT_ASSIGN_OR_RETURN(const MotionSchedule schedule, parseSchedule(config.source));
  return std::unique_ptr<FrameSource>(std::make_unique<SyntheticSource>(config, schedule));
}

}  // namespace edgert::hal
