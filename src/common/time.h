// Time as the engine sees it: a number the host passes in. No clock is read below the hosts.
#pragma once

#include <cstdint>

namespace suanwang {

// Milliseconds since the Unix epoch (server) or since the start of a simulation (sim).
using Timestamp = int64_t;

}  // namespace suanwang
