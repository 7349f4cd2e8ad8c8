// Writes a planned Graph as a model image (runtime/MODEL_FORMAT.md).
#pragma once

#include "arena_plan.hpp"
#include "edgert/base/result.hpp"
#include "edgert/runtime/model_format.hpp"
#include "graph.hpp"

#include <cstddef>
#include <vector>

namespace edgert::compiler {

// The image bytes, checksummed. Every value a node or binding uses becomes a tensor:
// constants in the weight section, the rest at their planned arena offsets.
Result<std::vector<std::byte>> writeImage(const Graph& graph, const ArenaPlan& plan,
                                          model::Target target = model::Target::kAny);

}  // namespace edgert::compiler
