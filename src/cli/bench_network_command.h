// `suanwang bench placement --scenario FILE`: time per network placement decision (site
// choice, cost terms and node placement at the chosen site) on a scenario's network and
// workload, with and without the energy terms.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace suanwang {

struct BenchNetworkOptions {
  std::string scenario;
  size_t max_jobs = 20000;   // the trace's first N jobs
  int rounds = 5;            // alternating rounds of each variant; medians are reported
  bool json = false;
};

int RunBenchNetworkPlacement(const BenchNetworkOptions& options);

}  // namespace suanwang
