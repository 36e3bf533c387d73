// All-or-nothing placement of a gang of identical tasks on one site.
#pragma once

#include <vector>

#include "engine/placement/policy.h"

namespace suanwang {

struct GangDecision {
  DecisionKind kind = DecisionKind::kUnsatisfiable;
  std::vector<Placement> placements;  // one per task when placed
  std::string reason;
};

// Places `count` copies of `task` one by one with `policy`, applying each to `state`; if one
// cannot be placed, releases what was taken and reports why (busy: would fit on an emptier
// site; unsatisfiable: could never fit, e.g. more tasks than the site could ever hold).
// On kPlaced the state holds the gang's allocation.
GangDecision PlaceGang(PlacementPolicy& policy, const TaskShape& task, int32_t count,
                       ClusterState& state, Rng& rng);

// How many copies of `task` the site could hold if it were empty (per-node packing by CPU,
// memory and GPUs). Used to tell "busy" from "never" for gangs.
int64_t CapacityWhenEmpty(const ClusterState& state, const TaskShape& task);

}  // namespace suanwang
