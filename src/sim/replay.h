// `sim replay`: the engine over a multi-site network in virtual time, jobs arriving and
// leaving as a trace says.
//
// Jobs come from a task trace with arrival and departure times (openb: creation_time and
// deletion_time, seconds). Each task is a one-task job; its run time is deletion - creation
// (at least 1 s). Arrivals are divided by `speedup` to raise the load (run times are not).
// Where the trace has no notion of users, it is modelled (documented, seeded):
//   origin  a demand city of the network that some site serves within t2, uniformly;
//   tier    qos LS -> t2, Burstable/Guaranteed -> t3, BE and unknown -> any;
//   priority LS 1, others 0.
// A preempted job restarts from the beginning (it is submitted again at once).
//
// Other traces (sim/green_scenario.h) build a Workload themselves and run it with RunWorkload.
// With an energy model in the scheduler config every job is also accounted (IT and facility
// energy, carbon, energy cost: energy/site_energy.h, Account) at its site's IT load share
// when it started.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/scheduler.h"
#include "energy/site_energy.h"
#include "sim/openb_loader.h"

namespace suanwang {

struct ReplayConfig {
  SchedulerConfig scheduler;
  double speedup = 1.0;        // arrival times are divided by this
  bool ignore_gpu_models = false;  // drop tasks' model constraints (generated inventories)
  uint64_t seed = 42;
  int utilization_samples = 200;
};

// Jobs with their arrival times (seconds of simulated time); each job's duration_s is its run.
struct Workload {
  std::string name;
  std::vector<JobSpec> jobs;
  std::vector<double> arrival_s;
};

struct JobRecord {
  JobId id = 0;
  std::string name;
  double arrival_s = 0, start_s = -1, end_s = -1;  // -1: never started / not finished
  double gpus = 0;          // GPUs the whole job holds
  double deadline_s = -1;   // latest allowed end (deferrable jobs); -1: none
  double it_kwh = 0, facility_kwh = 0, carbon_kg = 0, cost_cny = 0;
  std::string site;        // where it (last) ran
  std::string origin;
  Tier tier = Tier::kAny;
  double rtt_ms = 0;       // origin to site
  bool within_tier = true;
  int preemptions = 0;
  int deferrals = 0;       // times the engine held it for a cleaner/cheaper hour
  std::string state;       // finished, rejected, queued (never started), running (at end)
  std::string reason;      // for rejected / queued
};

struct SiteRecord {
  std::string site;
  std::string place;
  std::string hub;
  int64_t gpus = 0;
  int64_t cpu_cores = 0;
  double gpu_seconds = 0;   // allocated GPU x seconds
  double cpu_seconds = 0;
  EnergyAccount energy;     // of the jobs that ran here (whole runs, not cut at the window)
  int64_t jobs_started = 0;
  std::vector<double> gpu_util_samples;  // allocated GPU share at each sample time, %
};

struct ReplayResult {
  std::vector<JobRecord> jobs;
  std::vector<SiteRecord> sites;
  std::vector<double> sample_times_s;
  double horizon_s = 0;  // the arrival window: utilisation is measured over [0, horizon_s]
};

// The openb trace as a workload (origins, tiers and priorities modelled as described above).
// Errors: kInvalidArgument when the trace has no timing columns or no city is within t2 of a
// site, or speedup is not positive.
Result<Workload> OpenbWorkload(const Network& network, const TaskTrace& trace, const ReplayConfig& config);

// `shapes`: the task shapes the node policy learns typical shapes from (null: the workload's).
// Errors: kInvalidArgument when the scheduler cannot be built (unknown policy, bad inventory);
// engine errors on an event are returned as kInternal.
Result<ReplayResult> RunWorkload(const Network& network, GpuModelTable& models, const Workload& workload,
                                 std::vector<std::vector<NodeSpec>> site_nodes, const ReplayConfig& config,
                                 const std::function<void(uint64_t)>& tick = {},
                                 const std::vector<TaskShape>* shapes = nullptr);

// OpenbWorkload, then RunWorkload (typical shapes from the trace for the node policy).
Result<ReplayResult> RunReplay(const Network& network, GpuModelTable& models, const TaskTrace& trace,
                               std::vector<std::vector<NodeSpec>> site_nodes, const ReplayConfig& config,
                               const std::function<void(uint64_t)>& tick = {});

// Splits a node list over the network's sites: node i goes to site i mod (number of sites).
std::vector<std::vector<NodeSpec>> SplitNodesOverSites(const std::vector<NodeSpec>& nodes, size_t sites);

// DIR/jobs.csv, DIR/sites.csv, DIR/wait_cdf.svg, DIR/utilization.svg.
Result<void> WriteReplayReport(const std::string& dir, const ReplayResult& result);
std::string ReplaySummary(const ReplayResult& result);

}  // namespace suanwang
