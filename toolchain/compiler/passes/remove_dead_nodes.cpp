// Dead-node removal: a node none of whose outputs reaches a graph output is dropped; then
// values nothing refers to any more (folded-away weights, outputs of dropped nodes) are
// dropped too, so that the memory plan and the image only see what runs.
#include "compiler/passes/passes.hpp"

namespace edgert::compiler {
namespace {

// Walks the nodes backwards from the graph outputs: a node is live when one of its outputs
// is live, and then all of its inputs are.
std::vector<bool> findLiveNodes(const Graph& graph) {
  std::vector<bool> liveValue(graph.values.size(), false);
  for (ValueId id : graph.outputs) liveValue[static_cast<std::size_t>(id)] = true;
  std::vector<bool> liveNode(graph.nodes.size(), false);
  for (std::size_t i = graph.nodes.size(); i-- > 0;) {
    const Node& node = graph.nodes[i];
    bool live = false;
    for (ValueId id : node.outputs) live = live || liveValue[static_cast<std::size_t>(id)];
    if (!live) continue;
    liveNode[i] = true;
    for (ValueId id : node.inputs) {
      if (id != kNoValue) liveValue[static_cast<std::size_t>(id)] = true;
    }
  }
  return liveNode;
}

// Drops values no node, graph input or graph output refers to and renumbers the rest,
// keeping their order.
void compactValues(Graph& graph) {
  std::vector<bool> referenced(graph.values.size(), false);
  auto mark = [&referenced](ValueId id) {
    if (id != kNoValue) referenced[static_cast<std::size_t>(id)] = true;
  };
  for (ValueId id : graph.inputs) mark(id);
  for (ValueId id : graph.outputs) mark(id);
  for (const Node& node : graph.nodes) {
    for (ValueId id : node.inputs) mark(id);
    for (ValueId id : node.outputs) mark(id);
  }
  std::vector<ValueId> newId(graph.values.size(), kNoValue);
  std::vector<Value> kept;
  for (std::size_t i = 0; i < graph.values.size(); ++i) {
    if (!referenced[i]) continue;
    newId[i] = static_cast<ValueId>(kept.size());
    kept.push_back(std::move(graph.values[i]));
  }
  graph.values = std::move(kept);
  auto remap = [&newId](ValueId& id) {
    if (id != kNoValue) id = newId[static_cast<std::size_t>(id)];
  };
  for (ValueId& id : graph.inputs) remap(id);
  for (ValueId& id : graph.outputs) remap(id);
  for (Node& node : graph.nodes) {
    for (ValueId& id : node.inputs) remap(id);
    for (ValueId& id : node.outputs) remap(id);
  }
}

}  // namespace

Result<void> removeDeadNodes(Graph& graph) {
  const std::vector<bool> live = findLiveNodes(graph);
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (live[i]) kept.push_back(std::move(graph.nodes[i]));
  }
  graph.nodes = std::move(kept);
  compactValues(graph);
  return success();
}

}  // namespace edgert::compiler
