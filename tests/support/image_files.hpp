// PNG and JPEG files for tests (libpng's simplified API, libjpeg): still-image sources
// and the fuzz targets' seeds. Link PNG::PNG and JPEG::JPEG.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgert::testing {

// 8-bit RGB (channels 3) or grey (channels 1), rows packed. False when it cannot be written.
bool writePng(const std::string& path, const std::vector<std::uint8_t>& pixels, int width, int height,
              int channels = 3);
// Baseline JPEG of packed RGB at `quality` (1..100).
std::vector<std::uint8_t> encodeJpeg(const std::vector<std::uint8_t>& rgb, int width, int height, int quality);
bool writeJpeg(const std::string& path, const std::vector<std::uint8_t>& rgb, int width, int height, int quality);

}  // namespace edgert::testing
