#include "server/registered_pools.h"

#include <algorithm>
#include <cctype>
#include <charconv>
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
    int count = 0;
    if (parts.size() >= 2) {
      const std::string& n = parts.back();
      if (std::from_chars(n.data(), n.data() + n.size(), count).ec != std::errc()) count = -1;
    }
    std::string type = parts.size() >= 3 ? parts[1] : "";
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::toupper(c); });
    return {count, type};
  }
  return {0, ""};
}

// The engine plans every registered node: a registration may not make it plan millions.
constexpr int64_t kMaxRegisteredNodes = 100000;

std::string DeclaredGpuModel(const Site& site) {
  for (const Pool& p : site.pools) {
    if (p.gpus > 0 && !p.gpu_model.empty()) return p.gpu_model;
  }
  return "GPU";
}

}  // namespace

Result<std::optional<std::vector<Pool>>> RegisteredPools(const std::string& resources_json, const Site& declared) {
  const auto j = nlohmann::json::parse(resources_json, nullptr, false);
  if (!j.is_object()) return std::optional<std::vector<Pool>>{};
  const auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidArgument, "site '" + declared.id + "': registration: " + why);
  };
  // Every field is read with its type checked: a registration is input from outside.
  const auto text = [](const nlohmann::json& o, const char* key) -> std::optional<std::string> {
    auto it = o.find(key);
    if (it == o.end()) return std::string();
    if (!it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  const auto integer = [](const nlohmann::json& o, const char* key, int64_t lo, int64_t hi,
                          std::optional<int64_t> fallback) -> std::optional<int64_t> {
    auto it = o.find(key);
    if (it == o.end()) return fallback;
    if (!it->is_number_integer()) return std::nullopt;
    const int64_t v = it->get<int64_t>();
    if (v < lo || v > hi) return std::nullopt;
    return v;
  };
  const auto source = text(j, "source");
  if (!source) return bad("field 'source': expected a text value");
  if (*source != "slurm") return std::optional<std::vector<Pool>>{};
  if (!j.contains("partitions") || !j["partitions"].is_array()) return bad("no 'partitions' list");
  if (j["partitions"].size() > 1000) return bad("field 'partitions': more than 1000 partitions");
  const auto wanted = text(j, "partition");
  if (!wanted) return bad("field 'partition': expected a text value");
  const auto depth = integer(j, "queue_depth", 1, 1000, 1);
  if (!depth) return bad("field 'queue_depth': expected an integer in 1..1000");
  std::vector<nlohmann::json> lines;
  for (const auto& p : j["partitions"]) {
    if (!p.is_object()) return bad("a partition is not an object");
    const auto name = text(p, "name");
    if (!name) return bad("partition field 'name': expected a text value");
    const auto is_default = p.find("default");
    if (is_default != p.end() && !is_default->is_boolean()) return bad("partition '" + *name + "': 'default' must be true or false");
    const bool chosen = wanted->empty() ? (is_default != p.end() && is_default->get<bool>()) : *name == *wanted;
    if (chosen) lines.push_back(p);
  }
  if (lines.empty()) lines.assign(j["partitions"].begin(), j["partitions"].end());
  std::vector<Pool> pools;
  int64_t total_nodes = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& p = lines[i];
    const std::string name = text(p, "name").value_or("");
    const auto nodes = integer(p, "nodes", 0, 100000, std::nullopt);
    const auto cpus = integer(p, "cpus", 0, 100000, std::nullopt);
    const auto memory = integer(p, "memory_mb", 0, int64_t{1} << 40, std::nullopt);
    if (!nodes || !cpus || !memory) {
      return bad("partition '" + name + "': nodes (0..100000), cpus (0..100000) and memory_mb must be integers in range");
    }
    const auto gres = text(p, "gres");
    if (!gres) return bad("partition '" + name + "': 'gres' must be a text value");
    const auto [gpus, type] = GresGpus(*gres);
    if (gpus < 0 || gpus > 64) return bad("partition '" + name + "': gres '" + *gres + "': GPUs per node must be in 0..64");
    Pool pool;
    pool.id = "slurm-" + (name.empty() ? std::string("partition") : name) + "-" + std::to_string(i);
    pool.nodes = *nodes * *depth;
    pool.cpu_milli = *cpus * 1000;
    pool.memory_mib = *memory;  // Slurm's MB are MiB
    pool.gpus = gpus;
    if (gpus > 0) pool.gpu_model = type.empty() ? DeclaredGpuModel(declared) : type;
    total_nodes += pool.nodes;
    if (total_nodes > kMaxRegisteredNodes) {
      return bad("more than " + std::to_string(kMaxRegisteredNodes) + " nodes in all (nodes x queue_depth)");
    }
    pools.push_back(pool);
  }
  return std::optional<std::vector<Pool>>{std::move(pools)};
}

}  // namespace suanwang
