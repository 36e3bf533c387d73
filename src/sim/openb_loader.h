// Loaders for the Alibaba GPU cluster trace v2023 ("openb") CSV files.
// Node list columns: sn, cpu_milli, memory_mib, gpu, model.
// Pod list columns: name, cpu_milli, memory_mib, num_gpu, gpu_milli, and optionally gpu_spec
// ("A|B" allowed GPU models; empty = any) and the timing columns (ignored here).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "model/gpu_model_table.h"
#include "model/resources.h"

namespace suanwang {

struct TaskTrace {
  std::string workload;             // file base name without ".csv"
  std::vector<std::string> names;   // task ids, parallel to `tasks`
  std::vector<TaskShape> tasks;
  // Present when the file has the timing columns (empty otherwise), parallel to `tasks`.
  std::vector<double> creation_s;   // arrival, seconds from trace start
  std::vector<double> deletion_s;   // departure; equal to creation_s when unknown
  std::vector<std::string> qos;     // LS, BE, Burstable, Guaranteed
  bool has_times() const { return !creation_s.empty(); }
};

// Errors: kUnavailable when the file cannot be read; kInvalidArgument with "file:line:
// column 'x': reason" for a malformed row (non-integer, negative, GPUs without a model,
// duplicate node name, more than 16 GPUs).
Result<std::vector<NodeSpec>> LoadOpenbNodes(const std::string& path, GpuModelTable& models);
Result<TaskTrace> LoadOpenbTasks(const std::string& path, GpuModelTable& models);

// "dir/openb_pod_list_default.csv" -> "openb_pod_list_default".
std::string WorkloadName(const std::string& path);

}  // namespace suanwang
