#include "engine/placement/bestfit_index.h"

#include <algorithm>
#include <limits>

namespace suanwang {
double BestFitIndex::Key(const ClusterState& state, NodeIndex n) {
  return 0.5 * static_cast<double>(state.cpu_left(n)) / kMaxSpecCpuMilli +
         0.5 * static_cast<double>(state.gpu_left_total(n)) / kMaxSpecGpuMilli;
}

bool BestFitIndex::CanHold(const Bucket& b, const TaskShape& task) {
  if (!task.UsesGpu()) return true;
  if (!ModelAllowed(task.gpu_models, b.model)) return false;
  if (!task.IsGpuShare()) return b.free_gpus >= task.gpu_count;
  return b.free_gpus >= 1 || (b.partial_tenths < 10 && b.partial_tenths * 100 + 99 >= task.gpu_milli);
}

void BestFitIndex::Reindex(const ClusterState& state, NodeIndex n) {
  if (bucket_of_[n] >= 0) {
    Bucket& old = buckets_[static_cast<size_t>(bucket_of_[n])];
    old.nodes.erase(entry_of_[n].key);
    old.cpu_left.erase(old.cpu_left.find(entry_of_[n].cpu_left));
    old.memory_left.erase(old.memory_left.find(entry_of_[n].memory_left));
  }
  int free_gpus = 0, partial = -1;
  for (int32_t left : state.gpu_left(n)) {
    if (left == kMilliGpu) {
      ++free_gpus;
    } else if (left > 0) {
      partial = std::max(partial, left / 100);
    }
  }
  const GpuModelId model = state.spec(n).gpu_model;
  const int tenths = partial < 0 ? 10 : partial;
  const int64_t key = (static_cast<int64_t>(model) + 1) * 1000 + free_gpus * 16 + tenths;
  auto [it, added] = bucket_by_key_.try_emplace(key, static_cast<int32_t>(buckets_.size()));
  if (added) buckets_.push_back(Bucket{model, free_gpus, tenths, {}, {}, {}});
  bucket_of_[n] = it->second;
  entry_of_[n] = Entry{{Key(state, n), state.tie_rank(n), n}, state.cpu_left(n), state.memory_left(n)};
  Bucket& bucket = buckets_[static_cast<size_t>(it->second)];
  bucket.nodes.insert(entry_of_[n].key);
  bucket.cpu_left.insert(entry_of_[n].cpu_left);
  bucket.memory_left.insert(entry_of_[n].memory_left);
}

void BestFitIndex::Sync(const ClusterState& state) {
  if (state.id() != state_id_ || bucket_of_.size() != state.size()) {
    state_id_ = state.id();
    log_seen_ = 0;
    buckets_.clear();
    bucket_by_key_.clear();
    bucket_of_.assign(state.size(), -1);
    entry_of_.assign(state.size(), {});
    for (NodeIndex n = 0; n < state.size(); ++n) Reindex(state, n);
    log_seen_ = state.change_log().size();
    return;
  }
  auto log = state.change_log();
  for (; log_seen_ < log.size(); ++log_seen_) Reindex(state, log[log_seen_]);
}

std::optional<NodeIndex> BestFitIndex::Find(const TaskShape& task, const ClusterState& state) {
  Sync(state);
  const std::tuple<double, uint32_t, NodeIndex>* best = nullptr;
  for (const Bucket& bucket : buckets_) {
    if (bucket.nodes.empty() || !CanHold(bucket, task)) continue;
    if (*bucket.cpu_left.rbegin() < task.cpu_milli || *bucket.memory_left.rbegin() < task.memory_mib) {
      continue;
    }
    if (best && !(*bucket.nodes.begin() < *best)) continue;
    // A node with less CPU than asked cannot fit; every node here has at least free_gpus whole
    // GPUs free, so K >= that bound for feasible nodes: start there.
    const double k_min = 0.5 * static_cast<double>(task.cpu_milli) / kMaxSpecCpuMilli +
                         0.5 * bucket.free_gpus * kMilliGpu / kMaxSpecGpuMilli;
    for (auto it = bucket.nodes.lower_bound({k_min - 1e-12, 0, 0}); it != bucket.nodes.end(); ++it) {
      const auto& entry = *it;
      if (best && !(entry < *best)) break;
      if (!state.Fits(std::get<2>(entry), task)) continue;
      best = &entry;
      break;
    }
  }
  if (!best) return std::nullopt;
  return std::get<2>(*best);
}

}  // namespace suanwang
