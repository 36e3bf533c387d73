#include "engine/placement/fgd_cache.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "engine/placement/node_scan.h"

namespace suanwang {

FgdCache::MoveTable& FgdCache::Table(const TaskShape& task, const ClusterState& state) {
  ShapeKey key{task.cpu_milli, uses_memory_ ? task.memory_mib : 0, task.UsesGpu() ? task.gpu_milli : 0,
               task.UsesGpu() ? task.gpu_count : 0};
  auto& entries = by_shape_[key];
  if (entries.size() != state.size()) entries.assign(state.size(), FragMove{});
  return entries;
}

const FragMove& FgdCache::Move(FgdCache::MoveTable& entries, const TaskShape& task,
                               const ClusterState& state, NodeIndex n) {
  FragMove& move = entries[n];
  if (move.version != state.version(n) + 1) move = Compute(task, state, n);
  return move;
}

GpuSlots FgdCache::Slots(FgdCache::MoveTable& entries, const TaskShape& task,
                         const ClusterState& state, NodeIndex n) {
  if (!task.UsesGpu()) return {};
  if (!task.IsGpuShare()) return SelectFreeGpus(state, n, task.gpu_count);
  GpuSlots slots;
  slots.Push(Move(entries, task, state, n).gpu);
  return slots;
}

FgdCache::NodeMemo& FgdCache::Node(const ClusterState& state, NodeIndex n) {
  if (node_memo_.size() != state.size()) node_memo_.assign(state.size(), NodeMemo{});
  NodeMemo& memo = node_memo_[n];
  if (memo.version != state.version(n) + 1) {
    memo.version = state.version(n) + 1;
    memo.frag = shapes_.Fragmentation(state, n);
    memo.lookahead = -1;
  }
  return memo;
}

double FgdCache::NodeFrag(const ClusterState& state, NodeIndex n) { return Node(state, n).frag; }

size_t FgdCache::StateKeyHash::operator()(const StateKey& k) const {
  // Mix every field, then finalise (splitmix64) so that nearby states spread over buckets.
  uint64_t h = static_cast<uint64_t>(k.cpu) * 0x9e3779b97f4a7c15ULL ^
               static_cast<uint64_t>(k.memory) * 0xc2b2ae3d27d4eb4fULL ^
               (static_cast<uint64_t>(k.model + 1) << 8 | static_cast<uint64_t>(k.gpus));
  for (int i = 0; i < k.gpus; ++i) {
    h = (h ^ static_cast<uint64_t>(k.left[static_cast<size_t>(i)])) * 0x100000001b3ULL;
  }
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return static_cast<size_t>(h ^ (h >> 31));
}

double FgdCache::Lookahead(GpuModelId model, int64_t cpu, int64_t memory,
                           std::span<const int32_t> gpus) {
  StateKey key{cpu, uses_memory_ ? memory : 0, model, static_cast<int8_t>(gpus.size()), {}};
  for (size_t i = 0; i < gpus.size(); ++i) key.left[i] = static_cast<int16_t>(gpus[i]);
  std::sort(key.left.begin(), key.left.begin() + key.gpus);
  if (lookahead_memo_.empty()) lookahead_memo_.reserve(1 << 16);
  auto it = lookahead_memo_.find(key);
  if (it != lookahead_memo_.end()) return it->second;
  double value = shapes_.Lookahead(model, cpu, memory, gpus);
  lookahead_memo_.emplace(key, value);
  return value;
}

FragMove FgdCache::Compute(const TaskShape& task, const ClusterState& state, NodeIndex n) {
  FragMove move;
  move.version = state.version(n) + 1;
  const double before = NodeFrag(state, n);
  const GpuModelId model = state.spec(n).gpu_model;
  const int64_t cpu_after = state.cpu_left(n) - task.cpu_milli;
  const int64_t memory_after = state.memory_left(n) - task.memory_mib;
  auto gpus = state.gpu_left(n);
  std::array<int32_t, kMaxGpusPerNode> after{};
  std::copy(gpus.begin(), gpus.end(), after.begin());
  std::span<const int32_t> after_view(after.data(), gpus.size());

  if (task.IsGpuShare()) {
    // Try every GPU that fits; keep the first with the largest decrease.
    bool found = false;
    for (size_t i = 0; i < gpus.size(); ++i) {
      if (gpus[i] < task.gpu_milli) continue;
      after[i] -= task.gpu_milli;
      double frag = shapes_.Fragmentation(model, cpu_after, memory_after, after_view);
      after[i] += task.gpu_milli;
      if (!found || before - frag > move.decrease) {
        found = true;
        move.decrease = before - frag;
        move.after = frag;
        move.gpu = static_cast<int8_t>(i);
      }
    }
    if (found) after[static_cast<size_t>(move.gpu)] -= task.gpu_milli;
  } else {
    if (task.UsesGpu()) {
      GpuSlots slots = SelectFreeGpus(state, n, task.gpu_count);
      for (int8_t i : slots.view()) after[static_cast<size_t>(i)] = 0;
    }
    move.after = shapes_.Fragmentation(model, cpu_after, memory_after, after_view);
    move.decrease = before - move.after;
  }
  move.score = move.decrease;
  if (lookahead_weight_ > 0) {
    NodeMemo& memo = Node(state, n);
    if (memo.lookahead < 0) {
      memo.lookahead = Lookahead(model, state.cpu_left(n), state.memory_left(n), state.gpu_left(n));
    }
    const double ahead_before = memo.lookahead;
    const double ahead_after = Lookahead(model, cpu_after, memory_after, after_view);
    move.score = lookahead_weight_ * (ahead_before - ahead_after) +
                 (1 - lookahead_weight_) * move.decrease;
  }
  move.quantized = static_cast<int32_t>(100.0 / (1.0 + std::exp(-move.score / 1000.0)));
  return move;
}


}  // namespace suanwang
