#include "cli/bench_command.h"

#include <chrono>
#include <cstdio>

#include "cli/cli_util.h"
#include "cli/data_path.h"
#include "engine/placement/policy_registry.h"
#include "sim/inflate.h"
#include "sim/openb_loader.h"

namespace suanwang {
namespace {

// N nodes cycling through a real node list (keeps its mix of models and sizes).
std::vector<NodeSpec> Replicate(const std::vector<NodeSpec>& base, int64_t n) {
  std::vector<NodeSpec> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    NodeSpec node = base[static_cast<size_t>(i) % base.size()];
    node.name = "gen-node-" + std::to_string(i);
    out.push_back(std::move(node));
  }
  return out;
}

}  // namespace

int RunBenchPlacement(const BenchPlacementOptions& o) {
  if (o.nodes < 1 && o.cluster.empty()) {
    std::fprintf(stderr, "error: --nodes %lld: must be at least 1\n", static_cast<long long>(o.nodes));
    return 2;
  }
  GpuModelTable models;
  const std::string node_file = o.cluster.empty() ? DataPath("traces/openb/openb_node_list_all_node.csv") : o.cluster;
  auto base = LoadOpenbNodes(node_file, models);
  if (!base) return Fail(base.error());
  std::vector<NodeSpec> nodes = o.cluster.empty() ? Replicate(*base, o.nodes) : *base;
  auto trace = LoadOpenbTasks(o.pods.empty() ? DataPath("traces/openb/openb_pod_list_default.csv") : o.pods, models);
  if (!trace) return Fail(trace.error());
  std::vector<TypicalShape> typical = TypicalShapes(trace->tasks, 0.95);
  auto policy = MakePolicy(o.policy, PolicyContext{typical, trace->tasks, &models});
  if (!policy) return Fail(policy.error());
  auto created = ClusterState::Create(nodes);
  if (!created) return Fail(created.error());
  ClusterState state = std::move(*created);

  // Arrivals as in `sim inflate` at 130 %, repeated if the timed phase needs more.
  std::vector<uint32_t> arrivals = InflatedArrivals(*trace, state.total_gpu_milli(), 130, o.seed);
  Rng rng(o.seed);
  size_t next = 0;
  // Prefill, untimed: the policy itself places arrivals until the target share of GPUs is
  // allocated, so the timed decisions see the kind of state the policy produces.
  const double prefill_target = static_cast<double>(state.total_gpu_milli()) * o.prefill_percent / 100;
  while (static_cast<double>(state.used_gpu_milli()) < prefill_target && next < arrivals.size()) {
    const TaskShape& task = trace->tasks[arrivals[next++]];
    Decision d = (*policy)->Place(task, state, rng);
    if (d.kind == DecisionKind::kPlaced) (void)state.Allocate(d.placement, task);
  }
  const double prefilled = static_cast<double>(state.used_gpu_milli()) / static_cast<double>(state.total_gpu_milli()) * 100;

  using Clock = std::chrono::steady_clock;
  int64_t decisions = 0, placed = 0;
  double busy_seconds = 0;
  const auto start = Clock::now();
  while (next < arrivals.size()) {
    const TaskShape& task = trace->tasks[arrivals[next++]];
    auto t0 = Clock::now();
    Decision d = (*policy)->Place(task, state, rng);
    busy_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    ++decisions;
    if (d.kind == DecisionKind::kPlaced && state.Allocate(d.placement, task)) ++placed;
    if ((decisions & 63) == 0 && std::chrono::duration<double>(Clock::now() - start).count() >= o.seconds) break;
  }
  const double rate = busy_seconds > 0 ? static_cast<double>(decisions) / busy_seconds : 0;
  if (o.json) {
    std::printf("{\"benchmark\":\"placement\",\"policy\":\"%s\",\"nodes\":%zu,\"decisions\":%lld,"
                "\"placed\":%lld,\"seconds\":%.6f,\"decisions_per_second\":%.1f,"
                "\"microseconds_per_decision\":%.3f,\"prefill_gpu_percent\":%.1f,\"threads\":1}\n",
                o.policy.c_str(), state.size(), static_cast<long long>(decisions),
                static_cast<long long>(placed), busy_seconds, rate,
                decisions ? busy_seconds * 1e6 / static_cast<double>(decisions) : 0.0, prefilled);
  } else {
    std::printf("policy %s on %zu nodes (GPU %.1f%% allocated before timing): %lld decisions, "
                "%.0f decisions/s (%.2f us each), %lld placed\n",
                o.policy.c_str(), state.size(), prefilled, static_cast<long long>(decisions), rate,
                decisions ? busy_seconds * 1e6 / static_cast<double>(decisions) : 0.0,
                static_cast<long long>(placed));
  }
  return 0;
}

}  // namespace suanwang
