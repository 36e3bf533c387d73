// Node policies by name, for the CLI, the simulator and the server's configuration.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/placement/policy.h"

namespace suanwang {

// All policy names, in a stable order: the six of the FGD paper, then ours.
const std::vector<std::string>& PolicyNames();

// Errors: kInvalidArgument naming the unknown policy and listing the known ones.
Result<std::unique_ptr<PlacementPolicy>> MakePolicy(std::string_view name,
                                                    const PolicyContext& context);

}  // namespace suanwang
