#include "api/job_codec.h"

#include <algorithm>
#include <cmath>

#include "model/yaml_reader.h"

namespace suanwang {
namespace {

// The least CPU a task may ask for: below it, a gang of thousands of tasks would fit on one
// core and the scheduler's accounting would be meaningless.
constexpr double kMinTaskCpu = 0.01;

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

Result<std::vector<std::string>> StringList(const YamlReader& y, const YAML::Node& node,
                                            const std::string& field, bool allow_empty) {
  if (!node.IsSequence()) return std::unexpected(y.At(node, field, "expected a list of text values"));
  std::vector<std::string> out;
  for (size_t i = 0; i < node.size(); ++i) {
    if (!node[i].IsScalar() || node[i].Scalar().empty()) {
      return std::unexpected(y.At(node[i], field + "[" + std::to_string(i) + "]", "expected a non-empty text value"));
    }
    out.push_back(node[i].Scalar());
  }
  if (out.empty() && !allow_empty) return std::unexpected(y.At(node, field, "must not be empty"));
  return out;
}

Result<void> ReadResources(const YamlReader& y, const YAML::Node& r, JobRequest& job, GpuModelTable& models) {
  SW_CHECK(y.OnlyKeys(r, "resources", {"cpu", "memory_mib", "gpus", "gpu_models"}));
  SW_TRY(cpu, y.Number(r, "cpu", "resources"));
  if (!(cpu >= kMinTaskCpu) || cpu > 100000) {
    return std::unexpected(y.At(r["cpu"], "resources.cpu", "must be in [0.01, 100000] cores"));
  }
  SW_TRY(memory, y.Integer(r, "memory_mib", "resources", false, 0));
  if (memory < 0) return std::unexpected(y.At(r["memory_mib"], "resources.memory_mib", "negative"));
  SW_TRY(gpus, y.Number(r, "gpus", "resources", false, 0));
  TaskShape& t = job.spec.task;
  t.cpu_milli = std::llround(cpu * 1000);
  t.memory_mib = memory;
  if (gpus < 0 || gpus > 16) return std::unexpected(y.At(r["gpus"], "resources.gpus", "must be in 0..16"));
  if (gpus > 0 && gpus < 1) {
    t.gpu_count = 1;
    t.gpu_milli = static_cast<int32_t>(std::llround(gpus * kMilliGpu));
    if (t.gpu_milli < 1) return std::unexpected(y.At(r["gpus"], "resources.gpus", "a share below 0.001 GPU"));
  } else if (gpus >= 1) {
    if (gpus != std::floor(gpus)) {
      return std::unexpected(y.At(r["gpus"], "resources.gpus",
                                  "more than one GPU must be a whole number (a share is below 1)"));
    }
    t.gpu_count = static_cast<int32_t>(gpus);
    t.gpu_milli = kMilliGpu;
  }
  if (const YAML::Node m = r["gpu_models"]) {
    SW_TRY(names, StringList(y, m, "resources.gpu_models", false));
    if (t.gpu_count == 0) return std::unexpected(y.At(m, "resources.gpu_models", "set on a task without GPUs"));
    std::string joined;
    for (const std::string& n : names) joined += (joined.empty() ? "" : "|") + n;
    SW_TRY(mask, models.ParseMask(joined));
    t.gpu_models = mask;
  }
  return {};
}

}  // namespace

Result<JobRequest> ParseJobFile(const std::string& text, const std::string& source, GpuModelTable& models) {
  YamlReader y(source);
  SW_TRY(root, y.Parse(text));
  if (!root.IsMap()) return std::unexpected(y.At(root, "job", "expected a map of fields"));
  SW_CHECK(y.OnlyKeys(root, "job", {"name", "tasks", "resources", "command", "tier", "origin", "priority",
                                    "data", "allowed_hubs", "deadline_ms", "start_by_ms", "runtime_s",
                                    "utilisation", "budget_cny", "max_price_cny_per_scu_h", "spot", "precision"}));
  // Optional fields are looked up through a const node: a non-const lookup of a missing key
  // allocates a node, and submissions parse a job file each.
  const YAML::Node& fields = root;
  JobRequest job;
  SW_TRY(name, y.String(root, "name", "job"));
  if (!ValidName(name)) {
    return std::unexpected(y.At(root["name"], "name", "'" + name + "' must be 1-128 of A-Z a-z 0-9 . _ -"));
  }
  job.spec.name = name;
  SW_TRY(tasks, y.Integer(root, "tasks", "job", false, 1));
  if (tasks < 1 || tasks > 10000) return std::unexpected(y.At(root["tasks"], "tasks", "must be in 1..10000"));
  job.spec.tasks = static_cast<int32_t>(tasks);
  if (!root["resources"]) return std::unexpected(y.At(root, "resources", "missing"));
  SW_CHECK(ReadResources(y, root["resources"], job, models));
  if (!root["command"]) return std::unexpected(y.At(root, "command", "missing"));
  SW_TRY(command, StringList(y, root["command"], "command", false));
  job.command = std::move(command);
  SW_TRY(tier_text, y.String(root, "tier", "job", false, "any"));
  auto tier = ParseTier(tier_text);
  if (!tier) return std::unexpected(y.At(root["tier"], "tier", "'" + tier_text + "' is not one of t1, t2, t3, any"));
  job.spec.tier = *tier;
  SW_TRY(origin, y.String(root, "origin", "job", false));
  if (job.spec.tier != Tier::kAny && origin.empty()) {
    return std::unexpected(y.At(root, "origin", "required for tier " + tier_text + " (latency is measured from it)"));
  }
  job.spec.origin = origin;
  SW_TRY(priority, y.Integer(root, "priority", "job", false, 0));
  if (priority < -1000 || priority > 1000) return std::unexpected(y.At(root["priority"], "priority", "must be in -1000..1000"));
  job.spec.priority = static_cast<int32_t>(priority);
  if (const YAML::Node d = fields["data"]) {
    SW_CHECK(y.OnlyKeys(d, "data", {"place", "gb"}));
    SW_TRY(place, y.String(d, "place", "data"));
    SW_TRY(gb, y.Number(d, "gb", "data", false, 0));
    if (gb < 0) return std::unexpected(y.At(d["gb"], "data.gb", "negative"));
    job.spec.data_place = place;
    job.spec.data_gb = gb;
  }
  if (const YAML::Node h = fields["allowed_hubs"]) {
    SW_TRY(hubs, StringList(y, h, "allowed_hubs", false));
    job.spec.allowed_hubs = std::move(hubs);
  }
  if (fields["deadline_ms"]) {
    SW_TRY(deadline, y.Integer(root, "deadline_ms", "job"));
    if (deadline <= 0) return std::unexpected(y.At(root["deadline_ms"], "deadline_ms", "must be positive"));
    job.spec.deadline_ms = deadline;
  }
  if (fields["start_by_ms"]) {
    SW_TRY(start_by, y.Integer(root, "start_by_ms", "job"));
    if (start_by <= 0) return std::unexpected(y.At(root["start_by_ms"], "start_by_ms", "must be positive"));
    if (job.spec.deadline_ms && start_by > *job.spec.deadline_ms) {
      return std::unexpected(y.At(root["start_by_ms"], "start_by_ms", "is after deadline_ms"));
    }
    job.spec.start_by_ms = start_by;
  }
  if (fields["runtime_s"]) {
    SW_TRY(runtime, y.Number(root, "runtime_s", "job"));
    if (!(runtime > 0)) return std::unexpected(y.At(root["runtime_s"], "runtime_s", "must be positive"));
    job.spec.duration_s = runtime;
  }
  if (fields["budget_cny"]) {
    SW_TRY(budget, y.Number(root, "budget_cny", "job"));
    if (!(budget > 0)) return std::unexpected(y.At(root["budget_cny"], "budget_cny", "must be positive"));
    if (job.spec.duration_s <= 0) {
      return std::unexpected(y.At(root["budget_cny"], "budget_cny", "needs runtime_s, to estimate the job's cost"));
    }
    job.spec.budget_cny = budget;
  }
  if (fields["max_price_cny_per_scu_h"]) {
    SW_TRY(price, y.Number(root, "max_price_cny_per_scu_h", "job"));
    if (!(price > 0)) {
      return std::unexpected(y.At(root["max_price_cny_per_scu_h"], "max_price_cny_per_scu_h", "must be positive"));
    }
    job.spec.max_price = price;
  }
  if (fields["precision"]) {
    SW_TRY(precision, y.String(root, "precision", "job"));
    static const char* const kKnown[] = {"fp64", "fp64_tensor", "fp32", "tf32", "bf16", "fp16", "fp8", "int8"};
    if (std::find(std::begin(kKnown), std::end(kKnown), precision) == std::end(kKnown)) {
      return std::unexpected(y.At(root["precision"], "precision",
                                  "'" + precision + "' is not fp64, fp64_tensor, fp32, tf32, bf16, fp16, fp8 or int8"));
    }
    job.spec.precision = precision;
  }
  if (const YAML::Node spot = fields["spot"]) {
    if (!spot.IsScalar() || (spot.Scalar() != "true" && spot.Scalar() != "false")) {
      return std::unexpected(y.At(spot, "spot", "expected true or false"));
    }
    job.spec.spot = spot.Scalar() == "true";
  }
  if (const YAML::Node u = fields["utilisation"]) {
    SW_CHECK(y.OnlyKeys(u, "utilisation", {"gpu", "cpu"}));
    SW_TRY(gpu, y.Number(u, "gpu", "utilisation", false, -1));
    SW_TRY(cpu, y.Number(u, "cpu", "utilisation", false, -1));
    if (u["gpu"] && (gpu < 0 || gpu > 1)) return std::unexpected(y.At(u["gpu"], "utilisation.gpu", "not in 0..1"));
    if (u["cpu"] && (cpu < 0 || cpu > 1)) return std::unexpected(y.At(u["cpu"], "utilisation.cpu", "not in 0..1"));
    job.spec.gpu_util = gpu;
    job.spec.cpu_util = cpu;
  }
  return job;
}

}  // namespace suanwang
