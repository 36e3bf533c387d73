#include "engine/placement/paper_policies.h"

#include <algorithm>

#include "engine/placement/bestfit_index.h"
#include "engine/placement/node_scan.h"

namespace suanwang {
namespace {

constexpr int64_t kMaxNodeScore = 100;

Decision Placed(NodeIndex n, GpuSlots gpus) {
  Decision d;
  d.kind = DecisionKind::kPlaced;
  d.placement = Placement{n, gpus};
  return d;
}

// random: a uniformly random feasible node; a random GPU that fits for GPU-share tasks.
class RandomPolicy final : public PlacementPolicy {
 public:
  explicit RandomPolicy(const PolicyContext& c) : context_(c) {}
  std::string_view name() const override { return "random"; }
  Decision Place(const TaskShape& task, const ClusterState& state, Rng& rng) override {
    auto n = RandomFeasibleNode(task, state, rng);
    if (!n) return Unplaced(task, state, context_.gpu_models);
    return Placed(*n, SelectGpusRandom(state, *n, task, rng));
  }

 private:
  PolicyContext context_;
};

// bestfit: the node left with the least weighted free capacity,
//   minimise 0.5 * (cpu_left - cpu) / 128 cores + 0.5 * (gpu_left - gpu) / 8 GPUs,
// the paper simulator's formula without its rounding to integer scores (exact ties only).
// The index (bestfit_index.h) finds the same node as a full scan without visiting every node;
// `use_index = false` is the plain scan, kept as the reference and benchmark baseline.
class BestFitPolicy final : public PlacementPolicy {
 public:
  BestFitPolicy(const PolicyContext& c, bool use_index) : context_(c), use_index_(use_index) {}
  std::string_view name() const override { return use_index_ ? "bestfit" : "bestfit-scan"; }
  Decision Place(const TaskShape& task, const ClusterState& state, Rng&) override {
    auto n = use_index_ ? index_.Find(task, state) : BestFeasibleNode(task, state, [&](NodeIndex i) {
      return -BestFitIndex::Key(state, i);
    });
    if (!n) return Unplaced(task, state, context_.gpu_models);
    return Placed(*n, SelectGpusBestFit(state, *n, task));
  }

 private:
  PolicyContext context_;
  bool use_index_;
  BestFitIndex index_;
};

// dotprod (Tetris): score = floor(100 * (1 - (cpu_left*cpu/128c^2 + gpu_left*gpu/8G^2) / 2)):
// prefer the node whose free vector is least aligned with the request.
class DotProductPolicy final : public PlacementPolicy {
 public:
  explicit DotProductPolicy(const PolicyContext& c) : context_(c) {}
  std::string_view name() const override { return "dotprod"; }
  Decision Place(const TaskShape& task, const ClusterState& state, Rng&) override {
    const double cpu = static_cast<double>(task.cpu_milli) / kMaxSpecCpuMilli;
    const double gpu = static_cast<double>(task.TotalGpuMilli()) / kMaxSpecGpuMilli;
    auto n = BestFeasibleNode(task, state, [&](NodeIndex i) {
      double dot = static_cast<double>(state.cpu_left(i)) / kMaxSpecCpuMilli * cpu +
                   static_cast<double>(state.gpu_left_total(i)) / kMaxSpecGpuMilli * gpu;
      return static_cast<double>(static_cast<int64_t>(kMaxNodeScore * (1.0 - dot / 2)));
    });
    if (!n) return Unplaced(task, state, context_.gpu_models);
    return Placed(*n, SelectGpusBestFit(state, *n, task));
  }

