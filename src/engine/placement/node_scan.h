// Helpers shared by the scoring policies: a scan over feasible nodes that keeps the best
// score with uniform random tie-breaking, and the standard GPU choices within a node.
#pragma once

#include <optional>

#include "common/rng.h"
#include "engine/placement/cluster_state.h"

namespace suanwang {

// The feasible node with the highest score(n); among equal scores the one with the lowest
// ClusterState::tie_rank. nullopt when none fits.
template <class ScoreFn>
std::optional<NodeIndex> BestFeasibleNode(const TaskShape& task, const ClusterState& state,
                                          ScoreFn&& score) {
  std::optional<NodeIndex> best;
  double best_score = 0;
  const auto n_nodes = static_cast<NodeIndex>(state.size());
  for (NodeIndex n = 0; n < n_nodes; ++n) {
    if (!state.Fits(n, task)) continue;
    double s = score(n);
    if (!best || s > best_score || (s == best_score && state.tie_rank(n) < state.tie_rank(*best))) {
      best = n;
      best_score = s;
    }
  }
  return best;
}

// A uniformly random feasible node (reservoir sampling). nullopt when none fits.
std::optional<NodeIndex> RandomFeasibleNode(const TaskShape& task, const ClusterState& state, Rng& rng);

// GPU-share task: the GPU with the least free share that still fits (lowest index on ties).
// Whole-GPU task: the first gpu_count fully free GPUs. CPU task: none.
GpuSlots SelectGpusBestFit(const ClusterState& state, NodeIndex n, const TaskShape& task);
// GPU-share task: a uniformly random GPU among those that fit. Otherwise as above.
GpuSlots SelectGpusRandom(const ClusterState& state, NodeIndex n, const TaskShape& task, Rng& rng);
// The first gpu_count fully free GPUs, by index.
GpuSlots SelectFreeGpus(const ClusterState& state, NodeIndex n, int count);

}  // namespace suanwang
