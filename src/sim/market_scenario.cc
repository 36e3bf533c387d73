#include "sim/market_scenario.h"

#include "model/yaml_reader.h"

namespace suanwang {

bool IsMarketScenario(const std::string& text) {
  YamlReader y("scenario");
  auto root = y.Parse(text);
  return root && root->IsMap() && static_cast<bool>((*root)["market"]);
}

Result<MarketScenario> ParseMarketScenario(const std::string& text, const std::string& path) {
  YamlReader y(path);
  SW_TRY(root, y.Parse(text));
  SW_CHECK(y.OnlyKeys(root, "scenario", {"name", "description", "workload", "market"}));
  MarketScenario s;
  SW_TRY(name, y.String(root, "name", "name"));
  SW_TRY(description, y.String(root, "description", "description", false));
  SW_TRY(workload, y.String(root, "workload", "workload"));
  s.name = name;
  s.description = description;
  const size_t slash = path.find_last_of('/');
  s.workload_path = workload[0] == '/' || slash == std::string::npos ? workload : path.substr(0, slash) + "/" + workload;
  const YAML::Node m = root["market"];
  SW_CHECK(y.OnlyKeys(m, "market", {"slot_min", "max_wait_h", "value", "hold_cny_per_gpu_h", "on_demand_tiers", "seed"}));
  SW_TRY(slot, y.Number(m, "slot_min", "market"));
  SW_TRY(wait, y.Number(m, "max_wait_h", "market"));
  SW_TRY(hold, y.Number(m, "hold_cny_per_gpu_h", "market"));
  SW_TRY(seed, y.Integer(m, "seed", "market", false, 7));
  if (!(slot > 0)) return std::unexpected(y.At(m["slot_min"], "market.slot_min", "must be positive"));
  if (!(wait > 0)) return std::unexpected(y.At(m["max_wait_h"], "market.max_wait_h", "must be positive"));
  if (hold < 0) return std::unexpected(y.At(m["hold_cny_per_gpu_h"], "market.hold_cny_per_gpu_h", "must not be negative"));
  const YAML::Node v = m["value"];
  if (!v) return std::unexpected(y.At(m, "market.value", "missing"));
  SW_CHECK(y.OnlyKeys(v, "market.value", {"median_cny_per_scu_h", "sigma"}));
  SW_TRY(median, y.Number(v, "median_cny_per_scu_h", "market.value"));
  SW_TRY(sigma, y.Number(v, "sigma", "market.value"));
  if (!(median > 0)) return std::unexpected(y.At(v["median_cny_per_scu_h"], "market.value.median_cny_per_scu_h", "must be positive"));
  if (!(sigma > 0)) return std::unexpected(y.At(v["sigma"], "market.value.sigma", "must be positive"));
  if (const YAML::Node tiers = m["on_demand_tiers"]) {
    SW_CHECK(y.IsSequence(tiers, "market.on_demand_tiers"));
    for (const YAML::Node& t : tiers) {
      auto tier = ParseTier(t.Scalar());
      if (!tier) return std::unexpected(y.At(t, "market.on_demand_tiers", tier.error().message));
      s.on_demand_tiers.push_back(*tier);
    }
  }
  s.slot_min = slot;
  s.max_wait_h = wait;
  s.hold_cny_per_gpu_h = hold;
  s.value_median = median;
  s.value_sigma = sigma;
  s.seed = static_cast<uint64_t>(seed);
  return s;
}

}  // namespace suanwang
