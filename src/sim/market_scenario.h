// The market scenario (data/scenarios/market-*.yaml): the workload of a green scenario (its
// network, inventory and GAIA-derived jobs) traded through the periodic clearing instead of
// placed by a cost model. The format is documented in data/scenarios/README.md.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "model/network.h"

namespace suanwang {

struct MarketScenario {
  std::string name;
  std::string description;
  std::string workload_path;     // a green scenario file, resolved against this file's folder
  double slot_min = 60;          // one clearing per slot
  double max_wait_h = 24;        // a job not served within this after arriving leaves
  double value_median = 0.025;   // tenants' max prices: lognormal [CNY/SCU-h]
  double value_sigma = 0.5;
  double hold_cny_per_gpu_h = 4; // providers' reservation price on top of electricity [CNY/GPU-h]
  std::vector<Tier> on_demand_tiers;  // jobs of these tiers buy on-demand (never preempted)
  uint64_t seed = 7;
};

// Errors: kInvalidArgument "path:line: field 'x': reason" for syntax errors, unknown or
// missing fields, non-positive slot, wait, median or sigma, negative hold price, unknown tier.
Result<MarketScenario> ParseMarketScenario(const std::string& text, const std::string& path);

// Whether a scenario file is a market scenario (it has a top-level 'market' key).
bool IsMarketScenario(const std::string& text);

}  // namespace suanwang
