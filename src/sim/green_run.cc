#include "sim/green_run.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <optional>

#include "model/network_yaml.h"
#include "sim/energy_files.h"
#include "sim/files.h"
#include "sim/run_pool.h"

namespace suanwang {

Result<GreenScenario> ReadGreenScenario(const std::string& path) {
  SW_TRY(text, ReadTextFile(path));
  return ParseGreenScenario(text, path);
}

Result<GreenRun> LoadGreenScenario(const GreenScenario& scenario, const GreenRunOptions& options) {
  GreenRun run;
  SW_TRY(network, LoadNetworkFile(scenario.network_path));
  if (!scenario.inventory_path.empty()) {
    SW_TRY(text, ReadTextFile(scenario.inventory_path));
    SW_CHECK(ReplaceSitesYaml(text, scenario.inventory_path, network));
    const size_t slash = scenario.inventory_path.find_last_of('/');
    network.source_dir = slash == std::string::npos ? "." : scenario.inventory_path.substr(0, slash);
  }
  if (scenario.cluster_green_share >= 0) {
    for (Site& site : network.sites) {
      auto place = network.PlaceIndex(site.place);
      if (place && network.places[*place].kind == "cluster") site.energy.green_share = scenario.cluster_green_share;
    }
  }
  run.network = std::move(network);
  SW_TRY(energy, LoadEnergyModel(run.network, options.data_dir));
  run.energy = std::make_shared<const EnergyModel>(std::move(energy));
  SW_TRY(trace, LoadGaiaTrace(scenario.trace_path));
  if (options.max_jobs && trace.size() > options.max_jobs) trace.resize(options.max_jobs);
  SW_TRY(workload, GreenWorkload(scenario, run.network, trace));
  run.workload = std::move(workload);
  return run;
}

namespace {

// The span is what the policies used: from the first arrival to the last end under any of them.
void SolveFloor(GreenRun& run) {
  CarbonFloorOptions options;
  options.period_h = 24;
  double first = run.workload.arrival_s.empty() ? 0 : run.workload.arrival_s.front(), last = first;
  for (double a : run.workload.arrival_s) first = std::min(first, a);
  for (const PolicyOutcome& o : run.outcomes) {
    for (const JobRecord& j : o.result.jobs) last = std::max(last, j.end_s);
  }
  options.span_start_ms = static_cast<Timestamp>(std::floor(first * 1000));
  options.span_end_ms = static_cast<Timestamp>(std::ceil(last * 1000));
  GpuModelTable models;
  auto floor = SolveCarbonFloor(run.network, *run.energy, run.workload, models, options);
  if (floor) {
    run.floor = std::move(*floor);
  } else {
    run.floor_error = floor.error().message;
  }
}

}  // namespace

Result<GreenRun> RunGreenScenario(const GreenScenario& scenario, const GreenRunOptions& options) {
  SW_TRY(run, LoadGreenScenario(scenario, options));

  run.outcomes.resize(scenario.policies.size());
  std::optional<Error> first_error;
  std::mutex mutex;
  std::vector<std::function<void()>> jobs;
  for (size_t p = 0; p < scenario.policies.size(); ++p) {
    jobs.push_back([&, p] {
      const GreenPolicy& policy = scenario.policies[p];
      ReplayConfig config;
      config.scheduler.node_policy = scenario.node_policy;
      config.scheduler.preemption = false;
      config.scheduler.cost_weights = policy.weights;
      config.scheduler.energy = run.energy;
      config.scheduler.seed = scenario.seed;
      Workload w = run.workload;
      if (!policy.defer) {
        for (JobSpec& j : w.jobs) j.start_by_ms = 0;
      }
      GpuModelTable models;
      auto result = RunWorkload(run.network, models, w, {}, config, [&](uint64_t n) {
        if (!options.tick) return;
        std::lock_guard lock(mutex);
        options.tick(n);
      });
      std::lock_guard lock(mutex);
      if (!result) {
        if (!first_error) first_error = Error{result.error().code, "policy " + policy.name + ": " + result.error().message};
        return;
      }
      run.outcomes[p] = PolicyOutcome{policy, std::move(*result)};
    });
  }
  RunParallel(std::move(jobs), std::max(1u, options.threads));
  if (first_error) return std::unexpected(*first_error);
  for (const PolicyOutcome& o : run.outcomes) run.metrics.push_back(Summarise(o, run.network, scenario.west_hubs));
  SolveFloor(run);
  return run;
}

}  // namespace suanwang
