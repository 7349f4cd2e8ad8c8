// Small model images made in-process (the image writer, no ONNX), for tests that need a
// model a camera can feed: float32 input 1x3x32x32 ("image"), one Conv 3x3, output 1x4x32x32.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace edgert::testing {

enum class TinyModelOutputs { kFinite, kNaN };

// `seed` varies the weights, so two images differ (two bundle versions). `portable`: the
// conv also carries every fast Conv variant of every architecture that applies to it, as
// alternatives (model format 3), as edgert-compile's default image does.
std::vector<std::byte> tinyCameraModel(TinyModelOutputs outputs, int seed = 1, bool portable = false);

// Writes it to `path`; aborts the test binary on failure.
void writeTinyCameraModel(const std::string& path, TinyModelOutputs outputs, int seed = 1);

// The image with its header's arena size replaced (and the checksum made anew): a valid
// image whose arena may be too big to map.
std::vector<std::byte> withArenaBytes(std::vector<std::byte> image, std::uint64_t arenaBytes);
void writeImage(const std::string& path, const std::vector<std::byte>& bytes);

}  // namespace edgert::testing
