// Conv, direct, for few input channels (1 to 4, group 1: a network's first conv over the
// colour planes), strides 1 or 2, kernels up to 7x7, any pads, AVX-512 F; and 3x3 convs
// over up to 256 channels (below). The general
// variant would first copy every tap of every pixel into columns (im2col: K = 75 floats per
// pixel for BlazeFace's 3-channel 5x5), as many bytes as the product reads, to feed a
// matrix product whose K is too short to pay for it. Here X is read in place: a register
// tile of up to 12 output channels by 32 output pixels (24 accumulators) takes, for each
// tap (channel, kh, kw), two input vectors (a column stride of 2: two loads and a
// vpermt2ps keeping the even floats, each) and 12 broadcast weights (repacked per task,
// tap by tap). A 24 x 16 tile, 24 broadcasts per tap, ran at two thirds of the speed. Padding is the load mask
// (columns_avx512.hpp) and skipped rows. Each output is summed over channels, then kh, then
// kw, from the bias; epilogue as in epilogue_avx512.hpp.
//
// A 3x3 conv over many channels with few outputs (PP-OCRv4 det's neck: 96 -> 24 at 160x160,
// two fifths of that model) has the same trouble: its im2col copy per output pixel (864
// floats) fed only 24 output channels, and the general variant ran at about half the
// core's peak. Read in place, each tap's two vectors come from rows the tile's band keeps in
// the second-level cache (96 channels x 3 rows of 160 floats: 184 KiB).
#include "../conv_variants.hpp"
#include "columns_avx512.hpp"
#include "epilogue_avx512.hpp"

#include <algorithm>

