#include "cli/sim_command.h"

#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <mutex>
#include <optional>
#include <thread>

#include "common/progress.h"
#include "engine/placement/policy_registry.h"
#include "sim/inflate.h"
#include "cli/cli_util.h"
#include "cli/data_path.h"
#include "api/job_codec.h"
#include "engine/scheduler.h"
#include "sim/energy_files.h"
#include "sim/files.h"
#include "sim/inflate_report.h"
#include "sim/green_run.h"
#include "sim/market_report.h"
#include "sim/replay.h"
#include "sim/openb_loader.h"
#include "sim/run_pool.h"

namespace suanwang {
namespace {

}  // namespace

std::vector<unsigned long long> ParseSeedList(const std::string& text) {
  std::vector<unsigned long long> seeds;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string part = text.substr(start, comma - start);
    start = comma + 1;
    if (part.empty()) return {};
    unsigned long long a = 0, b = 0;
    char extra = 0;
    if (std::sscanf(part.c_str(), "%llu-%llu%c", &a, &b, &extra) == 2) {
      if (b < a || b - a > 100000) return {};
      for (unsigned long long s = a; s <= b; ++s) seeds.push_back(s);
    } else if (std::sscanf(part.c_str(), "%llu%c", &a, &extra) == 1) {
      seeds.push_back(a);
    } else {
      return {};
    }
  }
  return seeds;
}

int RunSimPolicies() {
  for (const std::string& name : PolicyNames()) std::printf("%s\n", name.c_str());
  return 0;
}

int RunSimInflate(const SimInflateOptions& o) {
  std::vector<unsigned long long> seeds = ParseSeedList(o.seeds);
  if (seeds.empty()) {
    std::fprintf(stderr, "error: --seeds '%s': expected a list such as 42-51 or 1,2,5-7\n", o.seeds.c_str());
    return 2;
  }
  if (o.target < 1 || o.target > 1000) {
    std::fprintf(stderr, "error: --target %d: must be in 1..1000 (percent of GPU capacity)\n", o.target);
    return 2;
  }
  GpuModelTable models;
  auto nodes = LoadOpenbNodes(o.nodes, models);
  if (!nodes) return Fail(nodes.error());
  std::vector<TaskTrace> traces;
  for (const std::string& path : o.pods) {
    auto trace = LoadOpenbTasks(path, models);
    if (!trace) return Fail(trace.error());
    traces.push_back(std::move(*trace));
  }
  for (const std::string& p : o.policies) {
    if (auto made = MakePolicy(p, PolicyContext{}); !made) return Fail(made.error());
  }
  std::vector<std::vector<TypicalShape>> typical;
  for (const TaskTrace& t : traces) typical.push_back(TypicalShapes(t.tasks, 0.95));

  std::vector<InflateRun> runs;
  for (size_t w = 0; w < traces.size(); ++w) {
    for (const std::string& p : o.policies) {
      for (unsigned long long s : seeds) runs.push_back(InflateRun{traces[w].workload, p, s, {}});
    }
  }
  // Progress counts arrivals: about target% of the trace's GPU demand per run.
  uint64_t expected = 0;
  for (size_t w = 0; w < traces.size(); ++w) {
    expected += traces[w].tasks.size() * o.policies.size() * seeds.size() *
                static_cast<uint64_t>(o.target) / 100;
  }
  ProgressBar progress("inflate", expected, o.progress && isatty(STDERR_FILENO));
  std::mutex error_mutex;
  std::optional<Error> first_error;
  std::vector<std::function<void()>> jobs;
  for (size_t i = 0; i < runs.size(); ++i) {
    jobs.push_back([&, i] {
      InflateRun& run = runs[i];
      size_t w = static_cast<size_t>(std::find_if(traces.begin(), traces.end(),
                                                  [&](const TaskTrace& t) { return t.workload == run.workload; }) -
                                     traces.begin());
      PolicyContext context{typical[w], traces[w].tasks, &models};
      auto policy = MakePolicy(run.policy, context);
      auto curves = RunInflate(*nodes, traces[w], typical[w], **policy,
                               InflateConfig{o.target, run.seed},
                               [&](uint64_t n) { progress.Add(n); });
      if (!curves) {
        std::lock_guard lock(error_mutex);
        if (!first_error) first_error = curves.error();
        return;
      }
      run.curves = std::move(*curves);
    });
  }
  unsigned threads = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  RunParallel(std::move(jobs), threads);
  progress.Finish();
  if (first_error) return Fail(*first_error);
  if (auto written = WriteInflateReport(o.out, runs, o.target); !written) return Fail(written.error());
  std::printf("%s", InflateSummaryTable(runs, o.target).c_str());
  std::printf("wrote %s/allocation.csv, frag_total.csv, frag_rate.csv, allocation.svg\n", o.out.c_str());
  return 0;
}

}  // namespace suanwang

