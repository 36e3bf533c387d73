// The live state of one site's nodes: what is left of each node's CPU, memory and each GPU.
// Pure data with checked mutations; policies read it, the engine mutates it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "model/resources.h"

namespace suanwang {

using NodeIndex = uint32_t;
inline constexpr int kMaxGpusPerNode = 16;

// Which GPUs of a node a task uses (indices into the node's GPUs).
struct GpuSlots {
  std::array<int8_t, kMaxGpusPerNode> index{};
  int8_t count = 0;
  void Push(int i) { index[static_cast<size_t>(count++)] = static_cast<int8_t>(i); }
  std::span<const int8_t> view() const { return {index.data(), static_cast<size_t>(count)}; }
};

struct Placement {
  NodeIndex node = 0;
  GpuSlots gpus;
};

// Tasks on a node grouped by their GPU "affinity": slot 0 counts GPU-share tasks, slot k
// counts tasks that hold k whole GPUs. Used by the clustering policy.
using AffinityCounts = std::array<uint16_t, kMaxGpusPerNode + 1>;

// A process-unique number; copying draws a new one (a copy is a different cluster from then on).
class UniqueId {
 public:
  UniqueId();
  UniqueId(const UniqueId&);
  UniqueId& operator=(const UniqueId&);
  UniqueId(UniqueId&&) noexcept = default;
  UniqueId& operator=(UniqueId&&) noexcept = default;
  uint64_t value() const { return value_; }

 private:
  uint64_t value_;
};

class ClusterState {
 public:
  // Errors: kInvalidArgument when a node has more than kMaxGpusPerNode GPUs, negative
  // capacity, or GPUs without a model.
  static Result<ClusterState> Create(std::vector<NodeSpec> nodes);

  size_t size() const { return specs_.size(); }
  const NodeSpec& spec(NodeIndex n) const { return specs_[n]; }
  int64_t cpu_left(NodeIndex n) const { return cpu_left_[n]; }
  int64_t memory_left(NodeIndex n) const { return memory_left_[n]; }
  std::span<const int32_t> gpu_left(NodeIndex n) const {
    return {gpu_left_.data() + gpu_offset_[n], static_cast<size_t>(specs_[n].gpu_count)};
  }
  int64_t gpu_left_total(NodeIndex n) const { return gpu_left_total_[n]; }
  int full_free_gpus(NodeIndex n) const;
  bool IsEmpty(NodeIndex n) const;
  const AffinityCounts& affinity(NodeIndex n) const { return affinity_[n]; }
  // Changes on every change of the node and is unique process-wide: lets policies cache
  // per-node work across decisions (and across clusters) safely.
  uint64_t version(NodeIndex n) const { return version_[n]; }

  // Preference order among equally scored nodes: the lower rank wins. A fixed order (rather
  // than a coin flip per decision) makes ties pile onto the same nodes, which packs; the FGD
  // paper's simulator breaks ties this way, by node name after a seeded shuffle of names.
  // Defaults to the node index. Errors: kInvalidArgument unless `ranks` is a permutation.
  Result<void> SetTieRanks(std::vector<uint32_t> ranks);
  uint32_t tie_rank(NodeIndex n) const { return tie_rank_[n]; }

  // Could `task` run on node `n` now (CPU, memory, GPU model, GPU shares)?
  bool Fits(NodeIndex n, const TaskShape& task) const;
  // Could it run on node `n` if the node were empty?
  bool FitsEmpty(NodeIndex n, const TaskShape& task) const;
  // Could it run on some node if that node were empty? Memoised per shape (capacities never
  // change), so refusing a busy task costs O(1) after the first time.
  bool CouldEverFit(const TaskShape& task) const;
  // How many copies of `task` the nodes could hold if they were all empty (each node packed
  // by CPU, memory and GPUs). Memoised per shape.
  int64_t CapacityWhenEmpty(const TaskShape& task) const;

  // Applies a placement. Errors: kConflict when it no longer fits (nothing changes then);
  // kInvalidArgument for GPU slots that do not match the task.
  Result<void> Allocate(const Placement& placement, const TaskShape& task);
  // Returns what Allocate took. Errors: kInvalidArgument if it would exceed capacity.
  Result<void> Release(const Placement& placement, const TaskShape& task);

  // Identity of this state object, and the nodes changed so far in order (a node appears once
  // per change). A policy keeping an index remembers (id, how much of the log it has seen).
  uint64_t id() const { return id_.value(); }
  std::span<const NodeIndex> change_log() const { return change_log_; }

  int64_t total_gpu_milli() const { return total_gpu_milli_; }
  int64_t used_gpu_milli() const { return total_gpu_milli_ - idle_gpu_milli_; }
  int64_t idle_gpu_milli() const { return idle_gpu_milli_; }
  int64_t total_cpu_milli() const { return total_cpu_milli_; }

 private:
  std::vector<NodeSpec> specs_;
  std::vector<int64_t> cpu_left_;
  std::vector<int64_t> memory_left_;
  std::vector<uint32_t> gpu_offset_;
  std::vector<int32_t> gpu_left_;
  std::vector<int64_t> gpu_left_total_;
  std::vector<AffinityCounts> affinity_;
  std::vector<uint64_t> version_;
  std::vector<uint32_t> tie_rank_;
  std::vector<NodeIndex> change_log_;
  mutable std::unordered_map<TaskShape, bool, TaskShapeHash> ever_fits_;
  mutable std::unordered_map<TaskShape, int64_t, TaskShapeHash> empty_capacity_;
  UniqueId id_;
  int64_t total_gpu_milli_ = 0;
  int64_t idle_gpu_milli_ = 0;
  int64_t total_cpu_milli_ = 0;
};

// True when `model` is allowed by `mask` (a CPU-only node matches no GPU mask).
inline bool ModelAllowed(GpuModelMask mask, GpuModelId model) {
  if (mask == kAnyGpuModel) return true;
  return model != kNoGpuModel && (mask >> model) & 1;
}

}  // namespace suanwang
