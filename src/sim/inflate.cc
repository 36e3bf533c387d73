#include "sim/inflate.h"

#include <cmath>
#include <limits>
#include <numeric>

#include "common/rng.h"

namespace suanwang {
namespace {

struct Bucket {
  double allocation = 0, frag_total = 0, frag_rate = 0;
  int64_t count = 0;
};

void Sample(const std::vector<Bucket>& buckets, InflateCurves& out) {
  const size_t n = buckets.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  out.allocation.assign(n, nan);
  out.frag_total.assign(n, nan);
  out.frag_rate.assign(n, nan);
  for (size_t x = 0; x < n; ++x) {
    Bucket sum;
    if (buckets[x].count > 0) {
      sum = buckets[x];
    } else {
      for (size_t y = x == 0 ? 0 : x - 1; y <= std::min(n - 1, x + 1); ++y) {
        sum.allocation += buckets[y].allocation;
        sum.frag_total += buckets[y].frag_total;
        sum.frag_rate += buckets[y].frag_rate;
        sum.count += buckets[y].count;
      }
    }
    if (sum.count == 0) continue;
    const auto c = static_cast<double>(sum.count);
    out.allocation[x] = sum.allocation / c;
    out.frag_total[x] = sum.frag_total / c;
    out.frag_rate[x] = sum.frag_rate / c;
  }
}

}  // namespace

std::vector<uint32_t> InflatedArrivals(const TaskTrace& trace, int64_t total_gpu_milli,
                                       int target_percent, uint64_t seed) {
  Rng rng(seed);
  const auto n = static_cast<uint32_t>(trace.tasks.size());
  std::vector<uint32_t> by_name(n);
  std::iota(by_name.begin(), by_name.end(), 0u);
  std::stable_sort(by_name.begin(), by_name.end(),
                   [&](uint32_t a, uint32_t b) { return trace.names[a] < trace.names[b]; });
  std::vector<uint32_t> order = by_name;
  for (uint32_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.Uniform(i)]);

  const double target = static_cast<double>(total_gpu_milli) * target_percent / 100.0;
  int64_t demand = 0;
  for (uint32_t i : order) demand += trace.tasks[i].TotalGpuMilli();
  if (static_cast<double>(demand) > target) {
    while (static_cast<double>(demand) > target && !order.empty()) {
      size_t k = rng.Uniform(order.size());
      demand -= trace.tasks[order[k]].TotalGpuMilli();
      order.erase(order.begin() + static_cast<std::ptrdiff_t>(k));
    }
  } else {
    while (true) {
      uint32_t pick = by_name[rng.Uniform(n)];
      int64_t next = trace.tasks[pick].TotalGpuMilli();
      if (static_cast<double>(demand + next) > target) break;
      demand += next;
      order.push_back(pick);
    }
  }
  return order;
}

Result<InflateCurves> RunInflate(const std::vector<NodeSpec>& nodes, const TaskTrace& trace,
                                 const std::vector<TypicalShape>& typical, PlacementPolicy& policy,
                                 const InflateConfig& config,
                                 const std::function<void(uint64_t)>& tick) {
  if (config.target_percent < 1 || config.target_percent > 1000) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "target " + std::to_string(config.target_percent) + " % is not in 1..1000");
  }
  auto created = ClusterState::Create(nodes);
  if (!created) return std::unexpected(created.error());
  ClusterState state = std::move(*created);
  const int64_t total = state.total_gpu_milli();
  if (total == 0) return MakeError(ErrorCode::kInvalidArgument, "the cluster has no GPUs");

  std::vector<uint32_t> arrivals = InflatedArrivals(trace, total, config.target_percent, config.seed);
  // The policy draws from its own stream so that the workload does not depend on it.
  Rng rng(config.seed ^ 0x5eed5eed5eed5eedULL);
  // A seeded node preference order for ties (see ClusterState::SetTieRanks).
  std::vector<uint32_t> ranks(state.size());
  std::iota(ranks.begin(), ranks.end(), 0u);
  for (size_t i = ranks.size(); i > 1; --i) std::swap(ranks[i - 1], ranks[rng.Uniform(i)]);
  if (auto ok = state.SetTieRanks(std::move(ranks)); !ok) return std::unexpected(ok.error());

  const ShapeSet metric(typical);
  std::vector<double> node_frag(state.size());
  double frag = 0;
  for (NodeIndex n = 0; n < state.size(); ++n) {
    node_frag[n] = metric.Fragmentation(state, n);
    frag += node_frag[n];
  }
  std::vector<Bucket> buckets(static_cast<size_t>(config.target_percent) + 1);
  InflateCurves out;
  int64_t arrived = 0;
  const double total_d = static_cast<double>(total);
  for (uint32_t index : arrivals) {
    const TaskShape& task = trace.tasks[index];
    arrived += task.TotalGpuMilli();
    ++out.tasks_arrived;
    Decision d = policy.Place(task, state, rng);
    if (d.kind == DecisionKind::kPlaced) {
      if (auto ok = state.Allocate(d.placement, task); !ok) {
        return MakeError(ErrorCode::kInternal, "policy '" + std::string(policy.name()) +
                                                   "' chose an invalid placement: " + ok.error().message);
      }
      NodeIndex n = d.placement.node;
      double updated = metric.Fragmentation(state, n);
      frag += updated - node_frag[n];
      node_frag[n] = updated;
    } else {
      ++out.tasks_failed;
    }
    // Round half to even, as the paper's analysis does (Python's round()).
    const double arrived_pct = std::nearbyint(static_cast<double>(arrived) / total_d * 100.0);
    if (arrived_pct >= 0 && arrived_pct < static_cast<double>(buckets.size())) {
      Bucket& b = buckets[static_cast<size_t>(arrived_pct)];
      const double idle = static_cast<double>(state.idle_gpu_milli());
      b.allocation += static_cast<double>(state.used_gpu_milli()) / total_d * 100.0;
      b.frag_total += frag / total_d * 100.0;
      b.frag_rate += idle > 0 ? frag / idle * 100.0 : 0.0;
      ++b.count;
    }
    if (tick && (out.tasks_arrived & 255) == 0) tick(256);
  }
  if (tick) tick(static_cast<uint64_t>(out.tasks_arrived & 255));
  Sample(buckets, out);
  out.unallocated_gpus_at_end = static_cast<double>(state.idle_gpu_milli()) / kMilliGpu;
  out.allocation_at_end = static_cast<double>(state.used_gpu_milli()) / total_d * 100.0;
  return out;
}

}  // namespace suanwang
