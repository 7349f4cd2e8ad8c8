// Runs conformance cases exported by edgert-conformance (model.edgm, in_<k>.npy,
// out_<j>.npy per case) with the device runtime alone: no protobuf, no compiler. This is
// how the runtime side of the conformance suite runs on aarch64 under qemu.
//
//   edgert-conformance-replay [--scaled-tolerance] DIR
//
// --scaled-tolerance: whole networks' tolerance, the absolute part following each
// output's scale (real models, see compare.hpp), as edgert-model-check uses.
#include "compare.hpp"
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/model.hpp"
#include "edgert/runtime/npy.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>

namespace fs = std::filesystem;
using namespace edgert;

namespace {

std::string runCase(const fs::path& dir, bool scaled) {
  auto model = Model::open((dir / "model.edgm").string());
  if (!model) return model.error().message();
  auto engine = Engine::create(*model);
  if (!engine) return engine.error().message();
  const auto inputs = (*engine)->inputs();
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    auto arr = readNpy((dir / fmt::format("in_{}.npy", k)).string());
    if (!arr) return arr.error().message();
    if (!(arr->type == inputs[k].type)) return fmt::format("in_{}.npy does not match input '{}'", k, inputs[k].name);
    if (!arr->data.empty()) std::memcpy(inputs[k].data, arr->data.data(), arr->data.size());
  }
  (*engine)->invoke();
  const auto outputs = (*engine)->outputs();
  for (std::size_t j = 0; j < outputs.size(); ++j) {
    auto want = readNpy((dir / fmt::format("out_{}.npy", j)).string());
    if (!want) return want.error().message();
    const double atol = scaled ? conformance::scaledAtol(want->type, want->data.data()) : conformance::kAtol;
    const double rtol = scaled ? conformance::kNetworkRtol : conformance::kRtol;
    const std::string diff = conformance::compareTensors(outputs[j].type, outputs[j].data, want->type,
                                                         want->data.data(), rtol, atol);
    if (!diff.empty()) return fmt::format("output {} '{}': {}", j, outputs[j].name, diff);
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  const bool scaled = argc == 3 && std::string_view(argv[1]) == "--scaled-tolerance";
  if (argc != 2 && !scaled) {
    fmt::print(stderr, "usage: edgert-conformance-replay [--scaled-tolerance] DIR\n");
    return 64;
  }
  const fs::path root = argv[argc - 1];
  std::vector<fs::path> cases;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory()) cases.push_back(it->path());
  }
  std::sort(cases.begin(), cases.end());
  if (cases.empty()) {
    fmt::print(stderr,
               "edgert-conformance-replay: no exported cases in {}: the host build's conformance test "
               "writes them (run `ctest --preset host` first)\n",
               root.string());
    return 1;
  }
  int passed = 0, failed = 0;
  for (const fs::path& c : cases) {
    const std::string problem = runCase(c, scaled);
    if (problem.empty()) {
      ++passed;
    } else {
      ++failed;
      fmt::print("FAIL {}: {}\n", c.filename().string(), problem);
    }
  }
  fmt::print("replay: {} passed, {} failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
