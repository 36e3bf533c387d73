// The FGD paper's "inflation" experiment (Weng et al., ATC'23, Section 6.1), on our engine.
//
// Protocol, as in the authors' simulator:
//  1. The trace's tasks, ordered by name, are shuffled with the run's seed.
//  2. The workload is tuned to `target_percent` of the cluster's GPU capacity: tasks drawn
//     uniformly (with replacement) from the trace are appended until the next one would pass
//     the target; if the trace already asks for more, random tasks are dropped instead.
//  3. Tasks arrive one by one and never leave; each is placed by the policy or counted failed.
//  4. After every arrival we record the arrived GPU demand, the allocated GPUs and the
//     fragmented GPUs (F(M) summed over nodes, M = the trace's typical shapes).
//  5. Curves are sampled at every 1 % of arrived demand: the mean over the arrivals whose
//     arrived share rounds to that percent (if none, the arrivals within +-1 %).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "common/error.h"
#include "engine/placement/fragmentation.h"
#include "engine/placement/policy.h"
#include "model/resources.h"
#include "sim/openb_loader.h"

namespace suanwang {

struct InflateConfig {
  int target_percent = 130;
  uint64_t seed = 42;
};

struct InflateCurves {
  // Index = arrived GPU demand in percent of capacity (0..target); NaN where no sample.
  std::vector<double> allocation;  // allocated GPU / total GPU, %
  std::vector<double> frag_total;  // fragmented GPU / total GPU, %
  std::vector<double> frag_rate;   // fragmented GPU / unallocated GPU, %
  int64_t tasks_arrived = 0;
  int64_t tasks_failed = 0;
  double unallocated_gpus_at_end = 0;  // whole GPUs
  double allocation_at_end = 0;        // %
};

// The task order of one run (indices into trace.tasks), steps 1-2 above.
std::vector<uint32_t> InflatedArrivals(const TaskTrace& trace, int64_t total_gpu_milli,
                                       int target_percent, uint64_t seed);

// Runs one (workload, policy, seed). `tick` is called every 256 arrivals (for progress).
// Errors: kInvalidArgument when the cluster has no GPUs or target_percent is not in 1..1000.
Result<InflateCurves> RunInflate(const std::vector<NodeSpec>& nodes, const TaskTrace& trace,
                                 const std::vector<TypicalShape>& typical, PlacementPolicy& policy,
                                 const InflateConfig& config,
                                 const std::function<void(uint64_t)>& tick = {});

}  // namespace suanwang
