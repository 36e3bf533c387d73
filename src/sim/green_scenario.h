// The green-placement scenario (data/scenarios/*.yaml): a GAIA job trace on a network with a
// committed inventory, each job given an origin, a latency tier and (for some tiers) a start
// window, replayed once per placement policy (latency-only, price-only, carbon-aware, ...).
// The file format is documented in data/scenarios/README.md.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "engine/network/cost_model.h"
#include "sim/gaia_loader.h"
#include "sim/replay.h"

namespace suanwang {

struct GreenPolicy {
  std::string name;
  CostWeights weights;
  bool defer = false;  // may hold deferrable jobs for a cleaner/cheaper hour
};

struct GreenScenario {
  std::string name;
  std::string description;
  std::string network_path;    // resolved against the scenario file's folder
  std::string inventory_path;  // replaces the network's sites; empty: keep them
  std::string trace_path;
  double speedup = 1;              // arrivals divided by this (run lengths are not)
  int64_t max_job_gpus = 64;       // wider trace jobs are split into jobs of at most this
  int64_t gpus_per_task = 8;       // a job is a gang of tasks of at most this many GPUs
  double cores_per_gpu = 12;
  double memory_gib_per_gpu = 96;
  double tier_share[3] = {0.2, 0.3, 0.5};  // t1, t2, t3 (sum 1)
  std::vector<Tier> deferrable;    // tiers whose jobs get a start window
  double window_h = 0;             // start window after arrival
  double deadline_slack_h = 24;    // deadline = arrival + run + slack (deferrable jobs)
  std::string node_policy = "bestfit";
  uint64_t seed = 42;
  std::vector<std::string> west_hubs;  // hubs counted as "western" in the report
  double cluster_green_share = -1;     // >= 0: every site at a hub cluster buys this green share
  std::vector<GreenPolicy> policies;
};

// Errors: kInvalidArgument "path:line: field 'x': reason" for syntax errors, unknown or
// missing fields, tier shares that are negative or do not sum to 1, non-positive sizes, an
// unknown tier, duplicate or no policies.
Result<GreenScenario> ParseGreenScenario(const std::string& text, const std::string& path);

// The trace as jobs. A trace job of n units becomes ceil(n / max_job_gpus) jobs (the last one
// narrower); a job of g GPUs is a gang of ceil(g / gpus_per_task) tasks of ceil(g / tasks)
// GPUs, each with that many times cores_per_gpu cores and memory_gib_per_gpu GiB. Origins are
// drawn uniformly from the network's demand cities, tiers by tier_share (seeded; the pieces of
// one trace job share both).
// Errors: kInvalidArgument when the network has no demand city.
Result<Workload> GreenWorkload(const GreenScenario& scenario, const Network& network, const std::vector<GaiaJob>& trace);

}  // namespace suanwang
