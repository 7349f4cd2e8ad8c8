#include "capture.hpp"

#include <chrono>
#include <cstring>

namespace edgert::runtime {

void FrameCopy::reserve(PixelFormat format, int width, int height) {
  bytes_.assign(packedImageBytes(format, width, height), 0);
  view_ = packedImageView(format, width, height, bytes_.data());
}

bool FrameCopy::assign(const ImageView& image) {
  if (image.format != view_.format || image.width != view_.width || image.height != view_.height) return false;
  std::uint8_t* to = bytes_.data();
  for (int p = 0; p < planeCount(image.format); ++p) {
    const std::size_t row = packedStride(image.format, image.width, p);
    const int rows = planeRows(image.format, image.height, p);
    const auto plane = static_cast<std::size_t>(p);
    for (int y = 0; y < rows; ++y) {
      std::memcpy(to, image.planes[plane] + static_cast<std::size_t>(y) * image.strides[plane], row);
      to += row;
    }
  }
  return true;
}

void captureFrame(hal::FrameSource& source, kernels::Preprocessor& preprocessor,
                  MotionMeter& motion, std::chrono::milliseconds timeout, CapturedFrame& out,
                  std::span<float> tensor, FrameCopy* keep) {
  hal::Frame frame;
  out.status = source.waitFrame(timeout, frame);
  if (out.status == hal::WaitStatus::kFrame) {
    out.sequence = frame.sequence;
    out.timestampNs = frame.timestampNs;
    out.width = frame.image.width;
    out.height = frame.image.height;
    out.motion = motion.update(frame.image);
    const auto t0 = std::chrono::steady_clock::now();
    preprocessor.run(frame.image, tensor);
    out.preprocessMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    out.pixels = nullptr;
    if (keep != nullptr && keep->assign(frame.image)) out.pixels = keep;
    source.release(frame);
  }
  out.stats = source.stats();
}

CaptureThread::CaptureThread(Job job, void* context)
    : job_(job), context_(context), thread_([this] { main(); }) {}

CaptureThread::~CaptureThread() {
  {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return slot_ < 0; });
    quit_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void CaptureThread::start(int slot) {
  {
    std::lock_guard lock(mutex_);
    slot_ = slot;
  }
  pending_ = true;
  wake_.notify_one();
}

void CaptureThread::wait() {
  if (!pending_) return;
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return slot_ < 0; });
  pending_ = false;
}

void CaptureThread::main() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return quit_ || slot_ >= 0; });
    if (slot_ < 0) return;  // quit, nothing pending
    const int slot = slot_;
    lock.unlock();
    job_(context_, slot);
    lock.lock();
    slot_ = -1;
    done_.notify_one();
  }
}

}  // namespace edgert::runtime
