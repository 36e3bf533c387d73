#include "sim/carbon_floor.h"

#include <coin/ClpSimplex.hpp>
#include <coin/CoinPackedMatrix.hpp>

#include <algorithm>
#include <map>

namespace suanwang {
namespace {

constexpr double kMsPerHour = 3'600'000.0;

struct Bin {
  double kg_per_kwh = 0;  // the lowest k_sh in the bin
  double hours = 0;
};

// Carbon per kWh of IT energy at the site in each hour of the span, grouped into bins that
// count at the lowest value they hold.
std::vector<Bin> SiteBins(const SiteEnergy& site, const CarbonFloorOptions& options) {
  std::vector<Bin> pieces;
  const Timestamp first_hour = options.span_start_ms / 3'600'000 * 3'600'000;
  for (Timestamp h = first_hour; h < options.span_end_ms; h += 3'600'000) {
    const Timestamp from = std::max(h, options.span_start_ms);
    const Timestamp to = std::min<Timestamp>(h + 3'600'000, options.span_end_ms);
    const double k = site.pue.At(1.0, site.temperature.At(h)) * (1 - site.green_share) * site.carbon.At(h);
    pieces.push_back({k, static_cast<double>(to - from) / kMsPerHour});
  }
  std::sort(pieces.begin(), pieces.end(), [](const Bin& a, const Bin& b) { return a.kg_per_kwh < b.kg_per_kwh; });
  // Hours with the same k are one group (a daily-periodic series has at most 24); with more
  // groups than bins, neighbouring groups merge into bins of about equal length.
  std::vector<Bin> groups;
  double total = 0;
  for (const Bin& p : pieces) {
    if (groups.empty() || p.kg_per_kwh > groups.back().kg_per_kwh * (1 + 1e-12) + 1e-15) groups.push_back({p.kg_per_kwh, 0});
    groups.back().hours += p.hours;
    total += p.hours;
  }
  if (groups.size() <= static_cast<size_t>(options.bins)) return groups;
  const double per_bin = total / options.bins;
  std::vector<Bin> bins;
  double done = 0;
  for (const Bin& g : groups) {
    if (bins.empty() || (done >= per_bin * static_cast<double>(bins.size()) - 1e-9 &&
                         bins.size() < static_cast<size_t>(options.bins))) {
      bins.push_back({g.kg_per_kwh, 0});
    }
    bins.back().hours += g.hours;
    done += g.hours;
  }
  return bins;
}

// GPUs of models the job allows at the site.
int64_t AllowedGpus(const Site& site, const JobSpec& job, const GpuModelTable& models) {
  int64_t gpus = 0;
  for (const Pool& pool : site.pools) {
    if (pool.gpus > 0 && job.task.AllowsModel(models.Find(pool.gpu_model))) gpus += pool.nodes * pool.gpus;
  }
  return gpus;
}

bool Eligible(const Network& network, const JobSpec& job, size_t s, double job_gpus, const GpuModelTable& models) {
  const Site& site = network.sites[s];
  if (job.tier != Tier::kAny) {
    auto origin = network.PlaceIndex(job.origin);
    if (!origin || !network.WithinTier(*origin, s, job.tier)) return false;
  }
  if (!job.allowed_hubs.empty()) {
    auto place = network.PlaceIndex(site.place);
    const std::string hub = place ? network.places[*place].hub : "";
    if (std::find(job.allowed_hubs.begin(), job.allowed_hubs.end(), hub) == job.allowed_hubs.end()) return false;
  }
  return static_cast<double>(AllowedGpus(site, job, models)) >= job_gpus;
}

// Jobs grouped by their eligible sites and IT energy per GPU-hour there (-1: not eligible).
struct Classes {
  std::map<std::vector<double>, double> gpu_hours;  // key: e_cs per site
};

Result<Classes> GroupJobs(const Network& network, const EnergyModel& energy, const std::vector<JobSpec>& jobs,
                          const GpuModelTable& models, CarbonFloor& floor) {
  Classes classes;
  const size_t sites = network.sites.size();
  for (const JobSpec& job : jobs) {
    const double gpus = static_cast<double>(job.TotalGpuMilli()) / 1000;
    if (gpus <= 0) {
      return MakeError(ErrorCode::kInvalidArgument, "job '" + job.name + "' has no GPUs: the floor is per GPU-hour");
    }
    if (job.duration_s <= 0) continue;
    std::vector<double> key(sites, -1);
    bool any = false;
    for (size_t s = 0; s < sites; ++s) {
      if (!Eligible(network, job, s, gpus, models)) continue;
      key[s] = energy.JobItPowerW(job, s, models) / gpus / 1000;
      any = true;
    }
    if (!any) {
      ++floor.jobs_without_site;
      continue;
    }
    const double gpu_hours = gpus * job.duration_s / 3600;
    classes.gpu_hours[key] += gpu_hours;
    floor.gpu_hours += gpu_hours;
    ++floor.jobs;
  }
  return classes;
}

}  // namespace

Result<CarbonFloor> SolveCarbonFloor(const Network& network, const EnergyModel& energy,
                                     const std::vector<JobSpec>& jobs, const GpuModelTable& models,
                                     const CarbonFloorOptions& options) {
  if (options.span_end_ms <= options.span_start_ms) {
    return MakeError(ErrorCode::kInvalidArgument, "carbon floor: the span [" + std::to_string(options.span_start_ms) +
                                                      ", " + std::to_string(options.span_end_ms) + ") ms is empty");
  }
  if (options.bins < 1) return MakeError(ErrorCode::kInvalidArgument, "carbon floor: bins must be at least 1");
  const size_t sites = network.sites.size();
  CarbonFloor floor;
  floor.site_gpu_hours.assign(sites, 0);
  floor.site_carbon_kg.assign(sites, 0);
  floor.site_capacity_gpu_hours.assign(sites, 0);
  SW_TRY(classes, GroupJobs(network, energy, jobs, models, floor));
  floor.classes = classes.gpu_hours.size();

  // Rows: one per class (its demand), then one per site bin (its capacity).
  std::vector<std::vector<Bin>> bins(sites);
  std::vector<int> first_bin_row(sites);
  int rows = static_cast<int>(classes.gpu_hours.size());
  std::vector<double> row_lower, row_upper;
  for (const auto& [key, demand] : classes.gpu_hours) {
    row_lower.push_back(demand);
    row_upper.push_back(demand);
  }
  double capacity = 0;
  for (size_t s = 0; s < sites; ++s) {
    bins[s] = SiteBins(energy.site(s), options);
    first_bin_row[s] = rows;
    double gpus = 0;
    for (const Pool& pool : network.sites[s].pools) gpus += static_cast<double>(pool.nodes * pool.gpus);
    for (const Bin& bin : bins[s]) {
      row_lower.push_back(-COIN_DBL_MAX);
      row_upper.push_back(gpus * bin.hours);
      floor.site_capacity_gpu_hours[s] += gpus * bin.hours;
      ++rows;
    }
    capacity += floor.site_capacity_gpu_hours[s];
  }
  if (floor.gpu_hours > capacity * (1 + 1e-9)) {
    return MakeError(ErrorCode::kInvalidArgument, "carbon floor: the work's " + std::to_string(floor.gpu_hours) +
                                                      " GPU-hours do not fit the network's " + std::to_string(capacity) +
                                                      " GPU-hours over the span");
  }
  if (floor.gpu_hours <= 0) return floor;

  struct Column {
    size_t site;
    double e_kwh_per_gpu_h;
    double kg_per_kwh;
  };
  std::vector<Column> columns;
  std::vector<CoinBigIndex> starts{0};
  std::vector<int> indices;
  std::vector<double> elements, objective;
  int c = 0;
  for (const auto& [key, demand] : classes.gpu_hours) {
    for (size_t s = 0; s < sites; ++s) {
      if (key[s] < 0) continue;
      for (size_t b = 0; b < bins[s].size(); ++b) {
        indices.insert(indices.end(), {c, first_bin_row[s] + static_cast<int>(b)});
        elements.insert(elements.end(), {1.0, 1.0});
        starts.push_back(static_cast<CoinBigIndex>(indices.size()));
        objective.push_back(key[s] * bins[s][b].kg_per_kwh);
        columns.push_back({s, key[s], bins[s][b].kg_per_kwh});
      }
    }
    ++c;
  }
  const int cols = static_cast<int>(columns.size());
  CoinPackedMatrix matrix(true, rows, cols, static_cast<CoinBigIndex>(indices.size()), elements.data(), indices.data(),
                          starts.data(), nullptr);
  std::vector<double> col_lower(cols, 0.0), col_upper(cols, COIN_DBL_MAX);
  ClpSimplex model;
  model.setLogLevel(0);
  model.loadProblem(matrix, col_lower.data(), col_upper.data(), objective.data(), row_lower.data(), row_upper.data());
  model.primal();
  if (model.isProvenPrimalInfeasible()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "carbon floor: some jobs' GPU-hours do not fit the GPUs of the sites they may use over the span");
  }
  if (!model.isProvenOptimal()) {
    return MakeError(ErrorCode::kInternal, "carbon floor LP: Clp status " + std::to_string(model.status()) +
                                               " (not optimal) for " + std::to_string(cols) + " columns");
  }
  const double* x = model.primalColumnSolution();
  for (int j = 0; j < cols; ++j) {
    const Column& col = columns[static_cast<size_t>(j)];
    floor.site_gpu_hours[col.site] += x[j];
    floor.site_carbon_kg[col.site] += x[j] * col.e_kwh_per_gpu_h * col.kg_per_kwh;
  }
  floor.carbon_kg = model.objectiveValue();
  floor.carbon_kg_per_gpu_hour = floor.carbon_kg / floor.gpu_hours;
  return floor;
}

}  // namespace suanwang
