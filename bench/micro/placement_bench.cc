// Google Benchmark: one placement decision (choose node and GPUs, then apply it) on clusters
// made by repeating the openb node list, with tasks from the openb default trace, for the
// policies the issue names. The cluster is refilled from empty whenever it is 95% allocated,
// so every measured decision sees a realistic, partly full cluster.
//   build/bench/placement_bench --benchmark_filter=bestfit
#include <benchmark/benchmark.h>

#include "engine/placement/policy_registry.h"
#include "sim/inflate.h"
#include "sim/openb_loader.h"

namespace suanwang {
namespace {

struct Fixture {
  GpuModelTable models;
  std::vector<NodeSpec> base;
  TaskTrace trace;
  std::vector<TypicalShape> typical;
};

const Fixture& Data() {
  static const Fixture data = [] {
    Fixture f;
    const std::string dir = SW_SOURCE_DIR "/data/traces/openb/";
    f.base = *LoadOpenbNodes(dir + "openb_node_list_all_node.csv", f.models);
    f.trace = *LoadOpenbTasks(dir + "openb_pod_list_default.csv", f.models);
    f.typical = TypicalShapes(f.trace.tasks, 0.95);
    return f;
  }();
  return data;
}

void BM_Place(benchmark::State& bench, const std::string& policy_name) {
  const Fixture& data = Data();
  const auto n = static_cast<size_t>(bench.range(0));
  std::vector<NodeSpec> nodes;
  for (size_t i = 0; i < n; ++i) nodes.push_back(data.base[i % data.base.size()]);
  PolicyContext context{data.typical, data.trace.tasks, &data.models};
  auto policy = std::move(*MakePolicy(policy_name, context));
  auto fresh = [&] { return std::move(*ClusterState::Create(nodes)); };
  ClusterState state = fresh();
  std::vector<uint32_t> arrivals = InflatedArrivals(data.trace, state.total_gpu_milli(), 130, 42);
  Rng rng(42);
  size_t next = 0;
  for (auto _ : bench) {
    if (next == arrivals.size() || state.used_gpu_milli() * 100 >= state.total_gpu_milli() * 95) {
      bench.PauseTiming();
      state = fresh();
      next = 0;
      bench.ResumeTiming();
    }
    const TaskShape& task = data.trace.tasks[arrivals[next++]];
    Decision d = policy->Place(task, state, rng);
    if (d.kind == DecisionKind::kPlaced) benchmark::DoNotOptimize(state.Allocate(d.placement, task));
  }
  bench.SetItemsProcessed(bench.iterations());
}

BENCHMARK_CAPTURE(BM_Place, bestfit, std::string("bestfit"))->Arg(1000)->Arg(10000)->Arg(100000);
BENCHMARK_CAPTURE(BM_Place, bestfit_scan, std::string("bestfit-scan"))->Arg(1000)->Arg(10000);
BENCHMARK_CAPTURE(BM_Place, fgd, std::string("fgd"))->Arg(1000)->Arg(1523)->Arg(10000);
BENCHMARK_CAPTURE(BM_Place, fgd_lookahead, std::string("fgd-lookahead"))->Arg(1000)->Arg(1523)->Arg(10000);

}  // namespace
}  // namespace suanwang

BENCHMARK_MAIN();
