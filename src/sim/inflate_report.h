// Writes the results of `sim inflate` runs: one CSV per metric, an SVG plot, a summary table.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "sim/inflate.h"

namespace suanwang {

struct InflateRun {
  std::string workload;
  std::string policy;
  uint64_t seed = 0;
  InflateCurves curves;
};

// DIR/allocation.csv, DIR/frag_total.csv, DIR/frag_rate.csv with the header
// "workload,policy,seed,0,1,...,target" (values in percent; empty where no sample) and
// DIR/allocation.svg (mean allocation over seeds against arrived demand, one panel per
// workload). Errors: kUnavailable when a file cannot be written.
Result<void> WriteInflateReport(const std::string& dir, const std::vector<InflateRun>& runs,
                                int target_percent);

// Per workload and policy: runs, mean and spread of the allocation at `target_percent`,
// unallocated GPUs at the end and failed tasks.
std::string InflateSummaryTable(const std::vector<InflateRun>& runs, int target_percent);

}  // namespace suanwang
