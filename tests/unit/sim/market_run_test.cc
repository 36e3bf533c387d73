// The market scenario end to end on the first jobs of the committed trace: every clearing is
// at most its LP optimum, the run as a whole reaches 95 % of it, and the ledger balances.
#include "sim/market_run.h"

#include <gtest/gtest.h>

namespace suanwang {
namespace {

TEST(MarketRun, ClearingsReachTheLpOptimumAndTheLedgerBalances) {
  auto scenario = ReadMarketScenario(SW_SOURCE_DIR "/data/scenarios/market-gaia-pai.yaml");
  ASSERT_TRUE(scenario) << scenario.error().message;
  MarketRunOptions options;
  options.data_dir = SW_SOURCE_DIR "/data";
  options.max_jobs = 4000;
  uint64_t ticks = 0;
  options.tick = [&](uint64_t n) { ticks += n; };
  auto run = RunMarketScenario(*scenario, options);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(ticks, run->slots.size());
  ASSERT_GT(run->slots.size(), 20u);
  EXPECT_EQ(run->markets.size(), 9u);  // 8 hubs and the edge sites outside them
  for (const MarketSlot& s : run->slots) {
    EXPECT_LE(s.welfare_cny, s.lp_welfare_cny + 1e-6) << "slot at " << s.t_h << " h";
    for (const MarketOutcome& m : s.markets) EXPECT_LE(m.sold_scu, m.offered_scu + 1e-6);
  }
  EXPECT_GT(run->lp_welfare_cny, 0);
  EXPECT_GE(run->welfare_cny / run->lp_welfare_cny, 0.95);
  EXPECT_GT(run->ledger_txns, 0u);
  EXPECT_EQ(run->ledger_debits, run->ledger_credits);
  size_t finished = 0, preempted = 0;
  double paid = 0;
  for (const MarketJob& j : run->jobs) {
    if (j.state == "finished") {
      ++finished;
      EXPECT_GE(j.end_h, j.start_h);
      EXPECT_GE(j.start_h, j.arrival_h - 1e-9);
      EXPECT_GT(j.paid_cny, 0);
    }
    preempted += static_cast<size_t>(j.preemptions);
    paid += j.paid_cny;
  }
  EXPECT_EQ(finished, run->finished);
  EXPECT_EQ(preempted, run->preemptions);
  EXPECT_GT(run->finished, run->jobs.size() / 2);
  // What jobs paid is what tenants were debited (to the micro-CNY per line).
  EXPECT_NEAR(paid, static_cast<double>(run->ledger_debits) / kMicrosPerCny, 1e-3 * paid);
  EXPECT_GT(run->sold_scu_h, 0);
  EXPECT_LE(run->sold_scu_h, run->capacity_scu_h + 1e-6);
}

TEST(MarketRun, BadScenariosNameTheField) {
  const std::string ok =
      "name: m\nworkload: w.yaml\nmarket: {slot_min: 60, max_wait_h: 24, value: {median_cny_per_scu_h: 0.02, sigma: 0.5}, "
      "hold_cny_per_gpu_h: 1}\n";
  auto parsed = ParseMarketScenario(ok, "/x/m.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->workload_path, "/x/w.yaml");
  EXPECT_TRUE(IsMarketScenario(ok));
  EXPECT_FALSE(IsMarketScenario("name: g\nnetwork: n.yaml\n"));
  auto bad = ParseMarketScenario(
      "name: m\nworkload: w.yaml\nmarket: {slot_min: 0, max_wait_h: 24, value: {median_cny_per_scu_h: 0.02, sigma: 0.5}, "
      "hold_cny_per_gpu_h: 1}\n",
      "m.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("m.yaml:3"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("market.slot_min"), std::string::npos) << bad.error().message;
  bad = ParseMarketScenario(ok + "extra: 1\n", "m.yaml");
  ASSERT_FALSE(bad);
  bad = ParseMarketScenario(
      "name: m\nworkload: w.yaml\nmarket: {slot_min: 60, max_wait_h: 24, value: {median_cny_per_scu_h: 0.02, sigma: 0.5}, "
      "hold_cny_per_gpu_h: 1, on_demand_tiers: [t9]}\n",
      "m.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("on_demand_tiers"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace suanwang
