// The cheap motion measure of the idle policy: a 32x24 luma thumbnail of each frame (nearest
// sampling, any pixel format), compared with the previous one: the mean absolute
// difference in luma levels (0..255). Fixed arrays, no allocation.
#pragma once

#include <array>
#include <cstdint>

#include "edgert/base/image.hpp"

namespace edgert::runtime {

class MotionMeter {
 public:
  static constexpr int kWidth = 32;
  static constexpr int kHeight = 24;

  // The change since the previous frame given; the first frame after reset() gives 0.
  double update(const ImageView& image);
  void reset() { have_ = false; }

 private:
  std::array<std::uint8_t, kWidth * kHeight> previous_{};
  std::array<std::uint8_t, kWidth * kHeight> current_{};
  bool have_ = false;
};

}  // namespace edgert::runtime
