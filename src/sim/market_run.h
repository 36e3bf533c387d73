// Running a market scenario: the workload's jobs bid, the sites' pools offer, and one clearing
// per slot (market/clearing.h) decides who runs where (per hub and compute class), with the
// LP optimum of the same book (market/lp_optimum.h) as the yardstick. Every trade is posted to
// an in-memory ledger (metering/ledger.h) that must balance.
//
// Model (docs/market.md, "Simulation"): hubs are markets, pools sell their GPUs' SCU every slot
// at their providers' ask (reservation price plus the hour's electricity); a job bids its
// value per SCU-hour for all its GPUs, in every hub of its latency circle while it waits, and
// in its own hub while it runs. Spot work that loses a later clearing is preempted (told at
// that clearing, it stops at the slot's start: one slot of notice in a market that clears a
// slot ahead) and waits again with the work it has left; on-demand work (its tier in
// on_demand_tiers) keeps what it bought at the price it bought it. The market clears hub-level
// quantities: which node runs what is the engine's business and is not simulated here.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "market/market.h"
#include "metering/ledger.h"
#include "sim/market_scenario.h"

namespace suanwang {

struct MarketSlot {
  double t_h = 0;                      // the slot's start, hours of trace time
  std::vector<MarketOutcome> markets;  // as MarketRun::markets
  double welfare_cny = 0;              // gains from trade of the slot (welfare_per_h x slot)
  double lp_welfare_cny = 0;           // the LP optimum of the same book
  size_t bids = 0, won = 0, preempted = 0;
};

struct MarketJob {
  double arrival_h = 0, start_h = -1, end_h = -1;  // -1: never started / not finished
  double gpus = 0, scu = 0;
  double value = 0;          // max price [CNY/SCU-h]
  std::string tenant;        // its origin city
  std::string tier;
  bool on_demand = false;
  std::string hub;           // where it (last) ran
  double paid_cny = 0;
  int preemptions = 0;
  std::string state;         // finished, left (never served in max_wait_h), waiting, running (at the end)
};

struct MarketRun {
  std::string name;
  std::vector<MarketKey> markets;
  double slot_h = 1;
  double scu_per_gpu = 0;
  std::vector<MarketSlot> slots;
  std::vector<MarketJob> jobs;
  // Totals over the run.
  double welfare_cny = 0, lp_welfare_cny = 0;
  double capacity_scu_h = 0, sold_scu_h = 0;   // all capacity; sold in clearings plus held on demand
  double offered_scu_h = 0, auction_sold_scu_h = 0;  // what went through the clearings
  size_t finished = 0, left = 0, preemptions = 0;
  // The ledger of the run's trades: tenants debited, providers and the platform credited.
  size_t ledger_txns = 0;
  Micros ledger_debits = 0, ledger_credits = 0;
};

struct MarketRunOptions {
  std::string data_dir;   // catalogues (accelerators, power, scu) under DATA/catalogs
  size_t max_jobs = 0;    // 0: the whole trace
  std::function<void(uint64_t)> tick;  // progress: slots cleared
};

// Errors: those of reading the scenario's workload (green scenario, network, inventory,
// trace, catalogues); kInvalidArgument when the inventory mixes GPU models (one compute
// class per hub is what this model prices) or has no GPU pool; kInternal when a clearing's
// ledger transaction does not balance or the LP fails.
Result<MarketRun> RunMarketScenario(const MarketScenario& scenario, const MarketRunOptions& options);

// Reads and parses a market scenario file. Errors: kUnavailable; those of ParseMarketScenario.
Result<MarketScenario> ReadMarketScenario(const std::string& path);

}  // namespace suanwang
