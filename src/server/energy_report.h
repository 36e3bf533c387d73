// The network's energy report (GET /v1/reports/energy, `suanwang report energy`): what the
// accounted tasks used and emitted, per site, hub and tenant, with PUE (facility / IT energy),
// the contracted green share and carbon per GPU-hour; and the heat load each site's running
// work is expected to put on its cooling over the next hours. Pure: no I/O.
#pragma once

#include <string>
#include <vector>

#include "energy/energy_model.h"
#include "model/network.h"
#include "store/store.h"

namespace suanwang {

// Expected IT heat [kW] at a site for each of the next hours (index 0: now).
struct HeatForecast {
  std::string site;
  double capacity_kw = 0;  // 0: not limited
  std::vector<double> kw;
};

// JSON: {"sites": [...], "hubs": [...], "tenants": [...], "total": {...}, "heat_forecast": [...]}
// where each row has "tasks", "gpu_hours", "it_kwh", "facility_kwh", "pue", "carbon_kg",
// "energy_cny", "carbon_kg_per_gpu_hour", "green_share" (facility-weighted contracted share).
// `sums` should already hold only what the caller may see.
std::string EnergyReportJson(const Network& network, const EnergyModel* energy, const std::vector<EnergySum>& sums,
                             const std::vector<HeatForecast>& heat);

}  // namespace suanwang
