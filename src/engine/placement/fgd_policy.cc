#include "engine/placement/fgd_policy.h"

#include <cmath>
#include <string>

#include "engine/placement/fgd_cache.h"
#include "engine/placement/node_scan.h"

namespace suanwang {
namespace {

// Shared by "fgd" and "fgd-lookahead": they differ in the workload shapes and lookahead weight.
class FgdPolicy final : public PlacementPolicy {
 public:
  FgdPolicy(std::string name, const PolicyContext& c, std::vector<TypicalShape> shapes,
            double lookahead_weight)
      : name_(std::move(name)), context_(c), cache_(std::move(shapes), lookahead_weight) {}
  std::string_view name() const override { return name_; }

  Decision Place(const TaskShape& task, const ClusterState& state, Rng&) override {
    auto& entries = cache_.Table(task, state);
    auto n = BestFeasibleNode(task, state, [&](NodeIndex i) {
      // The integer score of the paper's simulator: coarse, so many nodes tie, and ties go to
      // the lowest rank, which packs.
      return static_cast<double>(cache_.Move(entries, task, state, i).quantized);
    });
    if (!n) return Unplaced(task, state, context_.gpu_models);
    Decision d;
    d.kind = DecisionKind::kPlaced;
    d.placement = Placement{*n, cache_.Slots(entries, task, state, *n)};
    return d;
  }

 private:
  std::string name_;
  PolicyContext context_;
  FgdCache cache_;
};

}  // namespace

std::unique_ptr<PlacementPolicy> MakeFgdPolicy(const PolicyContext& c) {
  return std::make_unique<FgdPolicy>("fgd", c, c.typical_shapes, 0.0);
}

double LookaheadWeight(std::span<const TaskShape> workload) {
  double whole = 0, all = 0;
  for (const TaskShape& t : workload) {
    all += static_cast<double>(t.TotalGpuMilli());
    if (t.UsesGpu() && !t.IsGpuShare()) whole += static_cast<double>(t.TotalGpuMilli());
  }
  return all > 0 ? kLookaheadWeightPerWholeGpuShare * whole / all : 0.0;
}

std::unique_ptr<PlacementPolicy> MakeFgdLookaheadPolicy(const PolicyContext& c) {
  return std::make_unique<FgdPolicy>("fgd-lookahead", c,
                                     TypicalShapes(c.workload, kLookaheadCoverage, true),
                                     LookaheadWeight(c.workload));
}

}  // namespace suanwang
