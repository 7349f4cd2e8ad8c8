// edgert-test-model finite|nan OUT.edgm [SEED]: a tiny camera model image (test_models.hpp)
// for the service and bundle tests and the virtual boards; "nan" gives non-finite outputs.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "test_models.hpp"

int main(int argc, char** argv) {
  if (argc < 3 || (std::string(argv[1]) != "finite" && std::string(argv[1]) != "nan")) {
    std::fprintf(stderr, "usage: edgert-test-model finite|nan OUT.edgm [SEED]\n");
    return 64;
  }
  const auto kind = std::string(argv[1]) == "nan" ? edgert::testing::TinyModelOutputs::kNaN
                                                  : edgert::testing::TinyModelOutputs::kFinite;
  edgert::testing::writeTinyCameraModel(argv[2], kind, argc > 3 ? std::atoi(argv[3]) : 1);
  return 0;
}
