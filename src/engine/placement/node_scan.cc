#include "engine/placement/node_scan.h"

namespace suanwang {

std::optional<NodeIndex> RandomFeasibleNode(const TaskShape& task, const ClusterState& state, Rng& rng) {
  std::optional<NodeIndex> chosen;
  uint64_t seen = 0;
  for (NodeIndex n = 0; n < state.size(); ++n) {
    if (state.Fits(n, task) && rng.Uniform(++seen) == 0) chosen = n;
  }
  return chosen;
}

GpuSlots SelectFreeGpus(const ClusterState& state, NodeIndex n, int count) {
  GpuSlots slots;
  auto gpus = state.gpu_left(n);
  for (size_t i = 0; i < gpus.size() && slots.count < count; ++i) {
    if (gpus[i] == kMilliGpu) slots.Push(static_cast<int>(i));
  }
  return slots;
}

GpuSlots SelectGpusBestFit(const ClusterState& state, NodeIndex n, const TaskShape& task) {
  if (!task.UsesGpu()) return {};
  if (!task.IsGpuShare()) return SelectFreeGpus(state, n, task.gpu_count);
  auto gpus = state.gpu_left(n);
  int best = -1;
  for (size_t i = 0; i < gpus.size(); ++i) {
    if (gpus[i] >= task.gpu_milli && (best < 0 || gpus[i] < gpus[static_cast<size_t>(best)])) {
      best = static_cast<int>(i);
    }
  }
  GpuSlots slots;
  if (best >= 0) slots.Push(best);
  return slots;
}

GpuSlots SelectGpusRandom(const ClusterState& state, NodeIndex n, const TaskShape& task, Rng& rng) {
  if (!task.UsesGpu()) return {};
  if (!task.IsGpuShare()) return SelectFreeGpus(state, n, task.gpu_count);
  auto gpus = state.gpu_left(n);
  int chosen = -1;
  uint64_t seen = 0;
  for (size_t i = 0; i < gpus.size(); ++i) {
    if (gpus[i] >= task.gpu_milli && rng.Uniform(++seen) == 0) chosen = static_cast<int>(i);
  }
  GpuSlots slots;
  if (chosen >= 0) slots.Push(chosen);
  return slots;
}

}  // namespace suanwang
