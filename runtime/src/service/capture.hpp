// The capture step of the service loop, and the thread that runs it ahead in pipelined mode.
//
// A capture waits for a frame, measures motion on it, pre-processes it into a tensor and
// gives the frame straight back to the source: what the rest of the loop needs of the frame
// (sequence, timestamp, size) travels in a CapturedFrame, so inference never holds a
// camera buffer. Sequential mode captures into the engine's input; pipelined mode captures
// frame N+1 into a staging tensor on the CaptureThread while frame N is inferred.
#pragma once

#include <condition_variable>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "edgert/hal/camera.hpp"
#include "edgert/kernels/image.hpp"
#include "motion.hpp"

namespace edgert::runtime {

// A copy of a frame's pixels that outlives the camera buffer (the region stage crops text
// lines from it after inference; a snapshot draws on it). Sized once for the stream.
class FrameCopy {
 public:
  void reserve(PixelFormat format, int width, int height);
  // Copies `image` plane by plane, tightly packed; false (nothing copied) when its format or
  // size is not the one reserved. No allocation.
  bool assign(const ImageView& image);
  const ImageView& view() const { return view_; }
  std::size_t capacity() const { return bytes_.capacity(); }

 private:
  std::vector<std::uint8_t> bytes_;
  ImageView view_;
};

struct CapturedFrame {
  hal::WaitStatus status = hal::WaitStatus::kTimeout;
  std::uint64_t sequence = 0;
  std::uint64_t timestampNs = 0;
  int width = 0;
  int height = 0;
  double motion = 0;        // MotionMeter's change against the previous frame
  double preprocessMs = 0;
  hal::CameraStats stats;   // the source's counters after this wait
  // Where the frame's pixels were copied (the capture was asked to keep them), else nullptr.
  const FrameCopy* pixels = nullptr;
};

// Fills `out` and, on WaitStatus::kFrame, `tensor`, and `keep` when it is not nullptr.
// Allocates nothing.
void captureFrame(hal::FrameSource& source, kernels::Preprocessor& preprocessor,
                  MotionMeter& motion, std::chrono::milliseconds timeout, CapturedFrame& out,
                  std::span<float> tensor, FrameCopy* keep = nullptr);

// One thread, created once, that runs a job when asked: fork-join per frame. The loop thread
// touches the source only while nothing is pending (after wait()). No allocation after the
// constructor.
class CaptureThread {
 public:
  using Job = void (*)(void* context, int slot);
  CaptureThread(Job job, void* context);
  ~CaptureThread();  // waits for a pending job, then joins
  CaptureThread(const CaptureThread&) = delete;
  CaptureThread& operator=(const CaptureThread&) = delete;

  // Runs job(context, slot) on the thread. Nothing may be pending.
  void start(int slot);
  // Until the pending job (if any) has finished.
  void wait();
  bool pending() const { return pending_; }  // loop thread only

 private:
  void main();

  Job job_;
  void* context_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  int slot_ = -1;   // >= 0: a job to run
  bool quit_ = false;
  bool pending_ = false;
  std::thread thread_;  // last: starts once the rest is initialised
};

}  // namespace edgert::runtime
