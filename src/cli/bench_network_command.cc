#include "cli/bench_network_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <queue>

#include "cli/cli_util.h"
#include "cli/data_path.h"
#include "sim/files.h"
#include "sim/green_run.h"

namespace suanwang {
namespace {

struct Variant {
  const char* name;
  CostWeights weights;
  bool energy;
};

// Replays the workload through the engine (arrivals and ends in virtual time, no deferral)
// and returns the mean wall time of the Apply(SubmitJob) calls [us].
Result<double> TimeDecisions(const GreenRun& run, const GreenScenario& scenario, const Variant& v) {
  SchedulerConfig config;
  config.node_policy = scenario.node_policy;
  config.preemption = false;
  config.cost_weights = v.weights;
  if (v.energy) config.energy = run.energy;
  GpuModelTable models;
  SW_TRY(sched, Scheduler::Create(run.network, models, config, PolicyContext{}));
  struct Ev {
    double t;
    size_t job;
    bool end;
    bool operator>(const Ev& o) const { return t != o.t ? t > o.t : job > o.job; }
  };
  std::priority_queue<Ev, std::vector<Ev>, std::greater<>> events;
  for (size_t i = 0; i < run.workload.jobs.size(); ++i) events.push({run.workload.arrival_s[i], i, false});
  using Clock = std::chrono::steady_clock;
  double busy = 0;
  int64_t decisions = 0;
  while (!events.empty()) {
    const Ev e = events.top();
    events.pop();
    const auto now = static_cast<Timestamp>(e.t * 1000);
    if (e.end) {
      SW_TRY(out, sched->Apply(JobFinished{run.workload.jobs[e.job].id}, now));
      for (const Command& c : out) {
        if (c.kind == CommandKind::kStart) events.push({e.t + run.workload.jobs[c.job - 1].duration_s, c.job - 1, true});
      }
      continue;
    }
    JobSpec job = run.workload.jobs[e.job];
    job.start_by_ms = 0;
    job.submit_ms = now;
    const auto t0 = Clock::now();
    SW_TRY(out, sched->Apply(SubmitJob{job}, now));
    busy += std::chrono::duration<double>(Clock::now() - t0).count();
    ++decisions;
    for (const Command& c : out) {
      if (c.kind == CommandKind::kStart) events.push({e.t + run.workload.jobs[c.job - 1].duration_s, c.job - 1, true});
    }
  }
  return decisions ? busy * 1e6 / static_cast<double>(decisions) : 0.0;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int RunBenchNetworkPlacement(const BenchNetworkOptions& o) {
  if (o.rounds < 1) {
    std::fprintf(stderr, "error: --rounds %d: must be at least 1\n", o.rounds);
    return 2;
  }
  auto scenario = ReadGreenScenario(o.scenario);
  if (!scenario) return Fail(scenario.error());
  GreenRunOptions options;
  options.data_dir = DataDir();
  options.max_jobs = o.max_jobs;
  auto run = LoadGreenScenario(*scenario, options);
  if (!run) return Fail(run.error());
  // Same weights both ways; "without" has no energy model, so its energy terms are 0 and cost
  // nothing to compute.
  const CostWeights carbon_aware{1, 1, 0.01, 0, 3600};
  const Variant variants[] = {{"without-energy-terms", carbon_aware, false}, {"with-energy-terms", carbon_aware, true}};
  std::vector<double> us[2];
  for (int r = 0; r < o.rounds; ++r) {
    for (int k = 0; k < 2; ++k) {
      const int v = (r % 2 == 0) ? k : 1 - k;  // alternate the order
      auto t = TimeDecisions(*run, *scenario, variants[v]);
      if (!t) return Fail(t.error());
      us[v].push_back(*t);
    }
  }
  const double base = Median(us[0]), with = Median(us[1]);
  if (o.json) {
    std::printf("{\"benchmark\":\"network-placement\",\"scenario\":\"%s\",\"jobs\":%zu,\"sites\":%zu,\"rounds\":%d,"
                "\"us_per_decision_without_energy\":%.3f,\"us_per_decision_with_energy\":%.3f,\"ratio\":%.4f}\n",
                scenario->name.c_str(), run->workload.jobs.size(), run->network.sites.size(), o.rounds, base, with,
                base > 0 ? with / base : 0.0);
  } else {
    std::printf("network placement on %s (%zu jobs, %zu sites), median of %d rounds:\n", scenario->name.c_str(),
                run->workload.jobs.size(), run->network.sites.size(), o.rounds);
    std::printf("  without energy terms  %8.2f us/decision\n  with energy terms     %8.2f us/decision  (x%.3f)\n", base,
                with, base > 0 ? with / base : 0.0);
  }
  return 0;
}

}  // namespace suanwang
