// edgert-test-model finite|nan|huge-arena OUT.edgm [SEED]: a tiny camera model image
// (test_models.hpp) for the service, bundle and CLI tests and the virtual boards; "nan"
// gives non-finite outputs; "huge-arena" is the finite one claiming a 32 TiB arena (valid,
// but no machine maps it).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "test_models.hpp"

int main(int argc, char** argv) {
  const std::string kind = argc >= 3 ? argv[1] : "";
  if (kind != "finite" && kind != "nan" && kind != "huge-arena") {
    std::fprintf(stderr, "usage: edgert-test-model finite|nan|huge-arena OUT.edgm [SEED]\n");
    return 64;
  }
  const int seed = argc > 3 ? std::atoi(argv[3]) : 1;
  using edgert::testing::TinyModelOutputs;
  auto image = edgert::testing::tinyCameraModel(kind == "nan" ? TinyModelOutputs::kNaN : TinyModelOutputs::kFinite, seed);
  if (kind == "huge-arena") image = edgert::testing::withArenaBytes(std::move(image), std::uint64_t{1} << 45);
  edgert::testing::writeImage(argv[2], image);
  return 0;
}
