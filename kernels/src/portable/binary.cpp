// Binary, portable fast variant: the reference's arithmetic, with the index math of
// elementwise_variants.hpp (rows, counters) instead of a division per element and axis.
// One float per "vector": the compiler vectorizes the row loops for the baseline ISA.
#include "../binary_rows.hpp"

namespace edgert::kernels::elementwise {
namespace {

struct ScalarVec {
  using Vec = float;
  static constexpr std::int64_t kWidth = 1;
  static float load(const float* p) { return *p; }
  static void store(float* p, float v) { *p = v; }
  static float splat(float x) { return x; }
  static float add(float a, float b) { return a + b; }
  static float sub(float a, float b) { return a - b; }
  static float mul(float a, float b) { return a * b; }
  static float div(float a, float b) { return a / b; }
  static float activate(const ActivationParams& p, float v) { return applyActivation(p, v); }
};

}  // namespace

void runBinaryPortable(const KernelArgs& args) { runBinaryWith<ScalarVec>(args); }

}  // namespace edgert::kernels::elementwise