namespace edgert::kernels::conv::x86 {
namespace {

constexpr int kMaxRows = static_cast<int>(kDirectTileRows);  // output channels per tile
constexpr std::int64_t kPixels = 32;  // output pixels per tile: two vectors

// One image as the tiles see it.
struct Image {
  const float* x;  // channels x inH x inW
  std::int64_t channels, inH, inW;
  std::int64_t kH, kW, strideH, padTop, padLeft;
  const float* w;      // OIHW
  std::int64_t taps;   // channels * kH * kW: one output channel's weights
  const float* packed;  // the tile's output channels' weights, tap by tap (pack below)
  const float* bias;   // or nullptr
  const float* residual;  // outChannels x outH x outW, or nullptr
  float* y;
  std::int64_t outH, outW;
  ActivationParams act;
};

// Output channels [m, m + kR), output row oh, columns [ow, ow + 32) (masked past outW).
template <int kR, int kSW>
void tile(const Image& im, std::int64_t m, std::int64_t oh, std::int64_t ow) {
  __m512 acc[kR][2];
#pragma GCC unroll 12
  for (int r = 0; r < kR; ++r) acc[r][0] = acc[r][1] = im.bias ? _mm512_set1_ps(im.bias[m + r]) : _mm512_setzero_ps();
  const std::int64_t c0 = ow * kSW - im.padLeft;
  const std::int64_t top = oh * im.strideH - im.padTop;
  // The input row the next output row reads first (below this window), fetched now: with
  // many channels the tile walks as many rows at once, too many streams for the hardware
  // prefetchers, and each new row would otherwise wait on memory.
  // (The columns this tile reads: 32 * kSW + kW - 1 from c0, in cache lines of 16 floats.)
  // The address is formed as an integer: the lines may lie past X's end (a prefetch does
  // not fault).
  const std::int64_t ahead = top + im.kH;
  const bool prefetch = ahead < im.inH;
  const std::int64_t first = std::clamp<std::int64_t>(c0, 0, im.inW - 1);
  for (std::int64_t c = 0; c < im.channels; ++c) {
    if (prefetch) {
      const auto next = reinterpret_cast<std::uintptr_t>(im.x) +
                        static_cast<std::uintptr_t>(((c * im.inH + ahead) * im.inW + first) * 4);
#pragma GCC unroll 5
      for (int line = 0; line < (kSW == 1 ? 3 : 5); ++line) {
        _mm_prefetch(reinterpret_cast<const char*>(next + 64 * static_cast<unsigned>(line)), _MM_HINT_T0);
      }
    }
    for (std::int64_t kh = 0; kh < im.kH; ++kh) {
      const std::int64_t ih = top + kh;
      if (ih < 0 || ih >= im.inH) continue;  // padding rows add nothing
      const float* row = im.x + (c * im.inH + ih) * im.inW;
      const float* wt = im.packed + (c * im.kH + kh) * im.kW * kR;
      for (std::int64_t kw = 0; kw < im.kW; ++kw, wt += kR) {
        const __m512 v0 = kSW == 1 ? avx512::loadColumns(row, c0 + kw, im.inW)
                                   : avx512::loadEvenColumns(row, c0 + kw, im.inW);
        const __m512 v1 = kSW == 1 ? avx512::loadColumns(row, c0 + kw + 16, im.inW)
                                   : avx512::loadEvenColumns(row, c0 + kw + 32, im.inW);
#pragma GCC unroll 12
        for (int r = 0; r < kR; ++r) {
          const __m512 wv = _mm512_set1_ps(wt[r]);
          acc[r][0] = _mm512_fmadd_ps(wv, v0, acc[r][0]);
          acc[r][1] = _mm512_fmadd_ps(wv, v1, acc[r][1]);
        }
      }
    }
  }
  const __mmask16 mask0 = avx512::laneMask(im.outW - ow);
  const __mmask16 mask1 = im.outW - ow > 16 ? avx512::laneMask(im.outW - ow - 16) : __mmask16{0};
  const std::int64_t plane = im.outH * im.outW;
#pragma GCC unroll 12
  for (int r = 0; r < kR; ++r) {
    const std::int64_t at = (m + r) * plane + oh * im.outW + ow;
    const float* res = im.residual ? im.residual + at : nullptr;
    avx512::finish(im.act, acc[r][0], res, im.y + at, mask0);
    if (mask1 != 0) avx512::finish(im.act, acc[r][1], res ? res + 16 : nullptr, im.y + at + 16, mask1);
  }
}

// tile<rows> for rows in [1, kMaxRows].
template <int kSW, int kR = kMaxRows>
void tileRows(int rows, const Image& im, std::int64_t m, std::int64_t oh, std::int64_t ow) {
  if constexpr (kR >= 1) {
    if (rows == kR) {
      tile<kR, kSW>(im, m, oh, ow);
      return;
    }
    tileRows<kSW, kR - 1>(rows, im, m, oh, ow);
  }
}

}  // namespace

void runDirectAvx512(const KernelArgs& args) {
  const auto& p = *static_cast<const ConvParams*>(args.params);
  const Shape& xs = args.inputs[0].type.shape;
  const Shape& ys = args.outputs[0].type.shape;
  if (ys.numel() == 0) return;
  const std::int64_t batch = xs.dims[0];
  const std::int64_t channels = xs.dims[1];
  const std::int64_t outChannels = ys.dims[1];
  const std::int64_t outH = ys.dims[2];
  const std::int64_t outW = ys.dims[3];
  Image base{};
  base.channels = channels;
  base.inH = xs.dims[2];
  base.inW = xs.dims[3];
  base.kH = p.kernel[0];
  base.kW = p.kernel[1];
  base.strideH = p.stride[0];
  base.padTop = p.padBegin[0];
  base.padLeft = p.padBegin[1];
  base.w = args.inputs[1].as<float>();
  base.taps = channels * base.kH * base.kW;
  base.bias = p.hasBias ? args.inputs[2].as<float>() : nullptr;
  base.outH = outH;
  base.outW = outW;
  base.act = p.activation;
  const float* residual = p.hasResidual ? args.inputs[3].as<float>() : nullptr;
  // Tasks: per image, bands of output rows (listed first, as the other conv variants list
  // pixels first: kernels/README.md, Threads), then blocks of output channels.
  const std::int64_t blocks = ceilDiv(outChannels, kMaxRows);
  const std::int64_t blockRows = ceilDiv(outChannels, blocks);
  const std::int64_t tasks =
      taskCount(args.pool, batch * outChannels * outH * outW * std::max<std::int64_t>(base.taps, 1),
                batch * outH * blocks);
  const std::int64_t bands = std::min(outH, std::max<std::int64_t>(1, ceilDiv(tasks, batch * blocks)));
  const bool step1 = p.stride[1] == 1;
  auto task = [&](std::int64_t t, int worker) {
    const std::int64_t block = t % blocks;
    const std::int64_t band = t / blocks % bands;
    const std::int64_t n = t / blocks / bands;
    Image im = base;
    im.x = args.inputs[0].as<float>() + n * channels * im.inH * im.inW;
    im.y = args.outputs[0].as<float>() + n * outChannels * outH * outW;
    im.residual = residual ? residual + n * outChannels * outH * outW : nullptr;
    const std::int64_t m0 = block * blockRows;
    const int rows = static_cast<int>(std::min(blockRows, outChannels - m0));
    if (rows <= 0) return;  // (blocks - 1) x blockRows can reach outChannels when it is huge
    // The block's weights tap by tap, `rows` output channels each: the tile's broadcasts
    // then read consecutive floats at fixed offsets (read from OIHW in place, each took an
    // address computed from the one before: a 24-long chain per tap, half the speed).
    // Few channels: on the stack (at most 12 x 4 x 7 x 7 floats); more: in scratch.
    alignas(64) float few[kMaxRows * kDirectMaxChannels * kDirectMaxKernel * kDirectMaxKernel];
    float* packed = channels <= kDirectMaxChannels ? few : reinterpret_cast<float*>(workerScratch(args, worker).data());
    for (std::int64_t tap = 0; tap < base.taps; ++tap) {
      for (int r = 0; r < rows; ++r) packed[tap * rows + r] = base.w[(m0 + r) * base.taps + tap];
    }
    im.packed = packed;
    for (std::int64_t oh = partBegin(outH, bands, band); oh < partBegin(outH, bands, band + 1); ++oh) {
      for (std::int64_t ow = 0; ow < outW; ow += kPixels) {
        if (step1) {
          tileRows<1>(rows, im, m0, oh, ow);
        } else {
          tileRows<2>(rows, im, m0, oh, ow);
        }
      }
    }
  };
  parallelFor(args.pool, batch * bands * blocks, task);
}

}  // namespace edgert::kernels::conv::x86
