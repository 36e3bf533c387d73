// The network suanwang manages: hubs, places (clusters and demand cities), the latency between
// places, and the compute sites with their pools of identical nodes. Plain values plus lookups.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "model/gpu_model_table.h"
#include "model/resources.h"

namespace suanwang {

// The latency circle a job needs, measured as RTT from its origin city to the site.
enum class Tier { kT1, kT2, kT3, kAny };
Result<Tier> ParseTier(std::string_view text);  // "t1", "t2", "t3", "any"
std::string_view TierName(Tier tier);

struct Hub {
  std::string id;
  std::string name;
};

struct Place {
  std::string id;
  std::string kind;  // "cluster" or "city"
  std::string name;
  std::string name_zh;
  std::string hub;   // empty: in no national hub
  std::string province;
  double lat_deg = 0;
  double lon_deg = 0;
  std::string grid_region;
  double grid_kgco2_per_kwh = 0;
  double pue_cap = 0;  // 0: no policy cap
};

// A homogeneous group of nodes in a site.
struct Pool {
  std::string id;
  int64_t nodes = 0;
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int32_t gpus = 0;
  std::string gpu_model;  // empty for CPU-only pools
};

// What the energy model needs to know about a site (energy/energy_model.h); every field is
// optional in the network file (data/networks/README.md, "energy").
struct SiteEnergyParams {
  std::string cooling = "air";     // "air" | "liquid"
  double temperature_c = 15;       // annual mean outside temperature [deg C]
  std::string temperature_csv;     // hourly outside temperature (column temperature_c), optional
  double green_share = 0;          // contracted green-power share of its electricity, 0..1
  double price_cny_per_kwh = 0;    // flat electricity price [CNY/kWh]; 0: unknown
  double peak_x = 1.5, valley_x = 0.5;
  std::string tou_hours;           // 24 letters v/f/p; empty: the default pattern
  std::string carbon_csv;          // hourly grid intensity (Electricity Maps format), optional
  double solar_share = 0;          // >0: synthetic hourly shape from this solar share
  double cooling_capacity_kw = 0;  // heat the site can remove; 0: not limited
};

struct Site {
  std::string id;
  std::string place;  // a Place id
  std::string owner = "system";  // the tenant that provides it (posts its offers, earns from it)
  double pue = 1.0;   // design PUE: at the reference load and the annual mean temperature
  std::vector<Pool> pools;
  SiteEnergyParams energy;
};

// The nodes of `pools`, pool by pool ("site/pool/0001"), GPU models interned in `models`.
// Errors: those of GpuModelTable::Intern.
Result<std::vector<NodeSpec>> PoolNodes(const std::string& site_id, const std::vector<Pool>& pools,
                                        GpuModelTable& models);

class Network {
 public:
  std::string name;
  std::string description;
  double tier_ms[3] = {1, 5, 20};
  double intra_place_rtt_ms = 0.5;
  double transfer_bandwidth_gbps = 10;
  double transfer_cost_cny_per_gb = 0.05;
  std::vector<Hub> hubs;
  std::vector<Place> places;
  std::vector<Site> sites;
  std::string source_dir;  // directory of the network file: relative paths in it start there

  // Index of a place / site / hub by id, or nullopt.
  std::optional<size_t> PlaceIndex(std::string_view id) const;
  std::optional<size_t> SiteIndex(std::string_view id) const;
  std::optional<size_t> HubIndex(std::string_view id) const;

  // Sets the RTT between two places (symmetric). Errors: kNotFound for an unknown place,
  // kInvalidArgument for a negative value.
  Result<void> SetRtt(std::string_view a, std::string_view b, double ms);
  // RTT between places by index: the configured value, intra_place_rtt_ms for a place with
  // itself, else modelled from great-circle distance as 2 * 1.5 * km / (200 km/ms) + 1 ms.
  double RttMs(size_t a, size_t b) const;
  // Largest RTT a tier allows (infinity for kAny).
  double TierLimitMs(Tier tier) const;
  // Whether a site is within `tier` of the origin place.
  bool WithinTier(size_t origin_place, size_t site, Tier tier) const;

  // The nodes of a site, pool by pool ("site/pool/0001"), GPU models interned in `models`.
  Result<std::vector<NodeSpec>> SiteNodes(size_t site, GpuModelTable& models) const;

  // Rebuilds the id maps after places/sites/hubs were edited directly.
  void Reindex();

 private:
  std::unordered_map<std::string, size_t> place_index_, site_index_, hub_index_;
  std::unordered_map<uint64_t, double> rtt_;  // key: min(a,b) << 32 | max(a,b)
};

double GreatCircleKm(double lat1, double lon1, double lat2, double lon2);

}  // namespace suanwang
