// A NaN, +inf or -inf reaching the fused epilogue comes out of every Conv variant this build
// and CPU run as it comes out of the reference kernel (activation.hpp): Relu(NaN) = 0,
// Clip(NaN) = NaN, HardSigmoid(NaN) = 1, and so on. The NEON epilogue once used vmaxq/vminq,
// which return NaN where the reference gives 0 or 1.
#include "conv_variant_check.hpp"

#include <cmath>
#include <cstring>

namespace edgert::kernels::test {
namespace {

// One case of each Conv variant family: pointwise, depthwise 3x3 and a general 3x3.
std::vector<ConvCase> casesFor(const KernelVariant& v) {
  ConvCase pointwise;
  pointwise.channels = 8, pointwise.outChannels = 16, pointwise.height = 5, pointwise.width = 7;
  pointwise.params.hasBias = 1;
  ConvCase depthwise = pointwise;
  depthwise.outChannels = 8;
  depthwise.params.kernel[0] = depthwise.params.kernel[1] = 3;
  depthwise.params.padBegin[0] = depthwise.params.padBegin[1] = 1;
  depthwise.params.padEnd[0] = depthwise.params.padEnd[1] = 1;
  depthwise.params.group = 8;
  ConvCase general = depthwise;
  general.outChannels = 16;
  general.params.group = 1;
  std::vector<ConvCase> out;
  for (const ConvCase& c : {pointwise, depthwise, general}) {
    if (variantApplies(v, c)) out.push_back(c);
  }
  return out;
}

bool sameFloat(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

TEST(ConvEpilogue, NonFiniteInputsGiveTheReferenceOutputOnEveryVariant) {
  int checked = 0;
  for (const KernelVariant& v : allVariants()) {
    if (v.code != OpCode::kConv || !runsHere(v)) continue;
    for (ConvCase c : casesFor(v)) {
      for (int act = 1; act < 9; ++act) {
        c.params.activation = activationNumber(act);
        SCOPED_TRACE(std::string(v.name) + ": " + describeCase(c));
        std::vector<TensorType> types;
        TensorType yType;
        ASSERT_TRUE(convTypes(c, types, yType));
        types.resize(3);
        std::vector<std::vector<float>> data(3);
        for (std::size_t i = 0; i < 3; ++i) data[i].assign(static_cast<std::size_t>(types[i].shape.numel()), 0.25f);
        // Non-finite values in X at three pixels of channel 0 (each poisons the outputs
        // that read it): NaN, +inf, -inf.
        const std::int64_t plane = c.height * c.width;
        data[0][static_cast<std::size_t>(1)] = std::numeric_limits<float>::quiet_NaN();
        data[0][static_cast<std::size_t>(plane / 2)] = std::numeric_limits<float>::infinity();
        data[0][static_cast<std::size_t>(plane - 2)] = -std::numeric_limits<float>::infinity();
        std::vector<InTensor> ins(3);
        for (std::size_t i = 0; i < 3; ++i) {
          ins[i].type = types[i];
          ins[i].data = reinterpret_cast<const std::byte*>(data[i].data());
        }
        const std::size_t n = static_cast<std::size_t>(yType.shape.numel());
        std::vector<float> want(n), got(n);
        runReference(OpCode::kConv, &c.params, ins, OutTensor{reinterpret_cast<std::byte*>(want.data()), yType});
        const std::uint64_t scratchBytes =
            v.scratch ? v.scratch(&c.params, types, std::span<const TensorType>(&yType, 1)) : 0;
        std::vector<std::byte> scratchStore(static_cast<std::size_t>(scratchBytes) + 64);
        auto* base = reinterpret_cast<std::byte*>((reinterpret_cast<std::uintptr_t>(scratchStore.data()) + 63) / 64 * 64);
        const OutTensor out{reinterpret_cast<std::byte*>(got.data()), yType};
        runWithoutAllocating(v, KernelArgs{&c.params, ins, std::span<const OutTensor>(&out, 1),
                                           std::span<std::byte>(base, static_cast<std::size_t>(scratchBytes))});
        int reported = 0;
        for (std::size_t i = 0; i < n && reported < 3; ++i) {
          // Finite outputs may differ in their last bits (the sums' order); non-finite
          // sums must come out exactly as the reference's.
          const bool exact = !std::isfinite(want[i]) || std::isnan(got[i]) || std::isinf(got[i]) ||
                             want[i] == 0.0f || want[i] == 1.0f;
          if (exact ? !sameFloat(got[i], want[i]) : std::fabs(got[i] - want[i]) > 1e-5f * (1 + std::fabs(want[i]))) {
            ADD_FAILURE() << "Y[" << i << "] = " << got[i] << ", reference " << want[i];
            ++reported;
          }
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0) << "no Conv variant runs here";
  std::printf("checked %d variant, case and activation combinations\n", checked);
}

}  // namespace
}  // namespace edgert::kernels::test
