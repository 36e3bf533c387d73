#include "energy/energy_model.h"

namespace suanwang {
namespace {

Result<HourlySeries> FileSeries(const SeriesFiles& files, const std::string& name, const char* field) {
  auto it = files.find(name);
  if (it == files.end()) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " '" + name + "' was not loaded");
  }
  return it->second;
}

Error ForSite(const Site& site, const Error& e) {
  return Error{e.code, "site '" + site.id + "': " + e.message};
}

Result<HourlySeries> CarbonSeries(const Network& network, const Site& site, const SeriesFiles& files) {
  const SiteEnergyParams& p = site.energy;
  if (!p.carbon_csv.empty()) return FileSeries(files, p.carbon_csv, "carbon_csv");
  const auto place = network.PlaceIndex(site.place);
  const double annual = place ? network.places[*place].grid_kgco2_per_kwh : 0.0;
  if (p.solar_share > 0) return HourlySeries::SyntheticSolar(annual, p.solar_share, 8);
  return HourlySeries::Constant(annual);
}

Result<SiteEnergy> BuildSite(const Network& network, const Site& site, const PowerCatalog& power,
                             const SeriesFiles& files) {
  const SiteEnergyParams& p = site.energy;
  SiteEnergy out;
  SW_TRY(cooling, ParseCooling(p.cooling));
  out.cooling = cooling;
  PueParams pue{site.pue, power.reference_load, p.temperature_c, power.fixed_fraction,
                cooling == Cooling::kAir ? power.air : power.liquid};
  SW_TRY(model, PueModel::Calibrate(pue));
  out.pue = model;
  SW_TRY(carbon, CarbonSeries(network, site, files));
  out.carbon = std::move(carbon);
  if (!p.temperature_csv.empty()) {
    SW_TRY(temperature, FileSeries(files, p.temperature_csv, "temperature_csv"));
    out.temperature = std::move(temperature);
  } else {
    out.temperature = HourlySeries::Constant(p.temperature_c);
  }
  out.green_share = p.green_share;
  out.tariff.flat_cny_per_kwh = p.price_cny_per_kwh;
  out.tariff.peak_x = p.peak_x;
  out.tariff.valley_x = p.valley_x;
  if (!p.tou_hours.empty()) out.tariff.hours = p.tou_hours;
  SW_CHECK(out.tariff.Validate());
  out.cooling_capacity_kw = p.cooling_capacity_kw;
  return out;
}

}  // namespace

Result<EnergyModel> EnergyModel::Create(const Network& network, const AcceleratorCatalog& accelerators,
                                        const PowerCatalog& power, const SeriesFiles& files) {
  EnergyModel m;
  m.power_ = power;
  for (const Site& site : network.sites) {
    auto built = BuildSite(network, site, power, files);
    if (!built) return std::unexpected(ForSite(site, built.error()));
    m.sites_.push_back(std::move(*built));
    std::vector<GpuKind> kinds;
    double capacity = 0;
    for (const Pool& pool : site.pools) {
      const DevicePower gpu = GpuPower(accelerators, power, pool.gpu_model);
      if (pool.gpus > 0) kinds.push_back(GpuKind{pool.gpu_model, gpu});
      TaskShape whole{pool.cpu_milli, pool.memory_mib, pool.gpus, pool.gpus > 0 ? kMilliGpu : 0};
      capacity += static_cast<double>(pool.nodes) * TaskItPowerW(whole, gpu, power.cpu_core, Utilisation{1, 1});
    }
    m.gpu_kinds_.push_back(std::move(kinds));
    m.capacity_w_.push_back(capacity);
  }
  return m;
}

double EnergyModel::JobItPowerW(const JobSpec& job, size_t site, const GpuModelTable& models) const {
  DevicePower gpu{power_.gpu_idle_fraction * power_.gpu_default_tdp_w, power_.gpu_default_tdp_w};
  if (job.task.UsesGpu()) {
    for (const GpuKind& kind : gpu_kinds_[site]) {
      const GpuModelId id = models.Find(kind.model);
      if (job.task.AllowsModel(id)) {
        gpu = kind.power;
        break;
      }
    }
  }
  Utilisation u = power_.default_utilisation;
  if (job.gpu_util >= 0) u.gpu = job.gpu_util;
  if (job.cpu_util >= 0) u.cpu = job.cpu_util;
  return job.tasks * TaskItPowerW(job.task, gpu, power_.cpu_core, u);
}

}  // namespace suanwang
