#include "engine/placement/fgd_policy.h"

#include <cmath>

#include "engine/placement/fgd_cache.h"
#include "engine/placement/node_scan.h"

namespace suanwang {
namespace {

class FgdPolicy final : public PlacementPolicy {
 public:
  explicit FgdPolicy(const PolicyContext& c) : context_(c), cache_(context_.typical_shapes) {}
  std::string_view name() const override { return "fgd"; }

  Decision Place(const TaskShape& task, const ClusterState& state, Rng&) override {
    auto& entries = cache_.Table(task, state);
    auto n = BestFeasibleNode(task, state, [&](NodeIndex i) {
      const FragMove& move = cache_.Move(entries, task, state, i);
      // Integer score as the paper's simulator computes it: coarse, so many nodes tie.
      double sigmoid = 1.0 / (1.0 + std::exp(-move.decrease / 1000.0));
      return static_cast<double>(static_cast<int64_t>(sigmoid * 100));
    });
    if (!n) return ExplainUnplaced(task, state, context_.gpu_models);
    Decision d;
    d.kind = DecisionKind::kPlaced;
    d.placement = Placement{*n, cache_.Slots(entries, task, state, *n)};
    return d;
  }

 private:
  PolicyContext context_;
  FgdCache cache_;
};

}  // namespace

std::unique_ptr<PlacementPolicy> MakeFgdPolicy(const PolicyContext& c) {
  return std::make_unique<FgdPolicy>(c);
}

}  // namespace suanwang
