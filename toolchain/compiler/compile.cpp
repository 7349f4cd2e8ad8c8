#include "compile.hpp"

#include "edgert/kernels/activation.hpp"
#include "edgert/kernels/cpu_features.hpp"
#include "edgert/kernels/registry.hpp"
#include "edgert/kernels/shape_check.hpp"
#include "edgert/runtime/model.hpp"
#include "image_writer.hpp"
#include "passes/passes.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace edgert::compiler {
namespace {

// Loads the image with the device's loader: whatever the compiler writes must pass the
// same validation the device applies (bounds, parameters, shapes, the memory plan).
Result<void> verifyWithLoader(const std::vector<std::byte>& image) {
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  const std::size_t bytes = (image.size() + 63) / 64 * 64;
  std::unique_ptr<std::byte, Free> copy(static_cast<std::byte*>(std::aligned_alloc(64, bytes)));
  if (!copy) return makeError(Errc::kNoMemory, "cannot allocate {} bytes", bytes);
  std::memcpy(copy.get(), image.data(), image.size());
  Result<Model> model = Model::fromBytes({copy.get(), image.size()}, "compiled image");
  if (!model) {
    return makeError(Errc::kInternal, "the compiler wrote an image the loader rejects: {}",
                     model.error().message());
  }
  return success();
}

std::string describeOp(const Node& node) {
  std::string s(kernels::findOp(node.op)->name);
  // "+Relu" and the like for a fused activation, nothing for none.
  auto act = [](const kernels::ActivationParams& a) -> const char* {
    return a.kind == kernels::Activation::kNone ? nullptr : kernels::activationName(a.kind).data();
  };
  if (node.op == kernels::OpCode::kConv) {
    const auto p = node.paramsAs<kernels::ConvParams>();
    if (p.hasBias) s += "+bias";
    if (p.hasResidual) s += "+residual";
    if (const char* a = act(p.activation)) s += fmt::format("+{}", a);
  } else if (node.op == kernels::OpCode::kBinary) {
    const auto p = node.paramsAs<kernels::BinaryParams>();
    constexpr const char* kNames[] = {"Add", "Sub", "Mul", "Div"};
    s = static_cast<unsigned>(p.op) < 4 ? kNames[static_cast<unsigned>(p.op)] : "Binary";
    if (const char* a = act(p.activation)) s += fmt::format("+{}", a);
  } else if (node.op == kernels::OpCode::kActivation) {
    const auto p = node.paramsAs<kernels::ActivationParams>();
    if (const char* a = act(p)) s = a;
  }
  return s;
}

}  // namespace

Result<kernels::Shape> parseDims(std::string_view text) {
  kernels::Shape shape;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t x = text.find('x', pos);
    const std::string_view part = text.substr(pos, x == std::string_view::npos ? std::string_view::npos : x - pos);
    std::int64_t d = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), d);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || d <= 0 ||
        shape.rank == kernels::kMaxRank) {
      return makeError(Errc::kInvalidArgument,
                       "'{}': expected dimensions like 1x3x224x224 (positive, at most {})", text,
                       kernels::kMaxRank);
    }
    shape.dims[shape.rank++] = d;
    if (x == std::string_view::npos) break;
    pos = x + 1;
  }
  return shape;
}

bool hostRuns(model::Target target) {
  const std::string_view arch = kernels::compiledArch();
  const kernels::CpuFeatures& f = kernels::cpuFeatures();
  switch (target) {
    case model::Target::kAny: return true;
    case model::Target::kX86_64: return arch == "x86_64" && f.avx2 && f.fma;
    case model::Target::kX86_64Avx512:
      return arch == "x86_64" && f.avx2 && f.fma && f.avx512f && f.avx512bw && f.avx512vl;
    case model::Target::kAarch64: return arch == "aarch64" && f.neon;
  }
  return false;
}

model::Target nativeTarget() {
  for (model::Target t : {model::Target::kX86_64Avx512, model::Target::kX86_64, model::Target::kAarch64}) {
    if (hostRuns(t)) return t;
  }
  return model::Target::kAny;
}

ImageTargets portableTargets() {
  return {model::Target::kAny, {model::Target::kX86_64Avx512, model::Target::kX86_64, model::Target::kAarch64}};
}

ImageTargets targetsForArch(std::string_view arch) {
  if (arch == "x86_64") return {model::Target::kAny, {model::Target::kX86_64Avx512, model::Target::kX86_64}};
  if (arch == "aarch64") return {model::Target::kAarch64, {}};
  return portableTargets();
}

Result<ImageTargets> parseImageTargets(std::string_view text) {
  if (text == "portable") return portableTargets();
  EDGERT_ASSIGN_OR_RETURN(const model::Target target, parseTarget(text));
  return ImageTargets{target, {}};
}

Result<model::Target> parseTarget(std::string_view text) {
  if (text == "native") return nativeTarget();
  if (text == "reference") return model::Target::kAny;
  for (model::Target t : {model::Target::kAny, model::Target::kX86_64, model::Target::kX86_64Avx512,
                          model::Target::kAarch64}) {
    if (text == model::targetName(t)) return t;
  }
  return makeError(Errc::kInvalidArgument,
                   "target '{}': expected portable, reference (or any), x86_64, x86_64-avx512, aarch64 "
                   "or native", text);
}

Result<CompileResult> compileGraph(Graph graph, model::Target target) {
  return compileGraph(std::move(graph), ImageTargets{target, {}});
}

