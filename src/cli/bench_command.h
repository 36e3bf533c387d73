// `suanwang bench placement`: decisions per second of one node policy on one core.
#pragma once

#include <cstdint>
#include <string>

namespace suanwang {

struct BenchPlacementOptions {
  int64_t nodes = 10000;
  std::string policy = "bestfit";
  std::string cluster;   // node list CSV; empty: generate `nodes` nodes from the openb mix
  std::string pods;      // task trace CSV; empty: the shipped openb default trace
  double seconds = 2.0;  // timed phase lasts at least this long (or until the trace ends)
  double prefill_percent = 60;  // GPU share the policy allocates (untimed) before timing starts
  uint64_t seed = 42;
  bool json = false;
};

int RunBenchPlacement(const BenchPlacementOptions& options);

}  // namespace suanwang
