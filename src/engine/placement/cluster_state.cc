#include "engine/placement/cluster_state.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <string>

namespace suanwang {
namespace {

int AffinitySlot(const TaskShape& task) { return task.IsGpuShare() ? 0 : task.gpu_count; }

// Versions are unique across every ClusterState in the process, so a policy's cache keyed by
// (node, version) can never confuse two clusters or a cluster with an older copy of itself.
uint64_t NextVersion() {
  static std::atomic<uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace

UniqueId::UniqueId() : value_(NextVersion()) {}
UniqueId::UniqueId(const UniqueId&) : value_(NextVersion()) {}
UniqueId& UniqueId::operator=(const UniqueId&) {
  value_ = NextVersion();
  return *this;
}

Result<ClusterState> ClusterState::Create(std::vector<NodeSpec> nodes) {
  ClusterState state;
  state.cpu_left_.reserve(nodes.size());
  for (const NodeSpec& node : nodes) {
    if (node.gpu_count < 0 || node.gpu_count > kMaxGpusPerNode) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "node '" + node.name + "': gpu count " + std::to_string(node.gpu_count) +
                           " is outside 0.." + std::to_string(kMaxGpusPerNode));
    }
    if (node.cpu_milli < 0 || node.memory_mib < 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "node '" + node.name + "': negative CPU or memory capacity");
    }
    if (node.gpu_count > 0 && node.gpu_model == kNoGpuModel) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "node '" + node.name + "': has GPUs but no GPU model");
    }
    state.cpu_left_.push_back(node.cpu_milli);
    state.memory_left_.push_back(node.memory_mib);
    state.gpu_offset_.push_back(static_cast<uint32_t>(state.gpu_left_.size()));
    state.gpu_left_.insert(state.gpu_left_.end(), static_cast<size_t>(node.gpu_count), kMilliGpu);
    state.gpu_left_total_.push_back(int64_t{node.gpu_count} * kMilliGpu);
    state.total_gpu_milli_ += int64_t{node.gpu_count} * kMilliGpu;
    state.total_cpu_milli_ += node.cpu_milli;
  }
  state.idle_gpu_milli_ = state.total_gpu_milli_;
  state.affinity_.assign(nodes.size(), AffinityCounts{});
  state.version_.resize(nodes.size());
  for (auto& v : state.version_) v = NextVersion();
  state.tie_rank_.resize(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) state.tie_rank_[i] = static_cast<uint32_t>(i);
  state.specs_ = std::move(nodes);
  return state;
}

Result<void> ClusterState::SetTieRanks(std::vector<uint32_t> ranks) {
  if (ranks.size() != size()) {
    return MakeError(ErrorCode::kInvalidArgument, "tie ranks: " + std::to_string(ranks.size()) +
                                                      " ranks for " + std::to_string(size()) + " nodes");
  }
  std::vector<bool> seen(ranks.size());
  for (uint32_t r : ranks) {
    if (r >= ranks.size() || seen[r]) {
      return MakeError(ErrorCode::kInvalidArgument, "tie ranks are not a permutation of 0..n-1");
    }
    seen[r] = true;
  }
  tie_rank_ = std::move(ranks);
  for (NodeIndex n = 0; n < size(); ++n) change_log_.push_back(n);  // indexes order by rank
  return {};
}

int ClusterState::full_free_gpus(NodeIndex n) const {
  int free = 0;
  for (int32_t left : gpu_left(n)) free += left == kMilliGpu;
  return free;
}

bool ClusterState::IsEmpty(NodeIndex n) const {
  return cpu_left_[n] == specs_[n].cpu_milli && memory_left_[n] == specs_[n].memory_mib &&
         gpu_left_total_[n] == int64_t{specs_[n].gpu_count} * kMilliGpu;
}

bool ClusterState::Fits(NodeIndex n, const TaskShape& task) const {
  if (cpu_left_[n] < task.cpu_milli || memory_left_[n] < task.memory_mib) return false;
  if (!task.UsesGpu()) return true;
  const NodeSpec& node = specs_[n];
  if (node.gpu_count == 0 || !ModelAllowed(task.gpu_models, node.gpu_model)) return false;
  if (gpu_left_total_[n] < task.TotalGpuMilli()) return false;
  int usable = 0;
  for (int32_t left : gpu_left(n)) usable += left >= task.gpu_milli;
  return usable >= task.gpu_count;
}

bool ClusterState::FitsEmpty(NodeIndex n, const TaskShape& task) const {
  const NodeSpec& node = specs_[n];
  if (node.cpu_milli < task.cpu_milli || node.memory_mib < task.memory_mib) return false;
  if (!task.UsesGpu()) return true;
  return node.gpu_count >= task.gpu_count && ModelAllowed(task.gpu_models, node.gpu_model);
}

