// The energy side of a network: each site's PUE model, grid carbon series, green share and
// tariff, built from the network file's `energy` blocks and the power catalogue; the IT power
// of a job at a site. Formulas: power_model.h, pue_model.h, site_energy.h.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "energy/power_model.h"
#include "energy/site_energy.h"
#include "model/accelerator_catalog.h"
#include "model/job.h"
#include "model/network.h"

namespace suanwang {

class EnergyModel {
 public:
  // Site i of the network gets: PUE calibrated to its design `pue` (pue_model.h); carbon from
  // its `carbon_csv` (relative to network.source_dir), else a synthetic solar shape when
  // `solar_share` > 0, else its place's annual grid factor; temperature from
  // `temperature_csv` (column temperature_c, hourly from 1 January 00:00 UTC) or its constant;
  // its tariff; its green share.
  // Errors: kInvalidArgument "site 'ID': reason" for a PUE that cannot be calibrated, a bad
  // tariff or series file (file:line); kUnavailable for a file that cannot be read.
  static Result<EnergyModel> Create(const Network& network, const AcceleratorCatalog& accelerators,
                                    const PowerCatalog& power);

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

// Reads an hourly temperature file: CSV with a column temperature_c, one row per hour.
// Errors: as CsvReader, plus "path:line: column 'temperature_c': not in -60..60".
Result<HourlySeries> LoadTemperatureCsv(const std::string& path);

}  // namespace suanwang
