// What a market run writes: prices per hub over time, each slot's clearing against its LP
// optimum, each job's fate; plots of the prices and of the share of capacity sold.
#pragma once

#include <string>

#include "common/error.h"
#include "sim/market_run.h"

namespace suanwang {

// The summary people read first: welfare against the LP optimum, capacity sold, jobs served,
// preemptions, mean price per hub, the ledger's balance.
std::string MarketSummaryTable(const MarketRun& run);

// DIR/prices.csv (t_h, hub, class, price, offered_scu, sold_scu, demand_scu per slot and
// market), DIR/slots.csv (t_h, bids, won, preempted, welfare_cny, lp_welfare_cny),
// DIR/jobs.csv, DIR/summary.csv, DIR/prices.svg (price per hub, one line each) and
// DIR/market.svg (share of capacity sold and the clearing's welfare over the LP's, per day).
// Errors: kUnavailable when DIR cannot be written.
Result<void> WriteMarketReport(const std::string& dir, const MarketRun& run);

}  // namespace suanwang
