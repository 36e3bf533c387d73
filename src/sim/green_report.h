// What a green scenario's runs come to, per policy: carbon per GPU-hour, energy cost, JCT,
// tier compliance, deadlines, the share of work in western hubs; as a table, CSV and SVG.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "sim/carbon_floor.h"
#include "sim/green_scenario.h"

namespace suanwang {

struct PolicyOutcome {
  GreenPolicy policy;
  ReplayResult result;
};

struct PolicyMetrics {
  std::string policy;
  size_t jobs = 0, finished = 0, rejected = 0, never_started = 0;
  double gpu_hours = 0;          // GPUs x hours run, finished jobs
  double it_kwh = 0, facility_kwh = 0, carbon_kg = 0, cost_cny = 0;
  double carbon_kg_per_gpu_hour = 0, cost_cny_per_gpu_hour = 0;
  double mean_jct_h = 0;         // finished jobs: end - arrival
  double mean_wait_h = 0;        // started jobs: start - arrival
  double tier_compliance = 0;    // share of started jobs inside their tier, 0..1
  size_t deadline_misses = 0;    // jobs with a deadline that ended after it (or never started)
  size_t deferred = 0;           // jobs the engine held for a cleaner/cheaper hour
  double west_share = 0;         // share of GPU-hours at sites in the scenario's west hubs
};

PolicyMetrics Summarise(const PolicyOutcome& outcome, const Network& network, const std::vector<std::string>& west_hubs);

// "policy  carbon kg/GPU-h (vs first) ..." one line per policy.
std::string GreenSummaryTable(const std::vector<PolicyMetrics>& metrics);

// The carbon floor against the policies: its carbon per GPU-hour, its ratio to the first
// policy's, and the share of the possible cut (first - floor) each other policy reaches.
std::string CarbonFloorSummary(const CarbonFloor& floor, const std::vector<PolicyMetrics>& metrics);

// DIR/policies.csv (the metrics), DIR/sites.csv (per policy and site: GPU-hours, energy,
// carbon, cost), DIR/green.svg (bars per metric), DIR/carbon_intensity.svg (each site's
// hourly grid intensity over the first two days, synthetic series marked), and per policy
// DIR/POLICY/ as WriteReplayReport (jobs.csv with each job's energy and carbon); with a
// floor, DIR/floor.csv (per site: capacity and the GPU-hours and carbon the floor placed there)
// and a "floor (LP)" bar next to the policies' carbon.
Result<void> WriteGreenReport(const std::string& dir, const std::vector<PolicyOutcome>& outcomes,
                              const std::vector<PolicyMetrics>& metrics, const Network& network,
                              const EnergyModel& energy, const CarbonFloor* floor = nullptr);

}  // namespace suanwang
