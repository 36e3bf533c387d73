// The baseline node policies of the FGD paper's evaluation (Weng et al., ATC'23, Section 6),
// with the scoring rules of its public simulator: integer scores 0..100, ties broken
// uniformly at random. Their formulas are at the top of each class in paper_policies.cc.
#pragma once

#include <memory>

#include "engine/placement/policy.h"

namespace suanwang {

std::unique_ptr<PlacementPolicy> MakeRandomPolicy(const PolicyContext& context);
std::unique_ptr<PlacementPolicy> MakeBestFitPolicy(const PolicyContext& context);
// The same policy without its index: a full scan per decision (reference and baseline).
std::unique_ptr<PlacementPolicy> MakeBestFitScanPolicy(const PolicyContext& context);
std::unique_ptr<PlacementPolicy> MakeDotProductPolicy(const PolicyContext& context);
std::unique_ptr<PlacementPolicy> MakeClusteringPolicy(const PolicyContext& context);
std::unique_ptr<PlacementPolicy> MakePackingPolicy(const PolicyContext& context);

}  // namespace suanwang
