// make_fuzz_seeds DIR: small valid inputs for the fuzz targets of the camera's file sources
// and of .npy, each with the selector byte its target reads first (still_image_fuzz: bit 0
// 0 = PNG, 1 = JPEG; video_file_fuzz: the low two bits pick YUYV, NV12 or Y4M and the
// next bits the raw frame size). Written with libpng, libjpeg and the project's .npy
// encoder, so the fuzzers start from files the decoders accept.
#include <png.h>
#include <jpeglib.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "edgert/runtime/npy.hpp"

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

// An RGB gradient, w x h.
std::vector<std::uint8_t> pixels(int w, int h) {
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(w * h * 3));
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<std::uint8_t>(i * 29);
  return rgb;
}

std::vector<std::uint8_t> png(int w, int h, int colorType) {
  const std::string tmp = "/tmp/make_fuzz_seeds.png";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) die("cannot write " + tmp);
  png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(p);
  if (setjmp(png_jmpbuf(p))) die("libpng failed");
  png_init_io(p, f);
  const int channels = colorType == PNG_COLOR_TYPE_GRAY ? 1 : 3;
  png_set_IHDR(p, info, static_cast<png_uint_32>(w), static_cast<png_uint_32>(h), 8, colorType, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(p, info);
  std::vector<std::uint8_t> data = pixels(w, h);
  for (int y = 0; y < h; ++y) png_write_row(p, data.data() + static_cast<std::size_t>(y * w * channels));
  png_write_end(p, nullptr);
  png_destroy_write_struct(&p, &info);
  std::fclose(f);
  return readBack(tmp);
}

std::vector<std::uint8_t> jpeg(int w, int h) {
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* out = nullptr;
  unsigned long outSize = 0;
  jpeg_mem_dest(&c, &out, &outSize);
  c.image_width = static_cast<JDIMENSION>(w);
  c.image_height = static_cast<JDIMENSION>(h);
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 80, TRUE);
  jpeg_start_compress(&c, TRUE);
  std::vector<std::uint8_t> data = pixels(w, h);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = data.data() + static_cast<std::size_t>(c.next_scanline) * static_cast<std::size_t>(w) * 3;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  std::vector<std::uint8_t> bytes(out, out + outSize);
  jpeg_destroy_compress(&c);
  std::free(out);
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
  // still_image_fuzz
  writeBytes(dir + "/still-rgb.png", 0, png(8, 6, PNG_COLOR_TYPE_RGB));
  writeBytes(dir + "/still-gray.png", 0, png(5, 3, PNG_COLOR_TYPE_GRAY));
  writeBytes(dir + "/still.jpg", 1, jpeg(16, 8));
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
