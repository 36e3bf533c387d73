// The carbon floor of a workload on a network: the least carbon per GPU-hour that any
// placement of its GPU work could reach, from a linear relaxation solved with COIN-OR Clp.
// A green scenario's policies are measured against it (docs/green.md, "The carbon floor"):
// how near a policy comes says how much is left to gain by placing better.
//
//   minimise   sum_c sum_{s in S(c)} sum_{p in P(c)} sum_b  e_cs * k_spb * x_cspb        [kg CO2e]
//   subject to sum_{s in S(c)} sum_{p in P(c)} sum_b x_cspb  = D_c      for every class c  [GPU-h]
//              sum_c x_cspb                               <= G_s * H_spb  for every site s,
//                                                                         period p, bin b
//              x_cspb >= 0
//
//   c      a class of jobs: the same eligible sites, the same IT power per GPU at each, the
//          same periods
//   S(c)   its eligible sites: those the engine's static filters pass (site_selector.h:
//          latency tier, allowed hubs, GPU models, the gang fits the site when it is empty)
//   P(c)   its periods: with `period_h` > 0, from the period it arrives in to the one its
//          deadline falls in (the last period without a deadline); else the whole span
//   D_c    the class's GPU-hours: GPUs x run time (duration_s), summed over its jobs
//   e_cs   IT energy per GPU-hour of the class at site s: JobItPowerW / GPUs / 1000  [kWh/GPU-h]
//   k_sh   carbon per kWh of IT energy at site s in hour h:
//          PUE_s(1, T_s(h)) * (1 - g_s) * CI_s(h)                              [kg CO2e/kWh]
//          (PUE at full load: its lowest, since the fixed overhead falls as load rises)
//   bins   each site's hours of a period grouped by equal k_sh (a daily-periodic series gives
//          at most 24 groups); more groups than `bins` merge, in order of k_sh, into bins of
//          about equal length. A bin counts at the lowest k_sh it holds (k_spb), H_spb hours
//   G_s    the site's GPUs (every model: the relaxation does not split them by model)
//
// Solved in an equivalent form: jobs alike in sites, energy per GPU and last period form a
// chain with a row per period (work arriving there is placed there or held over to the next
// period, never past the last), so jobs without a deadline share one chain whatever their day.
//
// What is relaxed away, so that no placement that ends its work within the span and misses no
// deadline does better: gangs and nodes (work is divisible across sites and hours), queues,
// run lengths, where in its periods work runs (before its arrival inside the first, after its
// deadline inside the last), the load a site runs at (PUE at full load), GPU models within a
// site. Jobs without an eligible site are left out (the engine rejects them), and jobs without
// GPUs cannot be counted per GPU-hour (an error).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "common/time.h"
#include "energy/energy_model.h"
#include "model/gpu_model_table.h"
#include "model/job.h"
#include "model/network.h"
#include "sim/replay.h"

namespace suanwang {

struct CarbonFloorOptions {
  Timestamp span_start_ms = 0;  // the hours the work may use: [start, end)
  Timestamp span_end_ms = 0;
  int bins = 24;                // per site and period; 24 is exact for daily-periodic series
  // > 0: the span is cut into periods this long, and a job's work may only use the periods
  // from the one it arrives in to the one its deadline falls in (the last without one).
  // 0: one period; arrivals and deadlines are ignored.
  double period_h = 0;
};

struct CarbonFloor {
  double gpu_hours = 0;                 // D: every counted job's GPUs x run time
  double carbon_kg = 0;                 // the LP optimum
  double carbon_kg_per_gpu_hour = 0;
  size_t jobs = 0;                      // counted
  size_t jobs_without_site = 0;         // left out: no eligible site
  size_t chains = 0;                    // LP chains: jobs alike in sites, energy and periods
  size_t periods = 0;
  double span_hours = 0;
  std::vector<double> site_gpu_hours;   // per network site: what the optimum placed there
  std::vector<double> site_carbon_kg;
  std::vector<double> site_capacity_gpu_hours;  // G_s x span hours
  std::vector<int64_t> site_gpus;               // G_s
};

// Errors: those of Network::SiteNodes and ClusterState::Create for the sites' nodes;
// kInvalidArgument for an empty or reversed span, bins < 1, a job without GPUs
// ("job 'NAME' has no GPUs: the floor is per GPU-hour"), or work that does not fit the
// network's GPUs over the span (with both figures); kInternal when Clp reports no optimum.
Result<CarbonFloor> SolveCarbonFloor(const Network& network, const EnergyModel& energy, const Workload& workload,
                                     const GpuModelTable& models, const CarbonFloorOptions& options);

}  // namespace suanwang
