#include "server/registered_pools.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <sstream>

namespace suanwang {
namespace {

// GPUs in a GRES string ("gpu:2", "gpu:a100:2(S:0-1)", "gpu:2,mps:100", "(null)"): count, type.
std::pair<int, std::string> GresGpus(const std::string& gres) {
  std::stringstream entries(gres);
  std::string entry;
  while (std::getline(entries, entry, ',')) {
    if (!entry.starts_with("gpu:")) continue;
    std::vector<std::string> parts;
    std::stringstream fields(entry.substr(0, entry.find('(')));
    for (std::string part; std::getline(fields, part, ':');) parts.push_back(part);
    const int count = parts.size() >= 2 ? std::atoi(parts.back().c_str()) : 0;
    std::string type = parts.size() >= 3 ? parts[1] : "";
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::toupper(c); });
    return {count, type};
  }
  return {0, ""};
}

std::string DeclaredGpuModel(const Site& site) {
  for (const Pool& p : site.pools) {
    if (p.gpus > 0 && !p.gpu_model.empty()) return p.gpu_model;
  }
  return "GPU";
}

}  // namespace

Result<std::optional<std::vector<Pool>>> RegisteredPools(const std::string& resources_json, const Site& declared) {
  const auto j = nlohmann::json::parse(resources_json, nullptr, false);
  if (!j.is_object() || j.value("source", "") != "slurm") return std::optional<std::vector<Pool>>{};
  const auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidArgument, "site '" + declared.id + "': Slurm registration: " + why);
  };
  if (!j.contains("partitions") || !j["partitions"].is_array()) return bad("no 'partitions' list");
  const std::string wanted = j.value("partition", "");
  const int64_t depth = std::max<int64_t>(1, j.value("queue_depth", int64_t{1}));
  std::vector<nlohmann::json> lines;
  for (const auto& p : j["partitions"]) {
    if (!p.is_object()) return bad("a partition is not an object");
    const bool chosen = wanted.empty() ? p.value("default", false) : p.value("name", "") == wanted;
    if (chosen) lines.push_back(p);
  }
  if (lines.empty()) lines.assign(j["partitions"].begin(), j["partitions"].end());
  std::vector<Pool> pools;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& p = lines[i];
    if (!p.value("nodes", nlohmann::json()).is_number_integer() || !p.value("cpus", nlohmann::json()).is_number_integer() ||
        !p.value("memory_mb", nlohmann::json()).is_number_integer()) {
      return bad("partition '" + p.value("name", "?") + "': nodes, cpus and memory_mb must be integers");
    }
    const auto [gpus, type] = GresGpus(p.value("gres", ""));
    Pool pool;
    pool.id = "slurm-" + p.value("name", "partition") + "-" + std::to_string(i);
    pool.nodes = p["nodes"].get<int64_t>() * depth;
    pool.cpu_milli = p["cpus"].get<int64_t>() * 1000;
    pool.memory_mib = p["memory_mb"].get<int64_t>();  // Slurm's MB are MiB
    pool.gpus = gpus;
    if (gpus > 0) pool.gpu_model = type.empty() ? DeclaredGpuModel(declared) : type;
    pools.push_back(pool);
  }
  return std::optional<std::vector<Pool>>{std::move(pools)};
}

}  // namespace suanwang