namespace suanwang {

int RunGreenReplay(const SimReplayOptions& o) {
  auto scenario = ReadGreenScenario(o.scenario);
  if (!scenario) return Fail(scenario.error());
  GreenRunOptions options;
  options.data_dir = DataDir();
  options.max_jobs = o.max_jobs;
  options.threads = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  // Every job arrives, starts and ends (deferred ones wake too): about 3 events a job a policy.
  std::unique_ptr<ProgressBar> progress;
  options.tick = [&](uint64_t n) {
    if (progress) progress->Add(n);
  };
  const size_t expected_jobs = o.max_jobs ? o.max_jobs : 100000;
  progress = std::make_unique<ProgressBar>("replay", 3 * expected_jobs * scenario->policies.size(),
                                           o.progress && isatty(STDERR_FILENO));
  auto run = RunGreenScenario(*scenario, options);
  progress->Finish();
  if (!run) return Fail(run.error());
  const CarbonFloor* floor = run->floor ? &*run->floor : nullptr;
  if (auto ok = WriteGreenReport(o.out, run->outcomes, run->metrics, run->network, *run->energy, floor); !ok) {
    return Fail(ok.error());
  }
  std::printf("scenario %s: %zu jobs on %zu sites (%s); grid intensity: synthetic hourly shapes where marked in sites.csv\n",
              scenario->name.c_str(), run->workload.jobs.size(), run->network.sites.size(), run->network.name.c_str());
  std::printf("%s", GreenSummaryTable(run->metrics).c_str());
  if (floor) {
    std::printf("%s", CarbonFloorSummary(*floor, run->metrics).c_str());
  } else {
    std::printf("carbon floor: not solved: %s\n", run->floor_error.c_str());
  }
  std::printf("wrote %s/policies.csv, sites.csv, %sgreen.svg, carbon_intensity.svg\n", o.out.c_str(),
              floor ? "floor.csv, " : "");
  return 0;
}

int RunMarketReplay(const SimReplayOptions& o) {
  auto scenario = ReadMarketScenario(o.scenario);
  if (!scenario) return Fail(scenario.error());
  MarketRunOptions options;
  options.data_dir = DataDir();
  options.max_jobs = o.max_jobs;
  std::unique_ptr<ProgressBar> progress;
  options.tick = [&](uint64_t n) {
    if (progress) progress->Add(n);
  };
  // About one slot per trace hour of arrivals (the trace's span after the speed-up) and a tail.
  progress = std::make_unique<ProgressBar>("market", 1000, o.progress && isatty(STDERR_FILENO));
  auto run = RunMarketScenario(*scenario, options);
  progress->Finish();
  if (!run) return Fail(run.error());
  if (auto ok = WriteMarketReport(o.out, *run); !ok) return Fail(ok.error());
  std::printf("%s", MarketSummaryTable(*run).c_str());
  std::printf("wrote %s/prices.csv, slots.csv, jobs.csv, summary.csv, prices.svg, market.svg\n", o.out.c_str());
  return 0;
}

int RunSimReplay(const SimReplayOptions& o) {
  if (!o.scenario.empty()) {
    auto text = ReadTextFile(o.scenario);
    if (!text) return Fail(text.error());
    return IsMarketScenario(*text) ? RunMarketReplay(o) : RunGreenReplay(o);
  }
  if (!(o.speedup > 0)) {
    std::fprintf(stderr, "error: --speedup %g: must be positive\n", o.speedup);
    return 2;
  }
  const std::string network_path = o.network.empty() ? DataPath("networks/china-hubs.yaml") : o.network;
  auto network = LoadNetworkFile(network_path);
  if (!network) return Fail(network.error());
  GpuModelTable models;
  std::vector<std::vector<NodeSpec>> site_nodes;
  if (!o.nodes.empty()) {
    auto nodes = LoadOpenbNodes(o.nodes, models);
    if (!nodes) return Fail(nodes.error());
    site_nodes = SplitNodesOverSites(*nodes, network->sites.size());
  }
  auto trace = LoadOpenbTasks(o.pods.empty() ? DataPath("traces/openb/openb_pod_list_default.csv") : o.pods, models);
  if (!trace) return Fail(trace.error());
  ReplayConfig config;
  config.scheduler.node_policy = o.policy;
  config.scheduler.preemption = o.preemption;
  config.scheduler.backfill_depth = o.backfill_depth;
  config.scheduler.seed = o.seed;
  config.speedup = o.speedup;
  config.seed = o.seed;
  // The trace's GPU models (G2, T4, ...) exist only in its own node list.
  config.ignore_gpu_models = o.nodes.empty();
  if (config.ignore_gpu_models) {
    std::fprintf(stderr, "note: sites use the network's inventory; the trace's GPU model constraints are ignored\n");
  }
  ProgressBar progress("replay", 2 * trace->tasks.size(), o.progress && isatty(STDERR_FILENO));
  auto result = RunReplay(*network, models, *trace, std::move(site_nodes), config,
                          [&](uint64_t n) { progress.Add(n); });
  progress.Finish();
  if (!result) return Fail(result.error());
  if (auto ok = WriteReplayReport(o.out, *result); !ok) return Fail(ok.error());
  std::printf("replay of %s on network %s (%zu sites), policy %s, speedup %g\n", trace->workload.c_str(),
              network->name.c_str(), network->sites.size(), o.policy.c_str(), o.speedup);
  std::printf("%s", ReplaySummary(*result).c_str());
  std::printf("wrote %s/jobs.csv, sites.csv, wait_cdf.svg, utilization.svg\n", o.out.c_str());
  return 0;
}

}  // namespace suanwang

