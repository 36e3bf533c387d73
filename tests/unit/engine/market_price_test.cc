// The market's prices in the engine: price_cny is a cost term (the cheaper site wins when money
// weighs), and a job with a max price waits where compute costs more than it will pay.
#include <gtest/gtest.h>

#include "unit/engine/energy_engine.h"

namespace suanwang {
namespace {

// One city and two equally near clusters of 2 nodes x 8 A100.
constexpr char kTwoSites[] =
    "name: two\n"
    "places:\n"
    "  - {id: c, kind: city, lat: 30, lon: 120}\n"
    "  - {id: a, kind: cluster, lat: 30.1, lon: 120.1, grid_kgco2_per_kwh: 0.5}\n"
    "  - {id: b, kind: cluster, lat: 29.9, lon: 119.9, grid_kgco2_per_kwh: 0.5}\n"
    "rtt_ms:\n  - [c, a, 2]\n  - [c, b, 2]\n"
    "sites:\n"
    "  - id: a-1\n    place: a\n    pue: 1.2\n    pools:\n"
    "      - {id: g, nodes: 2, cpu_cores: 128, memory_gib: 1024, gpus: 8, gpu_model: A100}\n"
    "  - id: b-1\n    place: b\n    pue: 1.2\n    pools:\n"
    "      - {id: g, nodes: 2, cpu_cores: 128, memory_gib: 1024, gpus: 8, gpu_model: A100}\n";

JobSpec Job(JobId id, double max_price = 0) {
  JobSpec j;
  j.id = id;
  j.tenant = "t";
  j.tier = Tier::kT2;
  j.origin = "c";
  j.task.gpu_count = 8;
  j.task.gpu_milli = 1000;
  j.task.cpu_milli = 16000;
  j.task.memory_mib = 1024;
  j.duration_s = 7200;
  j.max_price = max_price;
  return j;
}

SitePrice Price(double per_scu_h) {
  // 312 SCU per A100 (fp16); cores priced at 0.0736 SCU each.
  return SitePrice{{GpuPrice{"A100", per_scu_h, per_scu_h * 312}}, per_scu_h, per_scu_h * 0.0736};
}

TEST(MarketPrices, TheCheaperSiteWinsAndThePriceIsExplained) {
  testing::EnergyEngine e(kTwoSites, CostWeights{1, 1, 0.01, 1, 0});
  ASSERT_TRUE(e.scheduler->Apply(SitePrices{{Price(0.03), Price(0.02)}}, 0));
  auto r = e.scheduler->Apply(SubmitJob{Job(1)}, 0);
  ASSERT_TRUE(r);
  ASSERT_EQ((*r)[0].kind, CommandKind::kStart) << (*r)[0].reason;
  EXPECT_EQ(*(*r)[0].site, 1u);  // b-1 at 0.02
  // price_cny by hand: 8 GPUs x 0.02 x 312 + 16 cores x 0.02 x 0.0736, for 2 h.
  const CostBreakdown& chosen = (*r)[0].costs[0].second;
  auto term = std::find_if(chosen.terms.begin(), chosen.terms.end(), [](const CostTerm& t) { return t.name == "price_cny"; });
  ASSERT_NE(term, chosen.terms.end());
  EXPECT_NEAR(term->value, (8 * 0.02 * 312 + 16 * 0.02 * 0.0736) * 2, 1e-9);
  EXPECT_DOUBLE_EQ(e.scheduler->ScuPrice(Job(9), 0), 0.03);
}

TEST(MarketPrices, AJobWaitsWhileComputeCostsMoreThanItsMaxPrice) {
  testing::EnergyEngine e(kTwoSites, CostWeights{});
  ASSERT_TRUE(e.scheduler->Apply(SitePrices{{Price(0.03), Price(0.025)}}, 0));
  auto r = e.scheduler->Apply(SubmitJob{Job(1, 0.02)}, 0);
  ASSERT_TRUE(r);
  ASSERT_EQ((*r)[0].kind, CommandKind::kQueue);
  EXPECT_EQ((*r)[0].reason,
            "waiting: the market price of every eligible site is above the job's max_price 0.020000 CNY/SCU-h "
            "(lowest 0.025000 at b-1)");
  // A clearing brings a-1 down to 0.018: the job starts there.
  auto cleared = e.scheduler->Apply(SitePrices{{Price(0.018), Price(0.025)}}, 1000);
  ASSERT_TRUE(cleared);
  ASSERT_EQ(cleared->size(), 1u);
  EXPECT_EQ((*cleared)[0].kind, CommandKind::kStart);
  EXPECT_EQ(*(*cleared)[0].site, 0u);
  // Without prices (unpriced sites) nothing is priced out.
  testing::EnergyEngine free(kTwoSites, CostWeights{});
  auto any = free.scheduler->Apply(SubmitJob{Job(2, 0.001)}, 0);
  ASSERT_TRUE(any);
  EXPECT_EQ((*any)[0].kind, CommandKind::kStart);
}


TEST(MarketPrices, AHigherBidPreemptsSpotWorkOnly) {
  testing::EnergyEngine e(kTwoSites, CostWeights{});
  JobSpec spot = Job(1, 0.02);
  spot.tasks = 4;  // both sites full: 2 x 8 GPUs each
  spot.spot = true;
  JobSpec firm = Job(2, 0.01);
  firm.tasks = 2;
  ASSERT_EQ((*e.scheduler->Apply(SubmitJob{firm}, 0))[0].kind, CommandKind::kStart);
  spot.tasks = 2;
  ASSERT_EQ((*e.scheduler->Apply(SubmitJob{spot}, 0))[0].kind, CommandKind::kStart);
  // A bid below the spot job's waits; so does any job when only firm work could make room.
  auto low = e.scheduler->Apply(SubmitJob{Job(3, 0.015)}, 1000);
  ASSERT_TRUE(low);
  EXPECT_EQ((*low)[0].kind, CommandKind::kQueue) << (*low)[0].reason;
  // A higher bid takes the spot job's place.
  auto high = e.scheduler->Apply(SubmitJob{Job(4, 0.03)}, 2000);
  ASSERT_TRUE(high);
  ASSERT_GE(high->size(), 2u);
  EXPECT_EQ((*high)[0].kind, CommandKind::kPreempt);
  EXPECT_EQ((*high)[0].job, 1u);
  EXPECT_NE((*high)[0].reason.find("spot: it bids 0.030000 > 0.020000 CNY/SCU-h"), std::string::npos) << (*high)[0].reason;
  EXPECT_EQ((*high)[1].kind, CommandKind::kStart);
  EXPECT_EQ((*high)[1].job, 4u);
  // Firm (non-spot) work is never outbid.
  JobSpec wide = Job(5, 0.5);
  wide.tasks = 2;
  auto higher = e.scheduler->Apply(SubmitJob{wide}, 3000);
  ASSERT_TRUE(higher);
  EXPECT_EQ((*higher)[0].kind, CommandKind::kQueue) << (*higher)[0].reason;
}

// A reserved pool is its buyer's while the window is open: other tenants' work there makes
// room for the buyer's (and is requeued); outside the window, or elsewhere, it does not.
TEST(MarketPrices, AReservationsBuyerReclaimsItsPoolFromOtherTenants) {
  testing::EnergyEngine e(kTwoSites, CostWeights{});
  for (JobId id = 1; id <= 4; ++id) {  // tenant o fills both sites: 4 x 8 GPUs
    JobSpec j = Job(id);
    j.tenant = "o";
    ASSERT_EQ((*e.scheduler->Apply(SubmitJob{j}, 0))[0].kind, CommandKind::kStart);
  }
  auto bad = e.scheduler->Apply(PoolReservations{{PoolReservation{7, "g", "t", 0, 0}}}, 0);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("site index 7"), std::string::npos) << bad.error().message;
  ASSERT_TRUE(e.scheduler->Apply(PoolReservations{{PoolReservation{1, "g", "t", 100'000, 200'000}}}, 0));
  EXPECT_EQ(e.scheduler->next_wake(), std::optional<Timestamp>(100'000));  // the window opens
  // Before the window: t's job waits like any other.
  auto early = e.scheduler->Apply(SubmitJob{Job(10)}, 50'000);
  ASSERT_TRUE(early);
  EXPECT_EQ((*early)[0].kind, CommandKind::kQueue) << (*early)[0].reason;
  // When it opens, the waiting job takes the place of one of o's jobs on b-1.
  auto opened = e.scheduler->Apply(Wake{}, 100'000);
  ASSERT_TRUE(opened);
  ASSERT_EQ(opened->size(), 2u);
  EXPECT_EQ((*opened)[0].kind, CommandKind::kPreempt);
  EXPECT_EQ(*(*opened)[0].site, 1u);
  EXPECT_NE((*opened)[0].reason.find("reserved: tenant 't' holds pool g of site b-1"), std::string::npos)
      << (*opened)[0].reason;
  EXPECT_EQ((*opened)[1].kind, CommandKind::kStart);
  EXPECT_EQ((*opened)[1].job, 10u);
  EXPECT_EQ(*(*opened)[1].site, 1u);
  EXPECT_FALSE(e.scheduler->next_wake());
  // Inside it, a job submitted reclaims the other; t's own work is never its victim, so a
  // third finds nothing more to reclaim.
  auto in = e.scheduler->Apply(SubmitJob{Job(11)}, 150'000);
  ASSERT_TRUE(in);
  ASSERT_EQ(in->size(), 2u);
  EXPECT_EQ((*in)[0].kind, CommandKind::kPreempt);
  EXPECT_EQ(*(*in)[0].site, 1u);
  EXPECT_EQ((*in)[1].job, 11u);
  auto full = e.scheduler->Apply(SubmitJob{Job(12)}, 160'000);
  ASSERT_TRUE(full);
  EXPECT_EQ((*full)[0].kind, CommandKind::kQueue) << (*full)[0].reason;
  // After the window: other tenants' work is safe again.
  auto late = e.scheduler->Apply(SubmitJob{Job(13)}, 250'000);
  ASSERT_TRUE(late);
  EXPECT_EQ((*late)[0].kind, CommandKind::kQueue) << (*late)[0].reason;
}

// A reservation bought while its window is open serves the buyer's work already waiting.
TEST(MarketPrices, AReservationBoughtInItsWindowServesTheBuyersWaitingWork) {
  testing::EnergyEngine e(kTwoSites, CostWeights{});
  for (JobId id = 1; id <= 4; ++id) {
    JobSpec j = Job(id);
    j.tenant = "o";
    ASSERT_EQ((*e.scheduler->Apply(SubmitJob{j}, 0))[0].kind, CommandKind::kStart);
  }
  ASSERT_EQ((*e.scheduler->Apply(SubmitJob{Job(10)}, 1000))[0].kind, CommandKind::kQueue);
  auto bought = e.scheduler->Apply(PoolReservations{{PoolReservation{0, "g", "t", 0, 0}}}, 2000);
  ASSERT_TRUE(bought);
  ASSERT_EQ(bought->size(), 2u);
  EXPECT_EQ((*bought)[0].kind, CommandKind::kPreempt);
  EXPECT_EQ((*bought)[1].kind, CommandKind::kStart);
  EXPECT_EQ((*bought)[1].job, 10u);
  EXPECT_EQ(*(*bought)[1].site, 0u);
  EXPECT_EQ(e.scheduler->queued(), 0u);
}

}  // namespace
}  // namespace suanwang