Result<CompileResult> compileGraph(Graph graph, const ImageTargets& targets) {
  EDGERT_TRY(runPasses(graph, targets.base));
  EDGERT_TRY(chooseAlternatives(graph, targets.alternatives));
  CompileResult result;
  EDGERT_ASSIGN_OR_RETURN(result.plan, planArena(graph));
  // Reference kernels run anywhere: the image names an architecture only if its base needs one.
  bool fast = false;
  for (const Node& node : graph.nodes) {
    const kernels::KernelVariant* v = kernels::findVariant(node.op, node.variant);
    fast = fast || (v != nullptr && v->isa != kernels::Isa::kAny);
  }
  const model::Target imageTarget = fast ? targets.base : model::Target::kAny;
  EDGERT_ASSIGN_OR_RETURN(result.image, writeImage(graph, result.plan, imageTarget));
  if (hostRuns(imageTarget)) {
    EDGERT_TRY(verifyWithLoader(result.image));
  } else {
    // The loader here cannot take another CPU's kernels. It checks the same image with
    // the reference kernels as the base instead (every bound, parameter, shape, the
    // alternatives and the memory plan); that the chosen variants apply, chooseLayout made
    // sure with the registry's own test.
    Graph twin = graph;
    for (Node& node : twin.nodes) node.variant = 0;
    EDGERT_ASSIGN_OR_RETURN(const std::vector<std::byte> twinImage,
                            writeImage(twin, result.plan, model::Target::kAny));
    EDGERT_TRY(verifyWithLoader(twinImage));
  }
  result.graph = std::move(graph);
  return result;
}

Result<CompileResult> compileOnnxFile(const std::string& path, const ImportOptions& options,
                                      model::Target target) {
  return compileOnnxFile(path, options, ImageTargets{target, {}});
}

Result<CompileResult> compileOnnxFile(const std::string& path, const ImportOptions& options,
                                      const ImageTargets& targets) {
  EDGERT_ASSIGN_OR_RETURN(Graph graph, importOnnxFile(path, options));
  const std::size_t onnxNodes = graph.nodes.size();
  EDGERT_ASSIGN_OR_RETURN(CompileResult result, compileGraph(std::move(graph), targets));
  result.onnxNodes = onnxNodes;
  return result;
}

std::string formatReport(const CompileResult& r, const std::string& sourceName) {
  const Graph& g = r.graph;
  const ArenaPlan& plan = r.plan;
  std::string out;
  auto line = [&out](std::string s) {
    out += s;
    out += '\n';
  };
  line(fmt::format("model: {} (opset {}{}{})", sourceName, g.opset, g.producer.empty() ? "" : ", ",
                   g.producer));
  line(fmt::format("ops: {} after passes ({} after import)", g.nodes.size(), r.onnxNodes));
  line(fmt::format("  {:>4}  {:<24} {:<14} {:<28} {}", "#", "op", "kernel", "name", "output"));
  for (std::size_t k = 0; k < g.nodes.size(); ++k) {
    const Node& n = g.nodes[k];
    const kernels::KernelVariant* v = kernels::findVariant(n.op, n.variant);
    const Value& o = g.value(n.outputs[0]);
    std::string alternatives;
    for (std::uint16_t a : n.alternatives) {
      alternatives += fmt::format("{}{}", alternatives.empty() ? " [alternatives: " : ", ",
                                  kernels::findVariant(n.op, a)->name);
    }
    if (!alternatives.empty()) alternatives += "]";
    line(fmt::format("  {:>4}  {:<24} {:<14} {:<28} {} {}{}{}", k, describeOp(n), v ? v->name : "?", n.name,
                     kernels::dtypeName(o.type.dtype), kernels::formatShape(o.type.shape),
                     plan.scratchBytes[k] ? fmt::format(" (scratch {} B @ {})", plan.scratchBytes[k],
                                                        plan.scratchOffset[k])
                                          : "",
                     alternatives));
  }
  line("arena tensors:");
  line(fmt::format("  {:<40} {:<10} {:<18} {:>12} {:>12}", "name", "dtype", "shape", "bytes", "offset"));
  std::uint64_t weightBytes = 0;
  std::size_t weightCount = 0;
  for (std::size_t v = 0; v < g.values.size(); ++v) {
    const Value& val = g.values[v];
    if (val.isConstant) {
      weightBytes += val.data.size();
      ++weightCount;
      continue;
    }
    if (plan.valueOffset[v] == kNotInArena) continue;
    line(fmt::format("  {:<40} {:<10} {:<18} {:>12} {:>12}", val.name, kernels::dtypeName(val.type.dtype),
                     kernels::formatShape(val.type.shape), val.type.bytes(), plan.valueOffset[v]));
  }
  const double ratio = plan.lowerBound ? static_cast<double>(plan.arenaBytes) / static_cast<double>(plan.lowerBound) : 1.0;
  line(fmt::format("arena: {} bytes; lower bound {} bytes; ratio {:.3f} (placement: {})", plan.arenaBytes,
                   plan.lowerBound, ratio, plan.strategy));
  line(fmt::format("weights: {} bytes in {} constants", weightBytes, weightCount));
  model::Header h{};
  std::memcpy(&h, r.image.data(), sizeof h);
  line(fmt::format("image: {} bytes, checksum {:#018x}", r.image.size(), h.checksum));
  return out;
}

}  // namespace edgert::compiler
