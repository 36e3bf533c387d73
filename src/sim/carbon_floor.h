// The carbon floor of a workload on a network: the least carbon per GPU-hour that any
// placement of its GPU work could reach, from a linear relaxation solved with COIN-OR Clp.
// A green scenario's policies are measured against it (docs/green.md, "The carbon floor"):
// how near a policy comes says how much is left to gain by placing better.
//
//   minimise   sum_c sum_{s in S(c)} sum_b  e_cs * k_sb * x_csb                 [kg CO2e]
//   subject to sum_{s in S(c)} sum_b x_csb  = D_c            for every class c   [GPU-h]
//              sum_c x_csb                 <= G_s * H_sb     for every site s, bin b
//              x_csb >= 0
//
//   c      a class of jobs: the same eligible sites and the same IT power per GPU at each
//   S(c)   its eligible sites: inside the job's latency tier from its origin, in a hub the job
//          allows, with at least as many GPUs of models the job allows as the whole job holds
//   D_c    the class's GPU-hours: GPUs x run time (duration_s), summed over its jobs
//   e_cs   IT energy per GPU-hour of the class at site s: JobItPowerW / GPUs / 1000  [kWh/GPU-h]
//   k_sh   carbon per kWh of IT energy at site s in hour h of the span:
//          PUE_s(1, T_s(h)) * (1 - g_s) * CI_s(h)                              [kg CO2e/kWh]
//          (PUE at full load: its lowest, since the fixed overhead falls as load rises)
//   bins   each site's hours of the span grouped by equal k_sh (a daily-periodic series gives
//          at most 24 groups); more groups than `bins` merge, in order of k_sh, into bins of
//          about equal length. A bin counts at the lowest k_sh it holds (k_sb), H_sb hours long
//   G_s    the site's GPUs (every model: the relaxation does not split them by model)
//
// What is relaxed away, so that no placement the engine can make does better: gangs and
// nodes (work is divisible across sites), arrival times, queues, run lengths and deadlines (a
// class's work may run in any hour of the span), the load a site runs at (PUE at full load),
// GPU models within a site. Jobs without an eligible site are left out (the engine rejects
// them), and jobs without GPUs cannot be counted per GPU-hour (an error).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "common/time.h"
#include "energy/energy_model.h"
#include "model/gpu_model_table.h"
#include "model/job.h"
#include "model/network.h"

namespace suanwang {

struct CarbonFloorOptions {
  Timestamp span_start_ms = 0;  // the hours the work may use: [start, end)
  Timestamp span_end_ms = 0;
  int bins = 24;                // per site; 24 is exact for daily-periodic series
};

struct CarbonFloor {
  double gpu_hours = 0;                 // D: every counted job's GPUs x run time
  double carbon_kg = 0;                 // the LP optimum
  double carbon_kg_per_gpu_hour = 0;
  size_t jobs = 0;                      // counted
  size_t jobs_without_site = 0;         // left out: no eligible site
  size_t classes = 0;
  std::vector<double> site_gpu_hours;   // per network site: what the optimum placed there
  std::vector<double> site_carbon_kg;
  std::vector<double> site_capacity_gpu_hours;  // G_s x span hours
};

// Errors: kInvalidArgument for an empty or reversed span, bins < 1, a job without GPUs
// ("job 'NAME' has no GPUs: the floor is per GPU-hour"), or work that does not fit the
// network's GPUs over the span (with both figures); kInternal when Clp reports no optimum.
Result<CarbonFloor> SolveCarbonFloor(const Network& network, const EnergyModel& energy,
                                     const std::vector<JobSpec>& jobs, const GpuModelTable& models,
                                     const CarbonFloorOptions& options);

}  // namespace suanwang
