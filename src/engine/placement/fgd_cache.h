// Per-node memo of fragmentation moves for the fragmentation-aware policies.
//
// For a task shape and a node, the "move" is the best GPU choice on that node and how much it
// decreases the node's fragmentation. It depends only on the node's state and the shape's CPU,
// per-GPU share and GPU count, so it is cached per (shape, node) and recomputed only when the
// node's version changes. This turns a full O(nodes x GPUs x typical shapes) evaluation per
// decision into O(nodes) cache checks plus work for the nodes that changed.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/placement/cluster_state.h"
#include "engine/placement/fragmentation.h"

namespace suanwang {

struct FragMove {
  uint64_t version = 0;   // ClusterState::version + 1 of the node when computed; 0 = never
  double decrease = 0;    // F_before - F_after in milli-GPU (negative: fragmentation grows)
  // What policies rank by: `decrease`, or with lookahead weight w,
  // w * (L_before - L_after) + (1 - w) * decrease (L: NodeFragmentationLookahead).
  double score = 0;
  // The score as FGD's simulator ranks it: floor(100 * sigmoid(score / 1000)), 0..100.
  int32_t quantized = 0;
  double after = 0;       // F_after
  int8_t gpu = -1;        // chosen GPU for a GPU-share task
};

class FgdCache {
 public:
  // lookahead_weight in [0, 1]; 0 is plain FGD.
  explicit FgdCache(std::vector<TypicalShape> shapes, double lookahead_weight = 0)
      : shapes_(std::move(shapes)), lookahead_weight_(lookahead_weight),
        uses_memory_(shapes_.uses_memory()) {}

  using MoveTable = std::vector<FragMove>;
  // The memo for the shape of `task` (sized to the cluster).
  MoveTable& Table(const TaskShape& task, const ClusterState& state);
  // The move of `task` on node n, recomputed if the node changed since it was cached.
  const FragMove& Move(MoveTable& entries, const TaskShape& task, const ClusterState& state,
                       NodeIndex n);
  // The GPUs the move uses.
  GpuSlots Slots(MoveTable& entries, const TaskShape& task, const ClusterState& state, NodeIndex n);
  // F_n(M) of node n now, memoised by version.
  double NodeFrag(const ClusterState& state, NodeIndex n);

 private:
  struct ShapeKey {
    int64_t cpu;
    int64_t memory;
    int32_t milli;
    int32_t count;
    bool operator==(const ShapeKey&) const = default;
  };
  struct ShapeKeyHash {
    size_t operator()(const ShapeKey& k) const {
      return std::hash<int64_t>()(k.cpu * 1000003 + k.memory * 7919 + k.milli * 131 + k.count);
    }
  };

  // A node state as the fragmentation measures see it (GPU order does not matter).
  struct StateKey {
    int64_t cpu;
    int64_t memory;
    GpuModelId model;
    int8_t gpus;
    std::array<int16_t, kMaxGpusPerNode> left;  // sorted ascending, unused slots 0
    bool operator==(const StateKey&) const = default;
  };
  struct StateKeyHash {
    size_t operator()(const StateKey& k) const;
  };

  FragMove Compute(const TaskShape& task, const ClusterState& state, NodeIndex n);
  double Lookahead(GpuModelId model, int64_t cpu, int64_t memory, std::span<const int32_t> gpus);

  ShapeSet shapes_;
  double lookahead_weight_ = 0;
  bool uses_memory_ = false;  // moves depend on the task's memory only if the shapes do
  std::unordered_map<StateKey, double, StateKeyHash> lookahead_memo_;
  std::unordered_map<ShapeKey, std::vector<FragMove>, ShapeKeyHash> by_shape_;
  struct NodeMemo {
    uint64_t version = 0;
    double frag = 0;
    double lookahead = -1;  // < 0: not computed yet
  };
  NodeMemo& Node(const ClusterState& state, NodeIndex n);
  std::vector<NodeMemo> node_memo_;
};

}  // namespace suanwang
