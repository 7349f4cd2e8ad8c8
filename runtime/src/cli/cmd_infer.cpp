#include "commands.hpp"

#include "edgert/kernels/cpu_features.hpp"
#include "edgert/kernels/shape_check.hpp"
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/model.hpp"
#include "edgert/runtime/npy.hpp"

#include <algorithm>
#include <cstring>
#include <utility>
#include <sys/stat.h>

namespace edgert::cli {
namespace {

std::string describe(const kernels::TensorType& t) {
  return fmt::format("{} {}", kernels::dtypeName(t.dtype), kernels::formatShape(t.shape));
}

// Output names become file names: keep letters, digits, '-', '_' and '.'.
std::string fileNameFor(std::string_view name) {
  std::string s;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    s += ok ? c : '_';
  }
  if (s.empty() || s[0] == '.') s.insert(0, "out");
  return s;
}

}  // namespace

int runInfer(Args args, Io io) {
  std::optional<std::string> outDir;
  std::vector<std::string> inputsSpec;
  std::vector<std::string> positionals;
  if (int rc = parseOptions(args, io,
                            {{"out-dir", true, &outDir}, {"in", true, nullptr, &inputsSpec}},
                            positionals);
      rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  if (positionals.size() != 1 || !outDir) {
    print(io.err, "edgert infer: expected MODEL.edgm and --out-dir DIR\nRun 'edgert help infer' for its arguments.\n");
    return kExitUsage;
  }
  Result<Model> model = Model::open(positionals[0]);
  if (!model) {
    print(io.err, "edgert infer: {}\n", model.error().message());
    return model.error().code() == Errc::kNotFound ? kExitFailure : kExitDataInvalid;
  }
  auto engine = Engine::create(*model);
  if (!engine) {
    print(io.err, "edgert infer: {}\n", engine.error().message());
    return kExitFailure;
  }
  std::vector<bool> given((*engine)->inputs().size(), false);
  for (const std::string& spec : inputsSpec) {
    const std::size_t eq = spec.find('=');
    std::string name, path;
    if (eq == std::string::npos) {
      if ((*engine)->inputs().size() != 1) {
        print(io.err, "edgert infer: --in {}: the model has {} inputs; name them as NAME=FILE.npy\n", spec,
              (*engine)->inputs().size());
        return kExitUsage;
      }
      name = std::string((*engine)->inputs()[0].name);
      path = spec;
    } else {
      name = spec.substr(0, eq);
      path = spec.substr(eq + 1);
    }
    const Engine::Binding* b = (*engine)->findInput(name);
    if (b == nullptr) {
      std::string names;
      for (const auto& in : (*engine)->inputs()) names += fmt::format("{}'{}'", names.empty() ? "" : ", ", in.name);
      print(io.err, "edgert infer: the model has no input '{}' (inputs: {})\n", name, names);
      return kExitUsage;
    }
    Result<NpyArray> arr = readNpy(path);
    if (!arr) {
      print(io.err, "edgert infer: {}\n", arr.error().message());
      return kExitDataInvalid;
    }
    if (!(arr->type == b->type)) {
      print(io.err, "edgert infer: input '{}' is {}, but {} holds {}\n", name, describe(b->type), path,
            describe(arr->type));
      return kExitDataInvalid;
    }
    if (!arr->data.empty()) std::memcpy(b->data, arr->data.data(), arr->data.size());
    given[static_cast<std::size_t>(b - (*engine)->inputs().data())] = true;
  }
  for (std::size_t i = 0; i < given.size(); ++i) {
    if (!given[i]) {
      print(io.err, "edgert infer: no --in given for input '{}' ({})\n", (*engine)->inputs()[i].name,
            describe((*engine)->inputs()[i].type));
      return kExitUsage;
    }
  }
  (*engine)->invoke();
  ::mkdir(outDir->c_str(), 0755);  // an existing directory is fine; a failure shows on write
  for (const Engine::Binding& out : (*engine)->outputs()) {
    const std::string path = *outDir + "/" + fileNameFor(out.name) + ".npy";
    if (Result<void> w = writeNpy(path, out.type, out.data); !w) {
      print(io.err, "edgert infer: {}\n", w.error().message());
      return kExitFailure;
    }
    print(io.out, "{}: {} -> {}\n", out.name, describe(out.type), path);
  }
  return kExitOk;
}

std::string describeKernelChoice(const Model& m) {
  std::vector<std::pair<std::string_view, int>> counts;  // by variant, in order of first use
  std::size_t withAlternatives = 0;
  for (std::size_t k = 0; k < m.ops().size(); ++k) {
    const std::string_view name = m.variant(k).name;
    auto c = std::find_if(counts.begin(), counts.end(), [&](const auto& x) { return x.first == name; });
    if (c == counts.end()) c = counts.insert(counts.end(), {name, 0});
    ++c->second;
    withAlternatives += m.alternatives(k).empty() ? 0 : 1;
  }
  std::stable_sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out = fmt::format("kernels: {} ops:", m.ops().size());
  for (std::size_t i = 0; i < counts.size(); ++i) {
    out += fmt::format("{} {} {}", i ? "," : "", counts[i].second, counts[i].first);
  }
  if (withAlternatives > 0) {
    const model::Target t = m.header().target;
    out += fmt::format("; picked on this CPU ({}) from the alternatives of {} ops (an image for {})",
                       kernels::compiledArch(), withAlternatives,
                       t == model::Target::kAny ? "any CPU" : model::targetName(t));
  }
  return out;
}

int runInspect(Args args, Io io) {
  std::vector<std::string> positionals;
  if (int rc = parseOptions(args, io, {}, positionals); rc != kExitOk) return rc < 0 ? kExitOk : rc;
  if (positionals.size() != 1) {
    print(io.err, "edgert inspect: expected one MODEL.edgm\n");
    return kExitUsage;
  }
  Result<Model> model = Model::open(positionals[0]);
  if (!model) {
    print(io.err, "edgert inspect: invalid: {}\n", model.error().message());
    return model.error().code() == Errc::kNotFound ? kExitFailure : kExitDataInvalid;
  }
  const Model& m = *model;
  const model::Header& h = m.header();
  print(io.out, "model: {} ({} bytes, format version {})\n", m.sourceName(), m.fileBytes(), h.formatVersion);
  print(io.out, "checksum: ok ({:#018x}, XXH3-64)\n", h.checksum);
  print(io.out, "target: {}\n", h.target == model::Target::kAny ? "any CPU" : model::targetName(h.target));
  const double ratio = h.arenaLowerBound ? static_cast<double>(h.arenaBytes) / static_cast<double>(h.arenaLowerBound) : 1.0;
  print(io.out, "arena: {} bytes (lower bound {}, ratio {:.3f})\n", h.arenaBytes, h.arenaLowerBound, ratio);
  print(io.out, "weights: {} bytes\n", h.weights.bytes);
  for (const model::BindingRecord& b : m.bindings()) {
    print(io.out, "{}: {} {}\n", b.kind == model::BindingKind::kInput ? "input" : "output", m.string(b.name),
          describe(m.tensorType(b.tensor)));
  }
  print(io.out, "{}\n", describeKernelChoice(m));
  print(io.out, "ops: {}\n", m.ops().size());
  for (std::size_t k = 0; k < m.ops().size(); ++k) {
    const model::OpRecord& op = m.ops()[k];
    const auto code = static_cast<kernels::OpCode>(op.opcode);
    std::string operands;
    for (std::uint32_t t : m.opInputs(op)) {
      operands += operands.empty() ? "" : ", ";
      operands += t == model::kNoTensor ? std::string("-") : std::string(m.string(m.tensors()[t].name));
    }
    std::string alternatives;
    for (const model::VariantRecord& a : m.alternatives(k)) {
      const kernels::KernelVariant* v = kernels::findVariant(code, a.variant);
      alternatives += fmt::format("{}{}", alternatives.empty() ? " [of " : ", ",
                                  v ? std::string(v->name) : fmt::format("variant {} (not in this build)", a.variant));
    }
    if (!alternatives.empty()) alternatives += fmt::format(", {}]", kernels::findVariant(code, op.variant)->name);
    print(io.out, "  {:>4} {:<18} {:<6} {:<28} ({}) -> {}{}\n", k, kernels::findOp(code)->name,
          m.variant(k).name, m.string(op.name), operands, m.string(m.tensors()[m.opOutputs(op)[0]].name),
          alternatives);
  }
  print(io.out, "tensors: {}\n", m.tensors().size());
  for (std::size_t t = 0; t < m.tensors().size(); ++t) {
    const model::TensorRecord& r = m.tensors()[t];
    print(io.out, "  {:>4} {:<36} {:<24} {:>6} {:>10} @ {}\n", t, m.string(r.name),
          describe(m.tensorType(static_cast<std::uint32_t>(t))),
          r.storage == model::Storage::kArena ? "arena" : "weight", r.bytes, r.offset);
  }
  return kExitOk;
}

}  // namespace edgert::cli
