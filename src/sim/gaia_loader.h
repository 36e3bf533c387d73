// GAIA's year-long job traces (umassos/GAIA, src/cluster_traces/; data/traces/gaia/README.md):
// columns arrival_time and length in hours, cpus = the job's width in resource units.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace suanwang {

struct GaiaJob {
  double arrival_h = 0;
  double length_h = 0;
  int64_t units = 1;
};

// Errors: kUnavailable when unreadable; kInvalidArgument "path:line: column 'x': reason" for a
// missing column, a non-number, a negative arrival, a length <= 0, or units < 1.
Result<std::vector<GaiaJob>> LoadGaiaTrace(const std::string& path);

}  // namespace suanwang
