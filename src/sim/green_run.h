// Running a green scenario: every policy over the same workload, in parallel.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "sim/carbon_floor.h"
#include "sim/green_report.h"

namespace suanwang {

struct GreenRun {
  Network network;                         // with the scenario's inventory
  std::shared_ptr<const EnergyModel> energy;
  Workload workload;
  std::vector<PolicyOutcome> outcomes;     // scenario policy order
  std::vector<PolicyMetrics> metrics;
  // The least carbon per GPU-hour any placement could reach over the span the policies took
  // (sim/carbon_floor.h); floor_error says why it is missing.
  std::optional<CarbonFloor> floor;
  std::string floor_error;
};

struct GreenRunOptions {
  std::string data_dir;   // catalogues (accelerators.yaml, power.yaml) under DATA/catalogs
  size_t max_jobs = 0;    // 0: the whole trace; else its first N jobs (quick looks, tests)
  unsigned threads = 1;
  std::function<void(uint64_t)> tick;  // progress: events handled
};

// Reads and parses a scenario file. Errors: kUnavailable when unreadable; else as
// ParseGreenScenario.
Result<GreenScenario> ReadGreenScenario(const std::string& path);

// The scenario's network (with its inventory), energy model and workload, not yet run
// (outcomes and metrics empty). Errors: those of the loaders (network, inventory, trace,
// catalogues, series files) and of GreenWorkload.
Result<GreenRun> LoadGreenScenario(const GreenScenario& scenario, const GreenRunOptions& options);

// Runs every policy, then solves the carbon floor over [first arrival, last end of any policy).
// Errors: those of LoadGreenScenario and of RunWorkload (a floor that cannot be solved is not
// an error: floor_error says why).
Result<GreenRun> RunGreenScenario(const GreenScenario& scenario, const GreenRunOptions& options);

}  // namespace suanwang
