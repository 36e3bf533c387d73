#include "sim/carbon_floor.h"

#include <coin/ClpSimplex.hpp>
#include <coin/CoinPackedMatrix.hpp>

#include <algorithm>
#include <map>

#include "engine/network/site_selector.h"
#include "engine/placement/cluster_state.h"

namespace suanwang {
namespace {

constexpr double kMsPerHour = 3'600'000.0;
constexpr size_t kNoSite = static_cast<size_t>(-1);

struct Bin {
  double kg_per_kwh = 0;  // the lowest k_sh in the bin
  double hours = 0;
};

// Carbon per kWh of IT energy at the site in each hour of [from, to), grouped into bins that
// count at the lowest value they hold.
std::vector<Bin> SiteBins(const SiteEnergy& site, Timestamp from_ms, Timestamp to_ms, int max_bins) {
  std::vector<Bin> pieces;
  for (Timestamp h = from_ms / 3'600'000 * 3'600'000; h < to_ms; h += 3'600'000) {
    const Timestamp from = std::max(h, from_ms);
    const Timestamp to = std::min<Timestamp>(h + 3'600'000, to_ms);
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
  if (groups.size() <= static_cast<size_t>(max_bins)) return groups;
  const double per_bin = total / max_bins;
  std::vector<Bin> bins;
  double done = 0;
  for (const Bin& g : groups) {
    if (bins.empty() || (done >= per_bin * static_cast<double>(bins.size()) - 1e-9 &&
                         bins.size() < static_cast<size_t>(max_bins))) {
      bins.push_back({g.kg_per_kwh, 0});
    }
    bins.back().hours += g.hours;
    done += g.hours;
  }
  return bins;
}

// Where a job may run: the engine's own static filters (engine/network/site_selector.h) on
// each site's nodes, so that the floor counts exactly the sites the engine could choose.
struct SiteFilter {
  const SiteSelector& selector;
  const std::vector<ClusterState>& states;
  const GpuModelTable& models;  // the jobs' and the sites' GPU models
  bool Eligible(const JobSpec& job, size_t site) const {
    return selector.WhyNot(job, SiteView{site, &states[site], 0, false}).empty();
  }
};

// Jobs grouped into chains: the same eligible sites and IT energy per GPU-hour there (-1: not
// eligible) and the same last period. A chain has a row per period from its first to its
// last: the work that arrives in that period plus what earlier periods held over is placed
// in it or held over to the next; nothing is held past the last. Jobs with a deadline chain
// with those of the same arrival period; jobs without one (last period: the span's) chain
// over all their arrival periods.
struct ChainKey {
  std::vector<double> e_per_site;
  size_t last_period = 0;
  size_t first_period = 0;  // kOpen for jobs without a deadline
  auto operator<=>(const ChainKey&) const = default;
};
constexpr size_t kOpen = static_cast<size_t>(-1);
struct Chain {
  size_t first = kOpen, last = 0;
  std::vector<double> arriving;  // GPU-hours arriving per period (absolute index)
};
using Chains = std::map<ChainKey, Chain>;

// The period holding `ms`, clamped to the span.
size_t PeriodOf(Timestamp ms, const CarbonFloorOptions& options, size_t periods) {
  if (ms <= options.span_start_ms || periods == 1) return 0;
  const auto period_ms = static_cast<Timestamp>(options.period_h * kMsPerHour);
  return std::min(periods - 1, static_cast<size_t>((ms - options.span_start_ms) / period_ms));
}

Result<Chains> GroupJobs(const SiteFilter& filter, const EnergyModel& energy, const Workload& workload,
                         const CarbonFloorOptions& options, size_t periods, CarbonFloor& floor) {
  Chains chains;
  const size_t sites = filter.states.size();
  for (size_t i = 0; i < workload.jobs.size(); ++i) {
    const JobSpec& job = workload.jobs[i];
    const double gpus = static_cast<double>(job.TotalGpuMilli()) / 1000;
    if (gpus <= 0) {
      return MakeError(ErrorCode::kInvalidArgument, "job '" + job.name + "' has no GPUs: the floor is per GPU-hour");
    }
    if (job.duration_s <= 0) continue;
    ChainKey key{std::vector<double>(sites, -1), periods - 1, kOpen};
    bool any = false;
    for (size_t s = 0; s < sites; ++s) {
      if (!filter.Eligible(job, s)) continue;
      key.e_per_site[s] = energy.JobItPowerW(job, s, filter.models) / gpus / 1000;
      any = true;
    }
    if (!any) {
      ++floor.jobs_without_site;
      continue;
    }
    size_t first = 0;
    if (options.period_h > 0) {
      const double arrival_s = i < workload.arrival_s.size() ? workload.arrival_s[i] : 0;
      first = PeriodOf(static_cast<Timestamp>(arrival_s * 1000), options, periods);
      if (job.deadline_ms) {
        key.last_period = std::max(first, PeriodOf(*job.deadline_ms - 1, options, periods));
        key.first_period = first;
      }
    }
    const double gpu_hours = gpus * job.duration_s / 3600;
    Chain& chain = chains[key];
    if (chain.arriving.empty()) chain.arriving.assign(periods, 0);
    chain.first = std::min(chain.first, first);
    chain.last = key.last_period;
    chain.arriving[first] += gpu_hours;
    floor.gpu_hours += gpu_hours;
    ++floor.jobs;
  }
  return chains;
}

// The LP in column form, as Clp loads it. A column placing work at a site remembers which
// site and at what carbon; a hold-over column has no site.
struct Lp {
  struct Column {
    size_t site = kNoSite;
    double kg_per_gpu_hour = 0;
  };
  std::vector<double> row_lower, row_upper;
  std::vector<CoinBigIndex> starts{0};
  std::vector<int> indices;
  std::vector<double> elements, objective;
  std::vector<Column> columns;

  int AddRow(double lower, double upper) {
    row_lower.push_back(lower);
    row_upper.push_back(upper);
    return static_cast<int>(row_lower.size()) - 1;
  }
  void AddColumn(std::initializer_list<std::pair<int, double>> entries, Column column) {
    for (const auto& [row, value] : entries) {
      indices.push_back(row);
      elements.push_back(value);
    }
    starts.push_back(static_cast<CoinBigIndex>(indices.size()));
    objective.push_back(column.kg_per_gpu_hour);
    columns.push_back(column);
  }
};

// A site's bins in one period, and the row of the first.
struct Slot {
  std::vector<Bin> bins;
  int first_row = 0;
};
using Slots = std::vector<std::vector<Slot>>;  // [site][period]

// One capacity row per bin of each site and period: at most its GPUs for the bin's hours.
Slots AddCapacityRows(const EnergyModel& energy, const CarbonFloorOptions& options, size_t periods,
                      Timestamp period_ms, Lp& lp, CarbonFloor& floor) {
  Slots slots(floor.site_gpus.size(), std::vector<Slot>(periods));
  for (size_t s = 0; s < floor.site_gpus.size(); ++s) {
    const auto gpus = static_cast<double>(floor.site_gpus[s]);
    for (size_t p = 0; p < periods; ++p) {
      const Timestamp from = options.span_start_ms + static_cast<Timestamp>(p) * period_ms;
      Slot& slot = slots[s][p];
      slot.bins = SiteBins(energy.site(s), from, std::min(from + period_ms, options.span_end_ms), options.bins);
      slot.first_row = static_cast<int>(lp.row_lower.size());
      for (const Bin& bin : slot.bins) {
        lp.AddRow(-COIN_DBL_MAX, gpus * bin.hours);
        floor.site_capacity_gpu_hours[s] += gpus * bin.hours;
      }
    }
  }
  return slots;
}

// Per chain: a row per period (what arrives = what is placed + what is held over - what came
// from the period before), a column per eligible site bin in each period, a hold-over column
// between consecutive periods (no carbon).
void AddChains(const Chains& chains, const Slots& slots, Lp& lp) {
  for (const auto& [key, chain] : chains) {
    const int first_row = static_cast<int>(lp.row_lower.size());
    for (size_t p = chain.first; p <= chain.last; ++p) lp.AddRow(chain.arriving[p], chain.arriving[p]);
    for (size_t p = chain.first; p <= chain.last; ++p) {
      const int row = first_row + static_cast<int>(p - chain.first);
      for (size_t s = 0; s < slots.size(); ++s) {
        if (key.e_per_site[s] < 0) continue;
        const Slot& slot = slots[s][p];
        for (size_t b = 0; b < slot.bins.size(); ++b) {
          lp.AddColumn({{row, 1.0}, {slot.first_row + static_cast<int>(b), 1.0}},
                       {s, key.e_per_site[s] * slot.bins[b].kg_per_kwh});
        }
      }
      if (p < chain.last) lp.AddColumn({{row, 1.0}, {row + 1, -1.0}}, {});
    }
  }
}

// Solves the LP and adds its optimum to `floor`.
Result<void> Solve(const Lp& lp, CarbonFloor& floor) {
  const int rows = static_cast<int>(lp.row_lower.size());
  const int cols = static_cast<int>(lp.columns.size());
  CoinPackedMatrix matrix(true, rows, cols, static_cast<CoinBigIndex>(lp.indices.size()), lp.elements.data(),
                          lp.indices.data(), lp.starts.data(), nullptr);
  std::vector<double> col_lower(cols, 0.0), col_upper(cols, COIN_DBL_MAX);
  ClpSimplex model;
  model.setLogLevel(0);
  model.loadProblem(matrix, col_lower.data(), col_upper.data(), lp.objective.data(), lp.row_lower.data(),
                    lp.row_upper.data());
  model.dual();
  if (model.isProvenPrimalInfeasible()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "carbon floor: some jobs' GPU-hours do not fit the GPUs of the sites they may use in the "
                     "periods between their arrival and their deadline");
  }
  if (!model.isProvenOptimal()) {
    return MakeError(ErrorCode::kInternal, "carbon floor LP: Clp status " + std::to_string(model.status()) +
                                               " (not optimal) for " + std::to_string(cols) + " columns");
  }
  const double* x = model.primalColumnSolution();
  for (int j = 0; j < cols; ++j) {
    const Lp::Column& col = lp.columns[static_cast<size_t>(j)];
    if (col.site == kNoSite) continue;
    floor.site_gpu_hours[col.site] += x[j];
    floor.site_carbon_kg[col.site] += x[j] * col.kg_per_gpu_hour;
  }
  floor.carbon_kg = model.objectiveValue();
  floor.carbon_kg_per_gpu_hour = floor.carbon_kg / floor.gpu_hours;
  return {};
}

}  // namespace

Result<CarbonFloor> SolveCarbonFloor(const Network& network, const EnergyModel& energy, const Workload& workload,
                                     const GpuModelTable& models, const CarbonFloorOptions& options) {
  if (options.span_end_ms <= options.span_start_ms) {
    return MakeError(ErrorCode::kInvalidArgument, "carbon floor: the span [" + std::to_string(options.span_start_ms) +
                                                      ", " + std::to_string(options.span_end_ms) + ") ms is empty");
  }
  if (options.bins < 1) return MakeError(ErrorCode::kInvalidArgument, "carbon floor: bins must be at least 1");
  if (options.period_h < 0) return MakeError(ErrorCode::kInvalidArgument, "carbon floor: period_h must not be negative");
  const size_t sites = network.sites.size();
  const Timestamp span_ms = options.span_end_ms - options.span_start_ms;
  const auto period_ms = options.period_h > 0 ? static_cast<Timestamp>(options.period_h * kMsPerHour) : span_ms;
  const auto periods = static_cast<size_t>((span_ms + period_ms - 1) / period_ms);
  CarbonFloor floor;
  floor.site_gpu_hours.assign(sites, 0);
  floor.site_carbon_kg.assign(sites, 0);
  floor.site_capacity_gpu_hours.assign(sites, 0);
  floor.site_gpus.assign(sites, 0);
  floor.periods = periods;
  floor.span_hours = static_cast<double>(span_ms) / kMsPerHour;
  GpuModelTable table = models;  // the sites' GPU models interned too
  std::vector<ClusterState> states;
  for (size_t s = 0; s < sites; ++s) {
    SW_TRY(nodes, network.SiteNodes(s, table));
    SW_TRY(state, ClusterState::Create(std::move(nodes)));
    floor.site_gpus[s] = state.total_gpu_milli() / kMilliGpu;
    states.push_back(std::move(state));
  }
  const WeightedCostModel unweighted;
  const SiteSelector selector(network, unweighted);
  SW_TRY(chains, GroupJobs(SiteFilter{selector, states, table}, energy, workload, options, periods, floor));
  floor.chains = chains.size();

  Lp lp;
  const Slots slots = AddCapacityRows(energy, options, periods, period_ms, lp, floor);
  double capacity = 0;
  for (double c : floor.site_capacity_gpu_hours) capacity += c;
  if (floor.gpu_hours > capacity * (1 + 1e-9)) {
    return MakeError(ErrorCode::kInvalidArgument, "carbon floor: the work's " + std::to_string(floor.gpu_hours) +
                                                      " GPU-hours do not fit the network's " + std::to_string(capacity) +
                                                      " GPU-hours over the span");
  }
  if (floor.gpu_hours <= 0) return floor;
  AddChains(chains, slots, lp);
  SW_CHECK(Solve(lp, floor));
  return floor;
}

}  // namespace suanwang
