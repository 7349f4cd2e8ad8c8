// The whole compilation: import, passes, memory plan, image, and a check of the image
// with the device's own loader before anything is written.
#pragma once

#include "arena_plan.hpp"
#include "edgert/base/result.hpp"
#include "edgert/runtime/model_format.hpp"
#include "graph.hpp"
#include "onnx_import.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace edgert::compiler {

struct CompileResult {
  Graph graph;                   // after the passes
  ArenaPlan plan;
  std::vector<std::byte> image;  // validated by edgert::Model
  std::size_t onnxNodes = 0;     // nodes in the source model
};

// What an image's kernels are chosen for. `base`: the variant each op record holds, which
// the device must run (kAny: reference kernels, which run on any edgert; kX86_64 /
// kAarch64: the fast variants of that architecture where they apply). `alternatives`:
// targets whose fast variants the image also carries per node, best first; the device runs
// the first its CPU has (model::VariantRecord). The header records kAny unless a base
// variant is a fast one.
struct ImageTargets {
  model::Target base = model::Target::kAny;
  std::vector<model::Target> alternatives;
};

// An image for a mixed fleet (edgert-compile without --target or --board): reference
// kernels as the base, and the fast variants of x86-64 with AVX-512, x86-64 with AVX2 and
// AArch64 NEON.
ImageTargets portableTargets();
// An image for the board's architecture ("x86_64", "aarch64"; anything else: portable):
// x86_64 carries the AVX-512 and AVX2 variants as alternatives over reference kernels (an
// x86-64 CPU without AVX2 still runs it); aarch64 has NEON as its base (every AArch64 CPU
// has NEON).
ImageTargets targetsForArch(std::string_view arch);

Result<CompileResult> compileOnnxFile(const std::string& path, const ImportOptions& options,
                                      const ImageTargets& targets);
Result<CompileResult> compileOnnxFile(const std::string& path, const ImportOptions& options,
                                      model::Target target = model::Target::kAny);

// Passes, plan, image and loader check, for a graph built by any means (tests).
Result<CompileResult> compileGraph(Graph graph, const ImageTargets& targets);
Result<CompileResult> compileGraph(Graph graph, model::Target target = model::Target::kAny);

// "any" (or "reference"), "x86_64", "x86_64-avx512", "aarch64" -> Target; "native":
// nativeTarget(); kInvalidArgument naming the text otherwise.
Result<model::Target> parseTarget(std::string_view text);
// As parseTarget, and "portable": portableTargets().
Result<ImageTargets> parseImageTargets(std::string_view text);

// Whether this process can load and run images for `target`: the same architecture and,
// for x86-64 fast variants, AVX2 + FMA (and AVX-512 F, BW and VL for x86_64-avx512).
bool hostRuns(model::Target target);

// The target with the most fast variants that this machine runs (kAny if none).
model::Target nativeTarget();

// The --report text: ops with their kernel variants, every tensor's offset and size, the
// arena size against its lower bound, weights and checksum.
std::string formatReport(const CompileResult& result, const std::string& sourceName);

// "1x3x224x224" -> Shape; kInvalidArgument naming the text otherwise.
Result<kernels::Shape> parseDims(std::string_view text);

}  // namespace edgert::compiler
