#include "arena_plan.hpp"

#include "edgert/kernels/registry.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

namespace edgert::compiler {
namespace {

constexpr std::uint64_t kAlign = 64;

std::uint64_t roundUp(std::uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

struct Buffer {
  std::uint64_t bytes;  // rounded
  int first;
  int last;
  std::uint64_t offset = 0;
};

bool overlapInTime(const Buffer& a, const Buffer& b) { return a.first <= b.last && b.first <= a.last; }

// Places `order`'s buffers one by one in the best-fitting gap; returns the arena size.
std::uint64_t place(std::vector<Buffer>& buffers, const std::vector<std::size_t>& order) {
  std::vector<std::size_t> placed;
  std::uint64_t arena = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> busy;  // [begin, end) in memory
  for (std::size_t idx : order) {
    Buffer& b = buffers[idx];
    busy.clear();
    for (std::size_t p : placed) {
      if (overlapInTime(b, buffers[p])) busy.emplace_back(buffers[p].offset, buffers[p].offset + buffers[p].bytes);
    }
    std::sort(busy.begin(), busy.end());
    std::uint64_t best = kNotInArena;
    std::uint64_t bestGap = kNotInArena;
    std::uint64_t cursor = 0;
    for (const auto& [begin, end] : busy) {
      if (begin > cursor) {
        const std::uint64_t gap = begin - cursor;
        if (gap >= b.bytes && gap < bestGap) {
          best = cursor;
          bestGap = gap;
        }
      }
      cursor = std::max(cursor, end);
    }
    b.offset = best != kNotInArena ? best : cursor;
    arena = std::max(arena, b.offset + b.bytes);
    placed.push_back(idx);
  }
  return arena;
}

}  // namespace

Result<ArenaPlan> planArena(const Graph& graph) {
  const int numNodes = static_cast<int>(graph.nodes.size());
  const std::size_t numValues = graph.values.size();
  constexpr int kUnused = -2;

  std::vector<int> def(numValues, kUnused), lastUse(numValues, kUnused);
  for (ValueId v : graph.inputs) def[static_cast<std::size_t>(v)] = 0;
  for (int k = 0; k < numNodes; ++k) {
    const Node& node = graph.nodes[static_cast<std::size_t>(k)];
    for (ValueId v : node.inputs) {
      if (v != kNoValue) lastUse[static_cast<std::size_t>(v)] = k;
    }
    for (ValueId v : node.outputs) {
      if (def[static_cast<std::size_t>(v)] != kUnused) {
        return makeError(Errc::kInternal, "value '{}' is written twice", graph.value(v).name);
      }
      def[static_cast<std::size_t>(v)] = k;
    }
  }
  for (ValueId v : graph.outputs) lastUse[static_cast<std::size_t>(v)] = numNodes;
  auto inArena = [&](ValueId v) {
    const Value& val = graph.value(v);
    return !val.isConstant && def[static_cast<std::size_t>(v)] != kUnused;
  };

  // Alias groups (union-find over values).
  std::vector<ValueId> group(numValues);
  std::iota(group.begin(), group.end(), 0);
  auto root = [&group](ValueId v) {
    while (group[static_cast<std::size_t>(v)] != v) {
      group[static_cast<std::size_t>(v)] = group[static_cast<std::size_t>(group[static_cast<std::size_t>(v)])];
      v = group[static_cast<std::size_t>(v)];
    }
    return v;
  };
  std::vector<int> groupLast(lastUse);  // by root: last read of any member so far
  std::vector<bool> groupPinned(numValues, false);  // holds a graph input or output
  for (ValueId v : graph.inputs) groupPinned[static_cast<std::size_t>(v)] = true;
  for (ValueId v : graph.outputs) groupPinned[static_cast<std::size_t>(v)] = true;

  for (int k = 0; k < numNodes; ++k) {
    const Node& node = graph.nodes[static_cast<std::size_t>(k)];
    const kernels::OpInfo* info = kernels::findOp(node.op);
    if (info == nullptr) return makeError(Errc::kInternal, "node '{}' has no op", node.name);
    const ValueId out = node.outputs[0];
    for (std::size_t i = 0; i < node.inputs.size() && i < 8; ++i) {
      const ValueId in = node.inputs[i];
      if (!(info->aliasInputs & (1u << i)) || in == kNoValue || !inArena(in) ||
          graph.value(in).type.bytes() != graph.value(out).type.bytes() ||
          // Same bytes and same element type: the same element count, so no broadcast (a
          // comparison's bool output has as many bytes as a float input 4 times smaller).
          graph.value(in).type.dtype != graph.value(out).type.dtype) {
        continue;
      }
      const ValueId g = root(in);
      const auto gi = static_cast<std::size_t>(g);
      if (node.op != kernels::OpCode::kReshape) {
        // In place: nothing may read the old contents later, and the caller's inputs and
        // outputs are never overwritten. (A Reshape is a view: readers may go on reading.)
        if (groupLast[gi] > k || groupPinned[gi] || groupPinned[static_cast<std::size_t>(out)]) continue;
      }
      group[static_cast<std::size_t>(root(out))] = g;
      groupLast[gi] = std::max(groupLast[gi], lastUse[static_cast<std::size_t>(out)]);
      groupPinned[gi] = groupPinned[gi] || groupPinned[static_cast<std::size_t>(out)];
      break;
    }
  }

  // One buffer per group, one per scratch.
  std::vector<Buffer> buffers;
  std::vector<int> bufferOfGroup(numValues, -1);
  for (std::size_t v = 0; v < numValues; ++v) {
    if (!inArena(static_cast<ValueId>(v))) continue;
    const auto g = static_cast<std::size_t>(root(static_cast<ValueId>(v)));
    const std::uint64_t bytes = roundUp(graph.values[v].type.bytes());
    const int first = def[v];
    const int last = std::max(def[v], lastUse[v]);
    if (bufferOfGroup[g] < 0) {
      bufferOfGroup[g] = static_cast<int>(buffers.size());
      buffers.push_back({bytes, first, last});
    } else {
      Buffer& b = buffers[static_cast<std::size_t>(bufferOfGroup[g])];
      b.bytes = std::max(b.bytes, bytes);
      b.first = std::min(b.first, first);
      b.last = std::max(b.last, last);
    }
  }
  ArenaPlan plan;
  plan.scratchBytes.assign(graph.nodes.size(), 0);
  plan.scratchOffset.assign(graph.nodes.size(), 0);
  std::vector<int> bufferOfScratch(graph.nodes.size(), -1);
  for (int k = 0; k < numNodes; ++k) {
    const Node& node = graph.nodes[static_cast<std::size_t>(k)];
    // The scratch of whichever variant the device picks: the most any of them needs.
    std::vector<const kernels::KernelVariant*> variants;
    for (std::uint16_t id : node.alternatives) variants.push_back(kernels::findVariant(node.op, id));
    variants.push_back(kernels::findVariant(node.op, node.variant));
    bool anyScratch = false;
    for (std::size_t i = 0; i < variants.size(); ++i) {
      if (variants[i] == nullptr) {
        return makeError(Errc::kInternal, "node '{}': no kernel variant {}", node.name,
                         i + 1 < variants.size() ? node.alternatives[i] : node.variant);
      }
      anyScratch = anyScratch || variants[i]->scratch != nullptr;
    }
    if (!anyScratch) continue;
    // As many types as the node has inputs and outputs (a fixed array once passed more
    // outputs than it held).
    std::vector<kernels::TensorType> ins(node.inputs.size()), outs(node.outputs.size());
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i] == kNoValue) {
        ins[i].shape.rank = kernels::kAbsentRank;
      } else {
        ins[i] = graph.value(node.inputs[i]).type;
      }
    }
    for (std::size_t i = 0; i < node.outputs.size(); ++i) outs[i] = graph.value(node.outputs[i]).type;
    std::uint64_t bytes = 0;
    for (const kernels::KernelVariant* v : variants) {
      if (v->scratch != nullptr) bytes = std::max(bytes, v->scratch(node.params.data(), ins, outs));
    }
    plan.scratchBytes[static_cast<std::size_t>(k)] = bytes;
    if (bytes == 0) continue;
    bufferOfScratch[static_cast<std::size_t>(k)] = static_cast<int>(buffers.size());
    buffers.push_back({roundUp(bytes), k, k});
  }

  // Lower bound: the most bytes live at any one node.
  for (int t = 0; t <= numNodes; ++t) {
    std::uint64_t liveBytes = 0;
    for (const Buffer& b : buffers) {
      if (b.first <= t && t <= b.last) liveBytes += b.bytes;
    }
    plan.lowerBound = std::max(plan.lowerBound, liveBytes);
  }

  // Try a few placement orders; keep the smallest arena.
  struct Strategy {
    const char* name;
    bool (*before)(const Buffer&, const Buffer&);
  };
  const Strategy strategies[] = {
      {"largest first", [](const Buffer& a, const Buffer& b) { return a.bytes > b.bytes; }},
      {"largest area first",
       [](const Buffer& a, const Buffer& b) {
         return a.bytes * static_cast<std::uint64_t>(a.last - a.first + 1) >
                b.bytes * static_cast<std::uint64_t>(b.last - b.first + 1);
       }},
      {"longest-lived first",
       [](const Buffer& a, const Buffer& b) {
         return (a.last - a.first) != (b.last - b.first) ? (a.last - a.first) > (b.last - b.first)
                                                         : a.bytes > b.bytes;
       }},
      {"earliest first", [](const Buffer& a, const Buffer& b) { return a.first < b.first; }},
  };
  std::vector<Buffer> best;
  plan.arenaBytes = kNotInArena;
  for (const Strategy& s : strategies) {
    std::vector<Buffer> trial = buffers;
    std::vector<std::size_t> order(trial.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return s.before(trial[a], trial[b]); });
    const std::uint64_t size = place(trial, order);
    if (size < plan.arenaBytes) {
      plan.arenaBytes = size;
      plan.strategy = s.name;
      best = std::move(trial);
    }
  }
  if (buffers.empty()) {
    plan.arenaBytes = 0;
    plan.strategy = "empty";
  }

  plan.valueOffset.assign(numValues, kNotInArena);
  for (std::size_t v = 0; v < numValues; ++v) {
    if (!inArena(static_cast<ValueId>(v))) continue;
    const int b = bufferOfGroup[static_cast<std::size_t>(root(static_cast<ValueId>(v)))];
    plan.valueOffset[v] = best[static_cast<std::size_t>(b)].offset;
  }
  for (std::size_t k = 0; k < graph.nodes.size(); ++k) {
    if (bufferOfScratch[k] >= 0) plan.scratchOffset[k] = best[static_cast<std::size_t>(bufferOfScratch[k])].offset;
  }
  return plan;
}

}  // namespace edgert::compiler
