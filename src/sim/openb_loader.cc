#include "sim/openb_loader.h"

#include <unordered_set>

#include "common/csv_reader.h"

namespace suanwang {
namespace {

Result<int64_t> NonNegative(const CsvReader& csv, int column) {
  auto v = csv.Int(column);
  if (!v) return v;
  if (*v < 0) return std::unexpected(csv.FieldError(column, std::to_string(*v) + " is negative"));
  return v;
}

}  // namespace

std::string WorkloadName(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  if (base.ends_with(".csv")) base.resize(base.size() - 4);
  return base;
}

Result<std::vector<NodeSpec>> LoadOpenbNodes(const std::string& path, GpuModelTable& models) {
  SW_TRY(csv, CsvReader::Open(path));
  SW_TRY(c_name, csv.Column("sn"));
  SW_TRY(c_cpu, csv.Column("cpu_milli"));
  SW_TRY(c_mem, csv.Column("memory_mib"));
  SW_TRY(c_gpu, csv.Column("gpu"));
  SW_TRY(c_model, csv.Column("model"));
  std::vector<NodeSpec> nodes;
  std::unordered_set<std::string> seen;
  while (csv.Next()) {
    if (auto w = csv.CheckWidth(); !w) return std::unexpected(w.error());
    NodeSpec node;
    node.name = std::string(csv.Field(c_name));
    if (node.name.empty()) return std::unexpected(csv.FieldError(c_name, "empty node name"));
    if (!seen.insert(node.name).second) {
      return std::unexpected(csv.FieldError(c_name, "node '" + node.name + "' appears twice"));
    }
    SW_TRY(cpu, NonNegative(csv, c_cpu));
    SW_TRY(mem, NonNegative(csv, c_mem));
    SW_TRY(gpu, NonNegative(csv, c_gpu));
    if (gpu > 16) return std::unexpected(csv.FieldError(c_gpu, std::to_string(gpu) + " GPUs is more than 16 per node"));
    node.cpu_milli = cpu;
    node.memory_mib = mem;
    node.gpu_count = static_cast<int32_t>(gpu);
    std::string_view model = csv.Field(c_model);
    if (gpu > 0) {
      if (model.empty()) return std::unexpected(csv.FieldError(c_model, "node has GPUs but no model"));
      auto id = models.Intern(model);
      if (!id) return std::unexpected(csv.FieldError(c_model, id.error().message));
      node.gpu_model = *id;
    }
    nodes.push_back(std::move(node));
  }
  if (nodes.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, path + ": no nodes (only a header)");
  }
  return nodes;
}

Result<TaskTrace> LoadOpenbTasks(const std::string& path, GpuModelTable& models) {
  SW_TRY(csv, CsvReader::Open(path));
  SW_TRY(c_name, csv.Column("name"));
  SW_TRY(c_cpu, csv.Column("cpu_milli"));
  SW_TRY(c_mem, csv.Column("memory_mib"));
  SW_TRY(c_num, csv.Column("num_gpu"));
  SW_TRY(c_milli, csv.Column("gpu_milli"));
  const int c_spec = csv.HasColumn("gpu_spec") ? *csv.Column("gpu_spec") : -1;
  const bool timed = csv.HasColumn("creation_time") && csv.HasColumn("deletion_time");
  const int c_created = timed ? *csv.Column("creation_time") : -1;
  const int c_deleted = timed ? *csv.Column("deletion_time") : -1;
  const int c_qos = csv.HasColumn("qos") ? *csv.Column("qos") : -1;
  TaskTrace trace;
  trace.workload = WorkloadName(path);
  while (csv.Next()) {
    if (auto w = csv.CheckWidth(); !w) return std::unexpected(w.error());
    TaskShape t;
    SW_TRY(cpu, NonNegative(csv, c_cpu));
    SW_TRY(mem, NonNegative(csv, c_mem));
    SW_TRY(num, NonNegative(csv, c_num));
    SW_TRY(milli, NonNegative(csv, c_milli));
    if (num > 16) return std::unexpected(csv.FieldError(c_num, std::to_string(num) + " GPUs is more than 16"));
    if (milli > kMilliGpu) {
      return std::unexpected(csv.FieldError(c_milli, std::to_string(milli) + " is above 1000 (one whole GPU)"));
    }
    if (num > 1 && milli != kMilliGpu) {
      return std::unexpected(csv.FieldError(
          c_milli, std::to_string(milli) + ": a task with several GPUs must ask for whole GPUs (1000)"));
    }
    if (num > 0 && milli == 0) {
      return std::unexpected(csv.FieldError(c_milli, "0 milli-GPU for a task that asks for GPUs"));
    }
    t.cpu_milli = cpu;
    t.memory_mib = mem;
    t.gpu_count = static_cast<int32_t>(num);
    t.gpu_milli = num > 0 ? static_cast<int32_t>(milli) : 0;
    if (c_spec >= 0 && num > 0) {
      auto mask = models.ParseMask(csv.Field(c_spec));
      if (!mask) return std::unexpected(csv.FieldError(c_spec, mask.error().message));
      t.gpu_models = *mask;
    }
    if (timed) {
      SW_TRY(created, NonNegative(csv, c_created));
      auto deleted = csv.IntOr(c_deleted, created);
      if (!deleted) return std::unexpected(deleted.error());
      if (*deleted < created) {
        return std::unexpected(csv.FieldError(c_deleted, std::to_string(*deleted) + " is before creation_time " +
                                                             std::to_string(created)));
      }
      trace.creation_s.push_back(static_cast<double>(created));
      trace.deletion_s.push_back(static_cast<double>(*deleted));
      trace.qos.emplace_back(c_qos >= 0 ? csv.Field(c_qos) : "");
    }
    trace.names.emplace_back(csv.Field(c_name));
    trace.tasks.push_back(t);
  }
  if (trace.tasks.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, path + ": no tasks (only a header)");
  }
  return trace;
}

}  // namespace suanwang
