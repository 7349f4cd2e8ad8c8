// The static memory plan: one arena, an offset for every activation and every kernel's
// scratch, decided offline from tensor lifetimes.
//
// Lifetimes are inclusive node-index intervals: a value lives from the node that writes it
// (graph inputs: from the start) to the last node that reads it (graph outputs: to the
// end). Values that may share memory are grouped first: a Reshape's output is a view of
// its input; an in-place op (Binary, Activation, BatchNorm) writes over input 0 when nothing
// reads that input's group later and it is not a graph input or output. Groups and scratch
// buffers, each rounded up to 64 bytes, are then placed greedily, largest first, each in
// the best-fitting gap among the buffers already placed whose lifetimes overlap it; several
// placement orders are tried and the smallest arena wins.
#pragma once

#include "edgert/base/result.hpp"
#include "graph.hpp"

#include <cstdint>
#include <vector>

namespace edgert::compiler {

inline constexpr std::uint64_t kNotInArena = ~std::uint64_t{0};

struct ArenaPlan {
  std::vector<std::uint64_t> valueOffset;    // per ValueId; kNotInArena for constants
  std::vector<std::uint64_t> scratchOffset;  // per node
  std::vector<std::uint64_t> scratchBytes;   // per node (0: none)
  std::uint64_t arenaBytes = 0;
  // The largest total of (64-byte rounded) bytes simultaneously live: no plan can be
  // smaller than this.
  std::uint64_t lowerBound = 0;
  std::string strategy;                      // which placement order won
};

Result<ArenaPlan> planArena(const Graph& graph);

}  // namespace edgert::compiler
