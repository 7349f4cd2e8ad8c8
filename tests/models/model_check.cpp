// Compiles a real model with edgert, runs it on the input ort_reference.mjs wrote, and
// compares every output with ONNX Runtime's. Also checks the memory plan's quality
// (arena <= 1.05x the lower bound) and exports the case for replay on other targets.
// With --target x86_64 or aarch64 the image runs this CPU's fast kernel variants; it is
// not exported then (other architectures replay the export), and on a CPU that cannot run
// it the check exits 77 (ctest: skipped) saying why. With --target portable (one image for
// every architecture, each picking its own variants) the image runs this CPU's best and is
// exported as NAME.portable, which the aarch64 build replays with its NEON variants.
//
//   edgert-model-check MODEL.onnx REFDIR EXPORTDIR [--input NAME=DIMS] [--target TARGET]
#include "../conformance/compare.hpp"
#include "compile.hpp"
#include "edgert/kernels/cpu_features.hpp"
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/model.hpp"
#include "edgert/kernels/shape_check.hpp"
#include "edgert/runtime/npy.hpp"

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace edgert;

namespace {

std::string fileNameFor(std::string_view name) {
  std::string s;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    s += ok ? c : '_';
  }
  return s;
}

void writeFile(const fs::path& path, const std::vector<std::byte>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc % 2 != 0) {
    fmt::print(stderr,
               "usage: edgert-model-check MODEL.onnx REFDIR EXPORTDIR [--input NAME=DIMS] [--target TARGET]\n");
    return 64;
  }
  const fs::path modelPath = argv[1], refDir = argv[2], exportRoot = argv[3];
  const std::string name = modelPath.stem().string();
  compiler::ImportOptions options;
  compiler::ImageTargets targets;
  std::string targetName = "any";
  for (int i = 4; i < argc; i += 2) {
    const std::string_view option = argv[i];
    const std::string value = argv[i + 1];
    if (option == "--target") {
      auto parsed = compiler::parseImageTargets(value);
      if (!parsed) {
        fmt::print(stderr, "edgert-model-check: --target: {}\n", parsed.error().message());
        return 64;
      }
      targets = *parsed;
      targetName = value;
      continue;
    }
    const auto eq = value.find('=');
    auto dims = compiler::parseDims(std::string_view(value).substr(eq == std::string::npos ? 0 : eq + 1));
    if (option != "--input" || eq == std::string::npos || !dims) {
      fmt::print(stderr, "edgert-model-check: bad option {} {}\n", option, value);
      return 64;
    }
    options.inputShapes.emplace_back(value.substr(0, eq), *dims);
  }
  const model::Target target = targets.base;
  // A portable image (reference base, every architecture's fast variants) is exported too,
  // as NAME.portable: each architecture's replay runs its own variants of the same bytes.
  const bool portable = !targets.alternatives.empty();
  if (!compiler::hostRuns(target)) {
    fmt::print("{}: skipped: this CPU cannot run images for {} ({})\n", name, targetName,
               kernels::describe(kernels::cpuFeatures()));
    return 77;
  }

  auto compiled = compiler::compileOnnxFile(modelPath.string(), options, targets);
  if (!compiled) {
    fmt::print(stderr, "{}: compile failed: {}\n", name, compiled.error().message());
    return 1;
  }
  const compiler::ArenaPlan& plan = compiled->plan;
  const double ratio = plan.lowerBound ? static_cast<double>(plan.arenaBytes) / static_cast<double>(plan.lowerBound) : 1.0;
  fmt::print("{}: {} ops, arena {} bytes, lower bound {} bytes, ratio {:.3f}, image {} bytes\n", name,
             compiled->graph.nodes.size(), plan.arenaBytes, plan.lowerBound, ratio, compiled->image.size());
  bool ok = true;
  if (ratio > 1.05) {
    fmt::print("{}: FAIL arena is {:.3f}x the lower bound (target 1.05)\n", name, ratio);
    ok = false;
  }

  // Run on the peer's input.
  std::byte* image = static_cast<std::byte*>(std::aligned_alloc(64, (compiled->image.size() + 63) / 64 * 64));
  std::memcpy(image, compiled->image.data(), compiled->image.size());
  auto model = Model::fromBytes({image, compiled->image.size()}, name);
  if (!model) {
    fmt::print(stderr, "{}: {}\n", name, model.error().message());
    return 1;
  }
  auto engine = Engine::create(*model);
  auto input = readNpy((refDir / "input.npy").string());
  if (!engine || !input || (*engine)->inputs().size() != 1 || !((*engine)->inputs()[0].type == input->type)) {
    fmt::print(stderr, "{}: cannot bind {} to the model's input\n", name, (refDir / "input.npy").string());
    return 1;
  }
  std::memcpy((*engine)->inputs()[0].data, input->data.data(), input->data.size());
  (*engine)->invoke();

  const bool exporting = target == model::Target::kAny;
  const fs::path exportDir = exportRoot / (portable ? name + ".portable" : name);
  if (exporting) {
    fs::remove_all(exportDir);
    fs::create_directories(exportDir);
    writeFile(exportDir / "model.edgm", compiled->image);
    writeFile(exportDir / "in_0.npy", encodeNpy(input->type, input->data.data()));
  }
  const auto outputs = (*engine)->outputs();
  for (std::size_t j = 0; j < outputs.size(); ++j) {
    const fs::path refPath = refDir / ("ort_" + fileNameFor(outputs[j].name) + ".npy");
    auto want = readNpy(refPath.string());
    if (!want) {
      fmt::print("{}: FAIL {}\n", name, want.error().message());
      ok = false;
      continue;
    }
    // The largest deviation (reported even when within tolerance) and the output's scale.
    double maxAbs = 0, scale = 0;
    if (want->type == outputs[j].type && want->type.dtype == kernels::DType::kFloat32) {
      const float* g = reinterpret_cast<const float*>(outputs[j].data);
      const float* w = reinterpret_cast<const float*>(want->data.data());
      for (std::int64_t i = 0; i < want->type.shape.numel(); ++i) {
        maxAbs = std::max(maxAbs, std::fabs(double(g[i]) - double(w[i])));
        scale = std::max(scale, std::fabs(double(w[i])));
      }
    }
    const double atol = conformance::scaledAtol(want->type, want->data.data());
    const double rtol = conformance::kNetworkRtol;
    const std::string diff = conformance::compareTensors(outputs[j].type, outputs[j].data, want->type,
                                                         want->data.data(), rtol, atol);
    const double used = conformance::toleranceUsed(outputs[j].type, outputs[j].data, want->type,
                                                   want->data.data(), rtol, atol);
    fmt::print("{}: output '{}' {}: max |edgert - ORT| = {:.3g} (scale {:.3g}, tolerance {:.3g} + {:.0e} relative, "
               "{:.0f}% of it used){}\n",
               name, outputs[j].name, kernels::formatShape(outputs[j].type.shape), maxAbs, scale, atol, rtol,
               100 * used, diff.empty() ? "" : " FAIL " + diff);
    ok = ok && diff.empty();
    if (exporting) writeFile(exportDir / fmt::format("out_{}.npy", j), encodeNpy(want->type, want->data.data()));
  }
  // The fast variants split their work over the worker pool: on 2 and 3 threads the
  // outputs must be the single-threaded ones, bit for bit.
  for (int threads = 2; (target != model::Target::kAny || portable) && threads <= 3; ++threads) {
    auto pooled = Engine::create(*model, {}, Engine::Options{threads});
    if (!pooled) {
      fmt::print("{}: FAIL {} threads: {}\n", name, threads, pooled.error().message());
      ok = false;
      continue;
    }
    std::memcpy((*pooled)->inputs()[0].data, input->data.data(), input->data.size());
    (*pooled)->invoke();
    bool same = true;
    for (std::size_t j = 0; j < outputs.size(); ++j) {
      same = same && std::memcmp(outputs[j].data, (*pooled)->outputs()[j].data, outputs[j].type.bytes()) == 0;
    }
    fmt::print("{}: {} threads: outputs {}\n", name, threads,
               same ? "identical to 1 thread" : "FAIL differ from 1 thread");
    ok = ok && same;
  }
  std::free(image);
  fmt::print("{}: {}\n", name, ok ? "passed" : "FAILED");
  return ok ? 0 : 1;
}
