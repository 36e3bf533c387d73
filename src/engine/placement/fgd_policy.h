// Fragmentation Gradient Descent (Weng et al., ATC'23, Algorithm 1): place a task where it
// increases the node's fragmentation F_n(M) (see fragmentation.h) the least, choosing the GPU
// within the node the same way.
#pragma once

#include <memory>
#include <span>

#include "engine/placement/policy.h"

namespace suanwang {

// "fgd" as in the paper's simulator: score = floor(100 * sigmoid((F_before - F_after) / 1000)),
// highest score wins, equal scores are broken uniformly at random.
std::unique_ptr<PlacementPolicy> MakeFgdPolicy(const PolicyContext& context);

// "fgd-lookahead", our own: FGD whose score blends the fragmentation decrease now with the
// decrease of the fragmentation expected after one more arrival (NodeFragmentationLookahead),
//   score = w * (L_before - L_after) + (1 - w) * (F_before - F_after),
// over the workload's shapes keyed with memory as well (a task that lacks memory cannot use
// the node's GPUs either). The weight follows the workload: w = kLookaheadWeightPerWholeGpuShare
// x (share of GPU demand asked as whole GPUs). GPU-share tasks are what FGD's measure already
// handles well; whole-GPU tasks are the ones stranded by CPU and memory a step later, which
// the lookahead sees. Same integer sigmoid score and rank tie-break as "fgd", so it keeps
// FGD's packing. Measured in docs/BENCHMARKS.md.
inline constexpr double kLookaheadWeightPerWholeGpuShare = 0.3;
inline constexpr double kLookaheadCoverage = 0.95;
double LookaheadWeight(std::span<const TaskShape> workload);
std::unique_ptr<PlacementPolicy> MakeFgdLookaheadPolicy(const PolicyContext& context);

}  // namespace suanwang
