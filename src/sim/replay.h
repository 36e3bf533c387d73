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
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/scheduler.h"
#include "sim/openb_loader.h"

namespace suanwang {

struct ReplayConfig {
  SchedulerConfig scheduler;
  double speedup = 1.0;        // arrival times are divided by this
  bool ignore_gpu_models = false;  // drop tasks' model constraints (generated inventories)
  uint64_t seed = 42;
  int utilization_samples = 200;
};

struct JobRecord {
  JobId id = 0;
  std::string name;
  double arrival_s = 0, start_s = -1, end_s = -1;  // -1: never started / not finished
  std::string site;        // where it (last) ran
  std::string origin;
  Tier tier = Tier::kAny;
  double rtt_ms = 0;       // origin to site
  bool within_tier = true;
  int preemptions = 0;
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
  int64_t jobs_started = 0;
  std::vector<double> gpu_util_samples;  // allocated GPU share at each sample time, %
};

struct ReplayResult {
  std::vector<JobRecord> jobs;
  std::vector<SiteRecord> sites;
  std::vector<double> sample_times_s;
  double horizon_s = 0;  // the arrival window: utilisation is measured over [0, horizon_s]
};

// Errors: kInvalidArgument when the trace has no timing columns or the scheduler cannot be
// built (unknown policy, bad inventory); engine errors on an event are returned as kInternal.
Result<ReplayResult> RunReplay(const Network& network, GpuModelTable& models, const TaskTrace& trace,
                               std::vector<std::vector<NodeSpec>> site_nodes, const ReplayConfig& config,
                               const std::function<void(uint64_t)>& tick = {});

// Splits a node list over the network's sites: node i goes to site i mod (number of sites).
std::vector<std::vector<NodeSpec>> SplitNodesOverSites(const std::vector<NodeSpec>& nodes, size_t sites);

// DIR/jobs.csv, DIR/sites.csv, DIR/wait_cdf.svg, DIR/utilization.svg.
Result<void> WriteReplayReport(const std::string& dir, const ReplayResult& result);
std::string ReplaySummary(const ReplayResult& result);

}  // namespace suanwang
