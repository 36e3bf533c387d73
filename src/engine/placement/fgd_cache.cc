#include "engine/placement/fgd_cache.h"

#include <array>

#include "engine/placement/node_scan.h"

namespace suanwang {

FgdCache::MoveTable& FgdCache::Table(const TaskShape& task, const ClusterState& state) {
  ShapeKey key{task.cpu_milli, task.UsesGpu() ? task.gpu_milli : 0,
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

double FgdCache::NodeFrag(const ClusterState& state, NodeIndex n) {
  if (node_frag_.size() != state.size()) node_frag_.assign(state.size(), {0, 0.0});
  auto& [version, frag] = node_frag_[n];
  if (version != state.version(n) + 1) {
    frag = NodeFragmentation(state, n, shapes_);
    version = state.version(n) + 1;
  }
  return frag;
}

FragMove FgdCache::Compute(const TaskShape& task, const ClusterState& state, NodeIndex n) {
  FragMove move;
  move.version = state.version(n) + 1;
  const double before = NodeFrag(state, n);
  const GpuModelId model = state.spec(n).gpu_model;
  const int64_t cpu_after = state.cpu_left(n) - task.cpu_milli;
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
      double frag = NodeFragmentation(model, cpu_after, after_view, shapes_);
      after[i] += task.gpu_milli;
      if (!found || before - frag > move.decrease) {
        found = true;
        move.decrease = before - frag;
        move.after = frag;
        move.gpu = static_cast<int8_t>(i);
      }
    }
    return move;
  }
  if (task.UsesGpu()) {
    GpuSlots slots = SelectFreeGpus(state, n, task.gpu_count);
    for (int8_t i : slots.view()) after[static_cast<size_t>(i)] = 0;
  }
  move.after = NodeFragmentation(model, cpu_after, after_view, shapes_);
  move.decrease = before - move.after;
  return move;
}

}  // namespace suanwang
