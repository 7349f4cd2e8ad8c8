// make_fuzz_seeds DIR: small valid inputs for the fuzz targets of the camera's file sources,
// of .npy and of the model loader (a portable image), each with the selector byte its target reads first (still_image_fuzz: bit 0
// 0 = PNG, 1 = JPEG; video_file_fuzz: the low two bits pick YUYV, NV12 or Y4M and the
// next bits the raw frame size). Written with the tests' PNG and JPEG writers and the
// project's .npy encoder, so the fuzzers start from files the decoders accept.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "edgert/runtime/npy.hpp"
#include "support/image_files.hpp"
#include "support/test_models.hpp"

namespace {

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "make_fuzz_seeds: %s\n", why.c_str());
  std::exit(1);
}

void writeBytes(const std::string& path, std::uint8_t selector, const std::vector<std::uint8_t>& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) die("cannot write " + path);
  std::fputc(selector, f);
  if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

std::vector<std::uint8_t> readBack(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) die("cannot read " + path);
  std::vector<std::uint8_t> bytes;
  for (int c; (c = std::fgetc(f)) != EOF;) bytes.push_back(static_cast<std::uint8_t>(c));
  std::fclose(f);
  return bytes;
}

// A gradient of w x h pixels of `channels` bytes.
std::vector<std::uint8_t> pixels(int w, int h, int channels) {
  std::vector<std::uint8_t> v(static_cast<std::size_t>(w * h * channels));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(i * 29);
  return v;
}

std::vector<std::uint8_t> png(const std::string& dir, int w, int h, int channels) {
  const std::string tmp = dir + "/.seed.png";
  if (!edgert::testing::writePng(tmp, pixels(w, h, channels), w, h, channels)) die("cannot write " + tmp);
  std::vector<std::uint8_t> bytes = readBack(tmp);
  std::remove(tmp.c_str());
  return bytes;
}

std::vector<std::uint8_t> y4m(const std::string& header, std::size_t frameBytes, int frames) {
  std::vector<std::uint8_t> bytes(header.begin(), header.end());
  for (int f = 0; f < frames; ++f) {
    const std::string tag = "FRAME\n";
    bytes.insert(bytes.end(), tag.begin(), tag.end());
    for (std::size_t i = 0; i < frameBytes; ++i) bytes.push_back(static_cast<std::uint8_t>(i * 7 + f));
  }
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) die("usage: make_fuzz_seeds DIR");
  const std::string dir = argv[1];
  // model_fuzz: a portable image (format 3, per-op alternatives), beside the exported ones
  // (single-target, format 2), so the loader's variants section is fuzzed from a valid one.
  edgert::testing::writeImage(dir + "/portable.edgm",
                              edgert::testing::tinyCameraModel(edgert::testing::TinyModelOutputs::kFinite, 1, true));
  // still_image_fuzz
  writeBytes(dir + "/still-rgb.png", 0, png(dir, 8, 6, 3));
  writeBytes(dir + "/still-gray.png", 0, png(dir, 5, 3, 1));
  writeBytes(dir + "/still.jpg", 1, edgert::testing::encodeJpeg(pixels(16, 8, 3), 16, 8, 80));
  // video_file_fuzz: a selector of 2 = Y4M; raw sizes come from bits 2..7 (w = 2 * (1 + bits 2-4),
  // h = 2 * (1 + bits 5-7)): 0b011'001'00 is 4x8.
  writeBytes(dir + "/video-420.y4m", 2, y4m("YUV4MPEG2 W16 H8 F30:1 Ip A1:1 C420jpeg\n", 16 * 8 * 3 / 2, 2));
  writeBytes(dir + "/video-422.y4m", 2, y4m("YUV4MPEG2 W8 H4 F25:1 C422\n", 8 * 4 * 2, 3));
  const std::uint8_t raw4x8 = 0b011'001'00;
  writeBytes(dir + "/video.yuyv", raw4x8, std::vector<std::uint8_t>(4 * 8 * 2 * 2, 0x80));
  writeBytes(dir + "/video.nv12", raw4x8 | 1, std::vector<std::uint8_t>(4 * 8 * 3 / 2 * 2, 0x40));
  // npy_fuzz (no selector byte: write the encoded array as it is)
  const float values[6] = {0.5F, -1.0F, 2.0F, 0.0F, 3.5F, -0.25F};
  edgert::kernels::TensorType t;
  t.dtype = edgert::kernels::DType::kFloat32;
  t.shape = edgert::kernels::Shape::of({2, 3});
  if (!edgert::writeNpy(dir + "/array-f32.npy", t, reinterpret_cast<const std::byte*>(values))) die("npy");
  const std::int64_t ints[4] = {1, -2, 3, 1LL << 40};
  t.dtype = edgert::kernels::DType::kInt64;
  t.shape = edgert::kernels::Shape::of({4});
  if (!edgert::writeNpy(dir + "/array-i64.npy", t, reinterpret_cast<const std::byte*>(ints))) die("npy");
  return 0;
}
