#include <cstdio>
#include <string>

#include "engine/placement/policy.h"

namespace suanwang {

std::string DescribeTask(const TaskShape& task, const GpuModelTable* gpu_models) {
  char buf[160];
  std::string out;
  if (task.UsesGpu()) {
    if (task.IsGpuShare()) {
      std::snprintf(buf, sizeof buf, "%.3g GPU", task.gpu_milli / 1000.0);
    } else {
      std::snprintf(buf, sizeof buf, "%d GPU", task.gpu_count);
    }
    out += buf;
    if (task.gpu_models != kAnyGpuModel) {
      out += " (";
      out += gpu_models ? gpu_models->MaskToString(task.gpu_models) : "restricted models";
      out += ")";
    }
    out += ", ";
  }
  std::snprintf(buf, sizeof buf, "%.3g cores, %lld MiB", static_cast<double>(task.cpu_milli) / 1000.0,
                static_cast<long long>(task.memory_mib));
  return out + buf;
}

Decision Unplaced(const TaskShape& task, const ClusterState& state, const GpuModelTable* gpu_models) {
  if (!state.CouldEverFit(task)) return ExplainUnplaced(task, state, gpu_models);
  Decision d;
  d.kind = DecisionKind::kBusy;
  d.reason = "busy: no node has room for " + DescribeTask(task, gpu_models) + " now";
  return d;
}

Decision ExplainUnplaced(const TaskShape& task, const ClusterState& state,
                         const GpuModelTable* gpu_models) {
  size_t could_ever = 0, lack_cpu = 0, lack_memory = 0, lack_gpu = 0;
  size_t model_ok = 0, gpu_count_ok = 0, cpu_ok = 0, memory_ok = 0;
  for (NodeIndex n = 0; n < state.size(); ++n) {
    const NodeSpec& spec = state.spec(n);
    bool model = !task.UsesGpu() || (spec.gpu_count > 0 && ModelAllowed(task.gpu_models, spec.gpu_model));
    model_ok += model;
    gpu_count_ok += model && (!task.UsesGpu() || spec.gpu_count >= task.gpu_count);
    cpu_ok += spec.cpu_milli >= task.cpu_milli;
    memory_ok += spec.memory_mib >= task.memory_mib;
    if (!state.FitsEmpty(n, task)) continue;
    ++could_ever;
    lack_cpu += state.cpu_left(n) < task.cpu_milli;
    lack_memory += state.memory_left(n) < task.memory_mib;
    TaskShape gpu_only = task;
    gpu_only.cpu_milli = 0;
    gpu_only.memory_mib = 0;
    lack_gpu += !state.Fits(n, gpu_only);
  }
  Decision d;
  const std::string what = DescribeTask(task, gpu_models);
  if (could_ever == 0) {
    d.kind = DecisionKind::kUnsatisfiable;
    std::string why;
    if (model_ok == 0) {
      why = "no node has the requested GPU model";
    } else if (gpu_count_ok == 0) {
      why = "no node with an allowed GPU model has " + std::to_string(task.gpu_count) + " GPUs";
    } else if (cpu_ok == 0) {
      why = "no node has that much CPU";
    } else if (memory_ok == 0) {
      why = "no node has that much memory";
    } else {
      why = "no single node has all of it at once";
    }
    d.reason = "can never fit: " + why + " (task needs " + what + "; " +
               std::to_string(state.size()) + " nodes checked)";
  } else {
    d.kind = DecisionKind::kBusy;
    d.reason = "busy: " + std::to_string(could_ever) + " nodes could hold " + what +
               " but none has room now (" + std::to_string(lack_cpu) + " lack CPU, " +
               std::to_string(lack_memory) + " lack memory, " + std::to_string(lack_gpu) +
               " lack GPU)";
  }
  return d;
}

}  // namespace suanwang