namespace suanwang {

int RunSimExplain(const SimExplainOptions& o) {
  const std::string network_path = o.network.empty() ? DataPath("networks/china-hubs.yaml") : o.network;
  auto network = LoadNetworkFile(network_path);
  if (!network) return Fail(network.error());
  auto text = ReadTextFile(o.job);
  if (!text) return Fail(text.error());
  GpuModelTable models;
  auto request = ParseJobFile(*text, o.job, models);
  if (!request) return Fail(request.error());
  JobSpec job = request->spec;
  job.id = 1;
  job.tenant = "explain";
  SchedulerConfig config;
  config.node_policy = o.policy;
  auto energy = LoadEnergyModel(*network, DataDir());
  if (!energy) return Fail(energy.error());
  config.energy = std::make_shared<const EnergyModel>(std::move(*energy));
  auto scheduler = Scheduler::Create(*network, models, config, PolicyContext{});
  if (!scheduler) return Fail(scheduler.error());
  WeightedCostModel cost(config.cost_weights, config.energy.get(), &models);
  SiteSelector selector(*network, cost);
  std::printf("job %s: %d x %s, tier %s%s%s\n", job.name.c_str(), job.tasks,
              DescribeTask(job.task, &models).c_str(), std::string(TierName(job.tier)).c_str(),
              job.origin.empty() ? "" : " from ", job.origin.c_str());
  std::printf("sites of network %s (empty):\n", network->name.c_str());
  for (size_t s = 0; s < network->sites.size(); ++s) {
    SiteView view{s, &(*scheduler)->site_state(s), 0, true};
    std::string why = selector.WhyNot(job, view);
    if (why.empty()) {
      std::printf("  %-9s eligible, cost %s\n", network->sites[s].id.c_str(),
                  cost.Explain(job, *network, view, 0).Describe().c_str());
    } else {
      std::printf("  %-9s not eligible: %s\n", network->sites[s].id.c_str(), why.c_str());
    }
  }
  auto commands = (*scheduler)->Apply(SubmitJob{job}, 0);
  if (!commands) return Fail(commands.error());
  for (const Command& c : *commands) {
    if (c.kind == CommandKind::kStart) {
      const ClusterState& state = (*scheduler)->site_state(*c.site);
      std::printf("decision: start at %s (%s)\n", network->sites[*c.site].id.c_str(), c.reason.c_str());
      for (size_t t = 0; t < c.placements.size(); ++t) {
        const Placement& p = c.placements[t];
        std::string gpus;
        for (int8_t g : p.gpus.view()) gpus += (gpus.empty() ? " GPU " : ",") + std::to_string(g);
        std::printf("  task %zu -> %s%s\n", t, state.spec(p.node).name.c_str(), gpus.c_str());
      }
    } else {
      std::printf("decision: %s: %s\n", std::string(CommandKindName(c.kind)).c_str(), c.reason.c_str());
    }
  }
  return 0;
}

}  // namespace suanwang
