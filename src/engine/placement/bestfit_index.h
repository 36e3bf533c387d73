// An index that answers "which node would bestfit choose" without scanning every node.
//
// bestfit keeps the node left with the least weighted free capacity: it minimises
//   K(n) = 0.5 * cpu_left / 128 cores + 0.5 * gpu_left / 8 GPUs
// over feasible nodes (the task's own request shifts every node's K equally), lowest tie rank
// among equal K. Nodes sit in buckets by what they can offer a GPU task (GPU model, number of
// fully free GPUs, largest free share on a partly used GPU in tenths of a GPU) and, inside a
// bucket, in (K, rank) order. A query visits only buckets that can hold the task, takes each
// one's first feasible node, and skips buckets whose smallest K is already worse, so its cost
// follows the number of buckets and of nodes that fail on CPU or memory, not the cluster size.
// The index follows the ClusterState's change log: O(log n) per changed node.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "engine/placement/cluster_state.h"

namespace suanwang {

// The normalisers of the FGD paper's simulator: the largest node it models.
inline constexpr double kMaxSpecCpuMilli = 128000;
inline constexpr double kMaxSpecGpuMilli = 8000;

class BestFitIndex {
 public:
  // The feasible node with the least K, lowest tie rank among equals: exactly the node a full
  // scan picks (tests/unit/engine/policies_test.cc checks this on random sequences).
  std::optional<NodeIndex> Find(const TaskShape& task, const ClusterState& state);

  static double Key(const ClusterState& state, NodeIndex n);

 private:
  struct Bucket {
    GpuModelId model;
    int free_gpus;
    int partial_tenths;  // 0..9: largest free share on a used GPU / 100; 10: no used GPU
    std::set<std::tuple<double, uint32_t, NodeIndex>> nodes;  // (K, tie rank, node)
    // CPU and memory left on its nodes: a task asking more than the largest skips the bucket.
    std::multiset<int64_t> cpu_left, memory_left;
  };

  void Sync(const ClusterState& state);
  void Reindex(const ClusterState& state, NodeIndex n);
  static bool CanHold(const Bucket& bucket, const TaskShape& task);

  uint64_t state_id_ = 0;
  size_t log_seen_ = 0;
  std::vector<int32_t> bucket_of_;  // per node: index into buckets_
  struct Entry {
    std::tuple<double, uint32_t, NodeIndex> key;
    int64_t cpu_left = 0, memory_left = 0;
  };
  std::vector<Entry> entry_of_;
  std::vector<Bucket> buckets_;
  std::unordered_map<int64_t, int32_t> bucket_by_key_;
};

}  // namespace suanwang
