#include "capture.hpp"

#include <chrono>

namespace edgert::runtime {

void captureFrame(hal::FrameSource& source, kernels::Preprocessor& preprocessor,
                  MotionMeter& motion, std::chrono::milliseconds timeout, CapturedFrame& out,
                  std::span<float> tensor) {
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
