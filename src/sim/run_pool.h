// Runs independent jobs on a fixed number of threads (the simulator's parallel sweeps).
#pragma once

#include <functional>
#include <vector>

namespace suanwang {

// Calls every job exactly once on up to `threads` threads (>= 1); returns when all are done.
void RunParallel(std::vector<std::function<void()>> jobs, unsigned threads);

}  // namespace suanwang
