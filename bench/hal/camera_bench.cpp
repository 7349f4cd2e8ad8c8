// Frame source costs per frame: the synthetic pattern (a copy and a square), and JPEG
// decoding with libjpeg-turbo at camera sizes, which is what libv4lconvert runs for every
// frame of an MJPEG-only camera (Debian builds libv4lconvert with libjpeg): the CPU price of
// choosing format = "MJPEG".
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <vector>

#include "edgert/hal/camera.hpp"

// After <cstdio>: jpeglib.h needs FILE and size_t declared.
#include <jpeglib.h>

namespace {

using namespace std::chrono_literals;

void BM_SyntheticFrame(benchmark::State& state) {
  edgert::hal::CameraConfig config;
  config.width = static_cast<int>(state.range(0));
  config.height = static_cast<int>(state.range(1));
  config.realtime = false;
  auto source = edgert::hal::makeSyntheticSource(config);
  if (!source || !(*source)->start()) {
    state.SkipWithError("synthetic source did not start");
    return;
  }
  for (auto _ : state) {
    edgert::hal::Frame frame;
    (*source)->waitFrame(100ms, frame);
    (*source)->release(frame);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SyntheticFrame)->Args({640, 480})->Args({1280, 720})->Unit(benchmark::kMicrosecond);

// A camera-like JPEG (smooth gradients plus noise, quality 85, 4:2:2 like UVC MJPEG).
std::vector<unsigned char> encodeTestJpeg(int width, int height) {
  std::vector<unsigned char> rgb(static_cast<std::size_t>(width) * height * 3);
  std::mt19937 rng(3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      unsigned char* p = &rgb[(static_cast<std::size_t>(y) * width + x) * 3];
      p[0] = static_cast<unsigned char>(x * 255 / width + rng() % 16);
      p[1] = static_cast<unsigned char>(y * 255 / height + rng() % 16);
      p[2] = static_cast<unsigned char>((x + y) % 256);
    }
  }
  jpeg_compress_struct info{};
  jpeg_error_mgr err{};
  info.err = jpeg_std_error(&err);
  jpeg_create_compress(&info);
  unsigned char* out = nullptr;
  unsigned long outSize = 0;
  jpeg_mem_dest(&info, &out, &outSize);
  info.image_width = static_cast<JDIMENSION>(width);
  info.image_height = static_cast<JDIMENSION>(height);
  info.input_components = 3;
  info.in_color_space = JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, 85, TRUE);
  info.comp_info[0].h_samp_factor = 2;
  info.comp_info[0].v_samp_factor = 1;
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = &rgb[static_cast<std::size_t>(info.next_scanline) * width * 3];
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::vector<unsigned char> jpeg(out, out + outSize);
  std::free(out);
  return jpeg;
}

void BM_MjpegDecodeToRgb24(benchmark::State& state) {
  const int width = static_cast<int>(state.range(0));
  const int height = static_cast<int>(state.range(1));
  const std::vector<unsigned char> jpeg = encodeTestJpeg(width, height);
  std::vector<unsigned char> rgb(static_cast<std::size_t>(width) * height * 3);
  for (auto _ : state) {
    jpeg_decompress_struct info{};
    jpeg_error_mgr err{};
    info.err = jpeg_std_error(&err);
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, jpeg.data(), jpeg.size());
    jpeg_read_header(&info, TRUE);
    info.out_color_space = JCS_RGB;
    jpeg_start_decompress(&info);
    while (info.output_scanline < info.output_height) {
      JSAMPROW row = &rgb[static_cast<std::size_t>(info.output_scanline) * width * 3];
      jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    benchmark::DoNotOptimize(rgb.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["jpeg_bytes"] = static_cast<double>(jpeg.size());
}
BENCHMARK(BM_MjpegDecodeToRgb24)->Args({640, 480})->Args({1280, 720})->Unit(benchmark::kMicrosecond);

}  // namespace