bool ClusterState::CouldEverFit(const TaskShape& task) const {
  auto [it, added] = ever_fits_.try_emplace(task, false);
  if (added) {
    for (NodeIndex n = 0; n < size() && !it->second; ++n) it->second = FitsEmpty(n, task);
  }
  return it->second;
}

int64_t ClusterState::CapacityWhenEmpty(const TaskShape& task) const {
  auto [it, added] = empty_capacity_.try_emplace(task, 0);
  if (!added) return it->second;
  int64_t total = 0;
  for (NodeIndex n = 0; n < size(); ++n) {
    if (!FitsEmpty(n, task)) continue;
    const NodeSpec& spec = specs_[n];
    int64_t fit = std::numeric_limits<int64_t>::max();
    if (task.cpu_milli > 0) fit = std::min(fit, spec.cpu_milli / task.cpu_milli);
    if (task.memory_mib > 0) fit = std::min(fit, spec.memory_mib / task.memory_mib);
    if (task.UsesGpu()) {
      const int64_t per_gpu = task.IsGpuShare() ? kMilliGpu / task.gpu_milli : 1;
      fit = std::min(fit, spec.gpu_count * per_gpu / (task.IsGpuShare() ? 1 : task.gpu_count));
    }
    if (fit == std::numeric_limits<int64_t>::max()) fit = 1000000;  // a task that asks nothing
    total += fit;
  }
  it->second = total;
  return total;
}

Result<void> ClusterState::Allocate(const Placement& p, const TaskShape& task) {
  const NodeIndex n = p.node;
  if (n >= size()) return MakeError(ErrorCode::kInvalidArgument, "node index out of range");
  if (!Fits(n, task)) {
    return MakeError(ErrorCode::kConflict, "task no longer fits on node '" + specs_[n].name + "'");
  }
  const int want = task.UsesGpu() ? task.gpu_count : 0;
  if (p.gpus.count != want) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "placement on '" + specs_[n].name + "' names " +
                         std::to_string(p.gpus.count) + " GPUs, task needs " +
                         std::to_string(want));
  }
  int32_t* gpus = gpu_left_.data() + gpu_offset_[n];
  for (int k = 0; k < p.gpus.count; ++k) {
    int i = p.gpus.index[static_cast<size_t>(k)];
    if (i < 0 || i >= specs_[n].gpu_count || gpus[i] < task.gpu_milli) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "placement on '" + specs_[n].name + "' names GPU " + std::to_string(i) +
                           " that cannot hold " + std::to_string(task.gpu_milli) + " milli-GPU");
    }
    for (int j = 0; j < k; ++j) {
      if (p.gpus.index[static_cast<size_t>(j)] == i) {
        return MakeError(ErrorCode::kInvalidArgument, "placement names GPU " + std::to_string(i) +
                                                          " twice on '" + specs_[n].name + "'");
      }
    }
  }
  for (int k = 0; k < p.gpus.count; ++k) gpus[p.gpus.index[static_cast<size_t>(k)]] -= task.gpu_milli;
  cpu_left_[n] -= task.cpu_milli;
  memory_left_[n] -= task.memory_mib;
  gpu_left_total_[n] -= task.TotalGpuMilli();
  idle_gpu_milli_ -= task.TotalGpuMilli();
  if (task.UsesGpu()) ++affinity_[n][static_cast<size_t>(AffinitySlot(task))];
  version_[n] = NextVersion();
  change_log_.push_back(n);
  return {};
}

Result<void> ClusterState::Release(const Placement& p, const TaskShape& task) {
  const NodeIndex n = p.node;
  if (n >= size()) return MakeError(ErrorCode::kInvalidArgument, "node index out of range");
  const NodeSpec& node = specs_[n];
  if (cpu_left_[n] + task.cpu_milli > node.cpu_milli ||
      memory_left_[n] + task.memory_mib > node.memory_mib) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "release on '" + node.name + "' would exceed its capacity");
  }
  int32_t* gpus = gpu_left_.data() + gpu_offset_[n];
  for (int k = 0; k < p.gpus.count; ++k) {
    int i = p.gpus.index[static_cast<size_t>(k)];
    if (i < 0 || i >= node.gpu_count || gpus[i] + task.gpu_milli > kMilliGpu) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "release on '" + node.name + "' would overfill GPU " + std::to_string(i));
    }
  }
  for (int k = 0; k < p.gpus.count; ++k) gpus[p.gpus.index[static_cast<size_t>(k)]] += task.gpu_milli;
  cpu_left_[n] += task.cpu_milli;
  memory_left_[n] += task.memory_mib;
  gpu_left_total_[n] += task.TotalGpuMilli();
  idle_gpu_milli_ += task.TotalGpuMilli();
  auto& slot = affinity_[n][static_cast<size_t>(AffinitySlot(task))];
  if (task.UsesGpu() && slot > 0) --slot;
  version_[n] = NextVersion();
  change_log_.push_back(n);
  return {};
}

}  // namespace suanwang
