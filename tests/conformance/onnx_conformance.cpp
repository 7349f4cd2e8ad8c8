// Runs Debian's ONNX backend conformance cases (libonnx-testdata, data/node/) through
// edgert: compile each model, run every test data set, compare with the expected outputs.
// Prints one line per case, a table per operator, and "N passed, N failed, N skipped".
// A case is skipped only when the compiler rejects it as unsupported (an operator, an
// attribute value or an element type edgert does not have), and the reason is printed.
//
//   edgert-conformance [--data DIR] [--filter TEXT] [--export DIR] [--quiet]
//
// --export writes every passing case as a model image with .npy inputs and expected
// outputs, for `edgert-conformance-replay` to run on another target (aarch64 under qemu).
#include "compare.hpp"
#include "compile.hpp"
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/model.hpp"
#include "edgert/runtime/npy.hpp"
#include "onnx_import.hpp"
#include "onnx_tensor.hpp"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace fs = std::filesystem;
using namespace edgert;

namespace {

// Operands that a static runtime needs at compile time: the driver freezes them to the
// test's values (the importer then treats them as constants).
const std::map<std::string, std::set<int>> kShapeOperands = {
    {"Reshape", {1}},   {"Slice", {1, 2, 3, 4}}, {"Pad", {1, 2}},        {"Squeeze", {1}},
    {"Unsqueeze", {1}}, {"Resize", {1, 2, 3}},   {"Clip", {1, 2}},       {"ReduceMean", {1}},
    {"Upsample", {1}},  {"ConstantOfShape", {0}},  {"Dropout", {1, 2}},     {"ReduceSum", {1}},
    {"Split", {1}},     {"Expand", {1}},         {"Tile", {1}},         {"TopK", {1}},
    {"Trilu", {1}},     {"Range", {0, 1, 2}},    {"NonMaxSuppression", {2, 3, 4}},
};

Result<onnx::TensorProto> readTensor(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  onnx::TensorProto t;
  if (!in || !t.ParseFromIstream(&in)) return makeError(Errc::kParse, "{}: not a TensorProto", path.string());
  return t;
}

struct CaseResult {
  enum Kind { kPass, kFail, kSkip } kind;
  std::string detail;
  std::set<std::string> ops;
};

struct AlignedCopy {
  explicit AlignedCopy(const std::vector<std::byte>& v) : size(v.size()) {
    data = static_cast<std::byte*>(std::aligned_alloc(64, (size + 63) / 64 * 64 + 64));
    std::memcpy(data, v.data(), size);
  }
  ~AlignedCopy() { std::free(data); }
  std::byte* data;
  std::size_t size;
};

CaseResult runCase(const fs::path& dir, const fs::path& exportDir) {
  CaseResult r{CaseResult::kFail, "", {}};
  onnx::ModelProto model;
  {
    std::ifstream in(dir / "model.onnx", std::ios::binary);
    if (!in || !model.ParseFromIstream(&in)) {
      r.detail = "cannot read model.onnx";
      return r;
    }
  }
  for (const auto& n : model.graph().node()) r.ops.insert(n.op_type());

  // Graph inputs that are not initializers, in order: input_<i>.pb matches them.
  std::set<std::string> initializers;
  for (const auto& init : model.graph().initializer()) initializers.insert(init.name());
  std::vector<std::string> inputs;
  for (const auto& in : model.graph().input()) {
    if (!initializers.count(in.name())) inputs.push_back(in.name());
  }
  std::set<std::string> frozenNames;
  for (const auto& n : model.graph().node()) {
    auto it = kShapeOperands.find(n.op_type());
    if (it == kShapeOperands.end()) continue;
    for (int i : it->second) {
      if (i < n.input_size() && std::find(inputs.begin(), inputs.end(), n.input(i)) != inputs.end()) {
        frozenNames.insert(n.input(i));
      }
    }
  }

  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  }
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) {
    r.detail = "no test data sets";
    return r;
  }

  compiler::ImportOptions options;
  // Dynamic dimensions take the first data set's shapes, as a user gives them with --input.
  for (const auto& in : model.graph().input()) {
    const auto at = std::find(inputs.begin(), inputs.end(), in.name());
    if (at == inputs.end() || frozenNames.count(in.name()) || !in.type().has_tensor_type()) continue;
    const auto& dims = in.type().tensor_type().shape().dim();
    if (std::all_of(dims.begin(), dims.end(), [](const auto& d) { return d.has_dim_value(); })) continue;
    auto t = readTensor(sets[0] / fmt::format("input_{}.pb", at - inputs.begin()));
    if (!t) continue;  // the import names the dynamic dimension
    kernels::Shape shape;
    for (std::int64_t d : t->dims()) {
      if (shape.rank == kernels::kMaxRank) break;
      shape.dims[shape.rank++] = d;
    }
    options.inputShapes.emplace_back(in.name(), shape);
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!frozenNames.count(inputs[i])) continue;
    auto t = readTensor(sets[0] / fmt::format("input_{}.pb", i));
    if (!t) {
      r.detail = t.error().message();
      return r;
    }
    auto frozen = compiler::tensorFromProto(*t);
    if (!frozen) {
      r.kind = frozen.error().code() == Errc::kUnsupported ? CaseResult::kSkip : CaseResult::kFail;
      r.detail = frozen.error().message();
      return r;
    }
    frozen->name = inputs[i];
    options.frozenInputs.push_back(std::move(*frozen));
  }

  auto graph = compiler::importOnnxModel(model, options);
  if (!graph) {
    r.kind = graph.error().code() == Errc::kUnsupported ? CaseResult::kSkip : CaseResult::kFail;
    r.detail = graph.error().message();
    return r;
  }
  auto compiled = compiler::compileGraph(std::move(*graph));
  if (!compiled) {
    r.kind = compiled.error().code() == Errc::kUnsupported ? CaseResult::kSkip : CaseResult::kFail;
    r.detail = compiled.error().message();
    return r;
  }
  AlignedCopy image(compiled->image);
  auto m = Model::fromBytes({image.data, image.size}, dir.filename().string());
  if (!m) {
    r.detail = m.error().message();
    return r;
  }
  auto engine = Engine::create(*m);
  if (!engine) {
    r.detail = engine.error().message();
    return r;
  }

  const fs::path caseExport = exportDir.empty() ? fs::path() : exportDir / dir.filename();
  std::vector<std::pair<std::string, std::vector<std::byte>>> exported;  // file -> bytes
  for (std::size_t s = 0; s < sets.size(); ++s) {
    std::size_t bound = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      auto t = readTensor(sets[s] / fmt::format("input_{}.pb", i));
      if (!t) {
        r.detail = t.error().message();
        return r;
      }
      auto value = compiler::tensorFromProto(*t);
      if (!value) {
        r.kind = value.error().code() == Errc::kUnsupported ? CaseResult::kSkip : CaseResult::kFail;
        r.detail = value.error().message();
        return r;
      }
      if (frozenNames.count(inputs[i])) continue;  // compiled in
      const Engine::Binding* b = (*engine)->findInput(inputs[i]);
      if (b == nullptr || !(b->type == value->type)) {
        r.detail = fmt::format("input '{}' does not match the compiled model", inputs[i]);
        return r;
      }
      if (!value->data.empty()) std::memcpy(b->data, value->data.data(), value->data.size());
      if (s == 0) exported.emplace_back(fmt::format("in_{}.npy", bound), encodeNpy(value->type, value->data.data()));
      ++bound;
    }
    (*engine)->invoke();
    const auto outs = (*engine)->outputs();
    // Engine output j against ONNX output k. An output padded to a static bound is followed
    // by its row count ("<name>_count", NonMaxSuppression's): ONNX's rows, padded with -1 to
    // the bound, and their count are what edgert must give.
    std::size_t k = 0;
    for (std::size_t j = 0; j < outs.size(); ++j, ++k) {
      auto t = readTensor(sets[s] / fmt::format("output_{}.pb", k));
      if (!t) {
        r.detail = t.error().message();
        return r;
      }
      auto want = compiler::tensorFromProto(*t);
      if (!want) {
        r.kind = want.error().code() == Errc::kUnsupported ? CaseResult::kSkip : CaseResult::kFail;
        r.detail = want.error().message();
        return r;
      }
      std::vector<std::pair<kernels::TensorType, std::vector<std::byte>>> expected;
      const bool padded = j + 1 < outs.size() && outs[j + 1].name == std::string(outs[j].name) + "_count";
      if (padded) {
        const kernels::TensorType& got = outs[j].type;
        if (want->type.dtype != got.dtype || want->type.shape.rank != got.shape.rank ||
            want->type.shape.dims[0] > got.shape.dims[0]) {
          r.detail = fmt::format("output {} '{}': {} rows do not fit the bound {}", k, outs[j].name,
                                 want->type.shape.dims[0], got.shape.dims[0]);
          return r;
        }
        std::vector<std::byte> full(got.bytes(), std::byte{0xFF});  // -1 in every int64
        std::memcpy(full.data(), want->data.data(), want->data.size());
        const std::int64_t rows = want->type.shape.dims[0];
        std::vector<std::byte> count(sizeof rows);
        std::memcpy(count.data(), &rows, sizeof rows);
        expected.emplace_back(got, std::move(full));
        expected.emplace_back(outs[j + 1].type, std::move(count));
      } else {
        expected.emplace_back(want->type, std::move(want->data));
      }
      for (std::size_t e = 0; e < expected.size(); ++e) {
        const std::size_t at = j + e;
        const auto& [type, bytes] = expected[e];
        const std::string diff = conformance::compareTensors(outs[at].type, outs[at].data, type, bytes.data());
        if (!diff.empty()) {
          r.detail = fmt::format("{} output {} '{}': {}", sets[s].filename().string(), at, outs[at].name, diff);
          return r;
        }
        if (s == 0) exported.emplace_back(fmt::format("out_{}.npy", at), encodeNpy(type, bytes.data()));
      }
      j += expected.size() - 1;
    }
  }
  if (!caseExport.empty()) {
    fs::create_directories(caseExport);
    std::ofstream(caseExport / "model.edgm", std::ios::binary)
        .write(reinterpret_cast<const char*>(compiled->image.data()), static_cast<std::streamsize>(compiled->image.size()));
    for (const auto& [name, bytes] : exported) {
      std::ofstream(caseExport / name, std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
  }
  r.kind = CaseResult::kPass;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path data = "/usr/share/libonnx-testdata/data/node";
  fs::path exportDir;
  std::string filter;
  bool quiet = false;
  int minPassed = 1;  // a run that passes nothing has tested nothing
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--data" && i + 1 < argc) {
      data = argv[++i];
    } else if (a == "--export" && i + 1 < argc) {
      exportDir = argv[++i];
    } else if (a == "--filter" && i + 1 < argc) {
      filter = argv[++i];
    } else if (a == "--quiet") {
      quiet = true;
    } else if (a == "--min-passed" && i + 1 < argc) {
      minPassed = std::atoi(argv[++i]);
    } else {
      fmt::print(stderr, "usage: edgert-conformance [--data DIR] [--filter TEXT] [--export DIR] [--min-passed N] [--quiet]\n");
      return 64;
    }
  }
  if (!fs::is_directory(data)) {
    fmt::print(stderr, "edgert-conformance: {} is not a directory (install libonnx-testdata)\n", data.string());
    return 1;
  }
  if (!exportDir.empty()) {
    fs::remove_all(exportDir);
    fs::create_directories(exportDir);
  }
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(data)) {
    if (e.is_directory() && e.path().filename().string().find(filter) != std::string::npos) cases.push_back(e.path());
  }
  std::sort(cases.begin(), cases.end());

  struct Counts {
    int pass = 0, fail = 0, skip = 0;
  };
  std::map<std::string, Counts> byOp;
  std::map<std::string, int> skipReasons;
  Counts total;
  std::vector<std::string> failures;
  for (const fs::path& c : cases) {
    const CaseResult r = runCase(c, exportDir);
    const std::string name = c.filename().string();
    const char* tag = r.kind == CaseResult::kPass ? "PASS" : r.kind == CaseResult::kFail ? "FAIL" : "SKIP";
    if (!quiet || r.kind == CaseResult::kFail) {
      fmt::print("{} {}{}{}\n", tag, name, r.detail.empty() ? "" : ": ", r.detail);
    }
    for (const std::string& op : r.ops) {
      Counts& k = byOp[op];
      (r.kind == CaseResult::kPass ? k.pass : r.kind == CaseResult::kFail ? k.fail : k.skip)++;
    }
    if (r.kind == CaseResult::kPass) ++total.pass;
    if (r.kind == CaseResult::kFail) {
      ++total.fail;
      failures.push_back(name + ": " + r.detail);
    }
    if (r.kind == CaseResult::kSkip) {
      ++total.skip;
      // Group reasons without the node name: "unsupported operator X (opset N)".
      std::string reason = r.detail;
      if (auto at = reason.find(" at node "); at != std::string::npos) reason.resize(at);
      ++skipReasons[reason];
    }
  }

  fmt::print("\n{:<28} {:>6} {:>6} {:>7}\n", "operator (cases using it)", "passed", "failed", "skipped");
  for (const auto& [op, k] : byOp) {
    if (k.pass + k.fail == 0) continue;  // operators edgert does not support are listed below
    fmt::print("{:<28} {:>6} {:>6} {:>7}\n", op, k.pass, k.fail, k.skip);
  }
  fmt::print("\nskipped, by reason:\n");
  for (const auto& [reason, n] : skipReasons) fmt::print("  {:>4}  {}\n", n, reason);
  if (!failures.empty()) {
    fmt::print("\nfailed:\n");
    for (const std::string& f : failures) fmt::print("  {}\n", f);
  }
  fmt::print("\nconformance: {} passed, {} failed, {} skipped\n", total.pass, total.fail, total.skip);
  if (total.pass < minPassed) fmt::print("conformance: {} passed, fewer than the {} expected\n", total.pass, minPassed);
  return total.fail == 0 && total.pass >= minPassed ? 0 : 1;
}