 private:
  PolicyContext context_;
};

// clustering: keep tasks of one GPU kind (share, 1, 2, 4, 8 GPUs) together. Score bands:
// (75,100] node holds only this kind, (50,75] this kind among others, (25,50] node holds no
// GPU task, [0,25] only other kinds; within a band, fuller nodes score higher:
// 25 * (8 GPUs - gpu_left) / 8 GPUs. CPU tasks: all nodes tie.
class ClusteringPolicy final : public PlacementPolicy {
 public:
  explicit ClusteringPolicy(const PolicyContext& c) : context_(c) {}
  std::string_view name() const override { return "clustering"; }
  Decision Place(const TaskShape& task, const ClusterState& state, Rng&) override {
    const size_t slot = task.IsGpuShare() ? 0 : static_cast<size_t>(task.gpu_count);
    auto n = BestFeasibleNode(task, state, [&](NodeIndex i) -> double {
      if (!task.UsesGpu()) return 0;
      const AffinityCounts& kinds = state.affinity(i);
      int distinct = 0;
      for (uint16_t k : kinds) distinct += k > 0;
      int64_t fullness = kMaxNodeScore / 4 *
                         (static_cast<int64_t>(kMaxSpecGpuMilli) - state.gpu_left_total(i)) /
                         static_cast<int64_t>(kMaxSpecGpuMilli);
      int64_t band = 0;
      if (kinds[slot] > 0) {
        band = distinct == 1 ? 3 : 2;
      } else {
        band = distinct == 0 ? 1 : 0;
      }
      return static_cast<double>(fullness + band * kMaxNodeScore / 4);
    });
    if (!n) return Unplaced(task, state, context_.gpu_models);
    return Placed(*n, SelectGpusBestFit(state, *n, task));
  }

 private:
  PolicyContext context_;
};

// packing: prefer, in order, (1) sharing an already used GPU: 100 - free%/10 of the GPUs
// used, at least 50; (2) free GPUs on a used node: 50 - free GPUs taken, at least 33;
// (3) an unused node: 33 - its GPU count. CPU tasks: all nodes tie.
class PackingPolicy final : public PlacementPolicy {
 public:
  explicit PackingPolicy(const PolicyContext& c) : context_(c) {}
  std::string_view name() const override { return "packing"; }
  Decision Place(const TaskShape& task, const ClusterState& state, Rng&) override {
    auto n = BestFeasibleNode(task, state, [&](NodeIndex i) -> double {
      if (!task.UsesGpu()) return 0;
      return static_cast<double>(Score(state, i, task));
    });
    if (!n) return Unplaced(task, state, context_.gpu_models);
    return Placed(*n, SelectGpusBestFit(state, *n, task));
  }

 private:
  static int64_t Score(const ClusterState& state, NodeIndex n, const TaskShape& task) {
    const int full_free = state.full_free_gpus(n);
    const int gpu_count = state.spec(n).gpu_count;
    if (full_free == gpu_count) return std::max<int64_t>(kMaxNodeScore / 3 - full_free, full_free);
    // Take GPUs from the least free upwards, as the simulator's packing does.
    auto gpus = state.gpu_left(n);
    std::array<int, kMaxGpusPerNode> order{};
    for (int i = 0; i < gpu_count; ++i) order[static_cast<size_t>(i)] = i;
    std::stable_sort(order.begin(), order.begin() + gpu_count,
                     [&](int a, int b) { return gpus[static_cast<size_t>(a)] < gpus[static_cast<size_t>(b)]; });
    int need = task.gpu_count, free_used = 0;
    int64_t free_pct_on_used = 0;
    for (int k = 0; k < gpu_count && need > 0; ++k) {
      int32_t left = gpus[static_cast<size_t>(order[static_cast<size_t>(k)])];
      if (left < task.gpu_milli) continue;
      --need;
      free_used += left == kMilliGpu;
      free_pct_on_used += left * 100 / kMilliGpu;
    }
    if (free_used > 0) return std::max<int64_t>(kMaxNodeScore / 2 - free_used, kMaxNodeScore / 3);
    return std::max<int64_t>(kMaxNodeScore - free_pct_on_used / 10, kMaxNodeScore / 2);
  }

  PolicyContext context_;
};

}  // namespace

std::unique_ptr<PlacementPolicy> MakeRandomPolicy(const PolicyContext& c) {
  return std::make_unique<RandomPolicy>(c);
}
std::unique_ptr<PlacementPolicy> MakeBestFitPolicy(const PolicyContext& c) {
  return std::make_unique<BestFitPolicy>(c, true);
}
std::unique_ptr<PlacementPolicy> MakeBestFitScanPolicy(const PolicyContext& c) {
  return std::make_unique<BestFitPolicy>(c, false);
}
std::unique_ptr<PlacementPolicy> MakeDotProductPolicy(const PolicyContext& c) {
  return std::make_unique<DotProductPolicy>(c);
}
std::unique_ptr<PlacementPolicy> MakeClusteringPolicy(const PolicyContext& c) {
  return std::make_unique<ClusteringPolicy>(c);
}
std::unique_ptr<PlacementPolicy> MakePackingPolicy(const PolicyContext& c) {
  return std::make_unique<PackingPolicy>(c);
}

}  // namespace suanwang
