// The energy side of a network: each site's PUE model, grid carbon series, green share and
// tariff, built from the network file's `energy` blocks and the power catalogue; the IT power
// of a job at a site. Formulas: power_model.h, pue_model.h, site_energy.h.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "energy/power_model.h"
#include "energy/site_energy.h"
#include "model/accelerator_catalog.h"
#include "model/job.h"
#include "model/network.h"

namespace suanwang {

// Hourly series read from the files a network names (carbon_csv, temperature_csv), keyed by
// the name as written there; the reading lives with the other file adapters (sim/energy_files.h).
using SeriesFiles = std::map<std::string, HourlySeries>;

class EnergyModel {
 public:
  // Site i of the network gets: PUE calibrated to its design `pue` (pue_model.h); carbon from
  // its `carbon_csv` series, else a synthetic solar shape when `solar_share` > 0, else its
  // place's annual grid factor; temperature from its `temperature_csv` series or its constant;
  // its tariff; its green share.
  // Errors: kInvalidArgument "site 'ID': reason" for a PUE that cannot be calibrated, a bad
  // tariff, or a series file missing from `files`.
  static Result<EnergyModel> Create(const Network& network, const AcceleratorCatalog& accelerators,
                                    const PowerCatalog& power, const SeriesFiles& files = {});

  const SiteEnergy& site(size_t i) const { return sites_[i]; }
  size_t size() const { return sites_.size(); }
  const PowerCatalog& power() const { return power_; }

  // IT power of the whole job (every task) at site i [W]: its GPUs at the power of the first
  // of the site's GPU models the job allows (`models` interns the names), its cores at the
  // reference core's; at the job's utilisation or the catalogue's default.
  double JobItPowerW(const JobSpec& job, size_t site, const GpuModelTable& models) const;
  // The site's IT capacity [W]: every node's devices at full power.
  double ItCapacityW(size_t site) const { return capacity_w_[site]; }

 private:
  struct GpuKind {
    std::string model;
    DevicePower power;
  };
  PowerCatalog power_;
  std::vector<SiteEnergy> sites_;
  std::vector<std::vector<GpuKind>> gpu_kinds_;  // per site, pool order
  std::vector<double> capacity_w_;
};

}  // namespace suanwang
