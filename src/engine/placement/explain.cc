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

namespace {

struct Counts {
  size_t could_ever = 0, lack_cpu = 0, lack_memory = 0, lack_gpu = 0;
  size_t model_ok = 0, gpu_count_ok = 0, cpu_ok = 0, memory_ok = 0;
};

Counts CountNodes(const TaskShape& task, const ClusterState& state) {
  Counts c;
  for (NodeIndex n = 0; n < state.size(); ++n) {
    const NodeSpec& spec = state.spec(n);
    bool model = !task.UsesGpu() || (spec.gpu_count > 0 && ModelAllowed(task.gpu_models, spec.gpu_model));
    c.model_ok += model;
    c.gpu_count_ok += model && (!task.UsesGpu() || spec.gpu_count >= task.gpu_count);
    c.cpu_ok += spec.cpu_milli >= task.cpu_milli;
    c.memory_ok += spec.memory_mib >= task.memory_mib;
    if (!state.FitsEmpty(n, task)) continue;
    ++c.could_ever;
    c.lack_cpu += state.cpu_left(n) < task.cpu_milli;
    c.lack_memory += state.memory_left(n) < task.memory_mib;
    TaskShape gpu_only = task;
    gpu_only.cpu_milli = 0;
    gpu_only.memory_mib = 0;
    c.lack_gpu += !state.Fits(n, gpu_only);
  }
  return c;
}

std::string WhyNever(const TaskShape& task, const Counts& c) {
  if (c.model_ok == 0) return "no node has the requested GPU model";
  if (c.gpu_count_ok == 0) {
    return "no node with an allowed GPU model has " + std::to_string(task.gpu_count) + " GPUs";
  }
  if (c.cpu_ok == 0) return "no node has that much CPU";
  if (c.memory_ok == 0) return "no node has that much memory";
  return "no single node has all of it at once";
}

}  // namespace

std::string NeverFitReason(const TaskShape& task, const ClusterState& state) {
  Counts c = CountNodes(task, state);
  return c.could_ever > 0 ? "" : WhyNever(task, c);
}

Decision ExplainUnplaced(const TaskShape& task, const ClusterState& state,
                         const GpuModelTable* gpu_models) {
  const Counts c = CountNodes(task, state);
  Decision d;
  const std::string what = DescribeTask(task, gpu_models);
  if (c.could_ever == 0) {
    d.kind = DecisionKind::kUnsatisfiable;
    d.reason = "can never fit: " + WhyNever(task, c) + " (task needs " + what + "; " +
               std::to_string(state.size()) + " nodes checked)";
  } else {
    d.kind = DecisionKind::kBusy;
    d.reason = "busy: " + std::to_string(c.could_ever) + " nodes could hold " + what +
               " but none has room now (" + std::to_string(c.lack_cpu) + " lack CPU, " +
               std::to_string(c.lack_memory) + " lack memory, " + std::to_string(c.lack_gpu) +
               " lack GPU)";
  }
  return d;
}

}  // namespace suanwang
