// Fragmentation Gradient Descent (Weng et al., ATC'23, Algorithm 1): place a task where it
// increases the node's fragmentation F_n(M) (see fragmentation.h) the least, choosing the GPU
// within the node the same way.
#pragma once

#include <memory>

#include "engine/placement/policy.h"

namespace suanwang {

// "fgd" as in the paper's simulator: score = floor(100 * sigmoid((F_before - F_after) / 1000)),
// highest score wins, equal scores are broken uniformly at random.
std::unique_ptr<PlacementPolicy> MakeFgdPolicy(const PolicyContext& context);

}  // namespace suanwang
