#include "engine/placement/gang.h"


namespace suanwang {

int64_t CapacityWhenEmpty(const ClusterState& state, const TaskShape& task) {
  return state.CapacityWhenEmpty(task);
}

GangDecision PlaceGang(PlacementPolicy& policy, const TaskShape& task, int32_t count,
                       ClusterState& state, Rng& rng) {
  GangDecision out;
  if (count < 1) {
    out.reason = "a gang needs at least one task";
    return out;
  }
  for (int32_t i = 0; i < count; ++i) {
    Decision d = policy.Place(task, state, rng);
    if (d.kind == DecisionKind::kPlaced) {
      if (auto ok = state.Allocate(d.placement, task); ok) {
        out.placements.push_back(d.placement);
        continue;
      } else {
        d.kind = DecisionKind::kBusy;
        d.reason = ok.error().message;
      }
    }
    for (auto it = out.placements.rbegin(); it != out.placements.rend(); ++it) {
      (void)state.Release(*it, task);
    }
    out.placements.clear();
    const int64_t capacity = CapacityWhenEmpty(state, task);
    if (d.kind == DecisionKind::kUnsatisfiable || capacity < count) {
      out.kind = DecisionKind::kUnsatisfiable;
      out.reason = d.kind == DecisionKind::kUnsatisfiable
                       ? d.reason
                       : "can never fit: the site could hold at most " + std::to_string(capacity) +
                             " of these tasks even empty, the gang needs " + std::to_string(count);
    } else {
      out.kind = DecisionKind::kBusy;
      out.reason = "busy: " + std::to_string(i) + " of " + std::to_string(count) +
                   " tasks fit now; waiting for room for all of them";
    }
    return out;
  }
  out.kind = DecisionKind::kPlaced;
  return out;
}

}  // namespace suanwang
