// A site's cooling capacity bounds the IT heat of what runs there.
#include <gtest/gtest.h>

#include "unit/engine/energy_engine.h"

namespace suanwang {
namespace {

// One cluster of 4 nodes x 8 A100 whose cooling removes 5 kW. A job of 8 A100 at the default
// 70 % GPU / 50 % CPU use and 96 cores draws 8 x 298 + 96 x 4.3875 = 2805.2 W.
constexpr char kCooledSite[] =
    "name: cooled\n"
    "places:\n"
    "  - {id: c, kind: city, lat: 30, lon: 120}\n"
    "  - {id: k, kind: cluster, lat: 30.1, lon: 120.1, grid_kgco2_per_kwh: 0.5}\n"
    "rtt_ms:\n  - [c, k, 2]\n"
    "sites:\n"
    "  - id: k-1\n    place: k\n    pue: 1.2\n    energy: {cooling_capacity_kw: 5}\n    pools:\n"
    "      - {id: g, nodes: 4, cpu_cores: 128, memory_gib: 1024, gpus: 8, gpu_model: A100}\n";

struct Cooled : testing::EnergyEngine {
  Cooled() : EnergyEngine(kCooledSite, CostWeights{}) {}
};

JobSpec Gpus(JobId id, int tasks) {
  JobSpec j;
  j.id = id;
  j.tenant = "t";
  j.tasks = tasks;
  j.task.gpu_count = 8;
  j.task.gpu_milli = 1000;
  j.task.cpu_milli = 96000;
  j.task.memory_mib = 1024;
  j.duration_s = 7200;
  return j;
}

TEST(Cooling, WhatRunsStaysWithinTheSitesCoolingCapacity) {
  Cooled c;
  auto first = c.scheduler->Apply(SubmitJob{Gpus(1, 1)}, 0);
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)[0].kind, CommandKind::kStart);
  EXPECT_NEAR(c.scheduler->site_it_power_w(0), 2805.2, 1e-6);
  // A second one would make 5.6 kW: it waits, though GPUs are free.
  auto second = c.scheduler->Apply(SubmitJob{Gpus(2, 1)}, 1000);
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)[0].kind, CommandKind::kQueue) << (*second)[0].reason;
  // The forecast: 2.8 kW now and in the next hour, nothing once the first ends (2 h).
  const std::vector<double> kw = c.scheduler->HeatForecastKw(0, 1000, 4);
  ASSERT_EQ(kw.size(), 4u);
  EXPECT_NEAR(kw[0], 2.8052, 1e-9);
  EXPECT_NEAR(kw[1], 2.8052, 1e-9);
  EXPECT_NEAR(kw[2], 0, 1e-9);
  // When it ends the second starts.
  auto ended = c.scheduler->Apply(JobFinished{1}, 7'200'000);
  ASSERT_TRUE(ended);
  ASSERT_EQ(ended->size(), 1u);
  EXPECT_EQ((*ended)[0].kind, CommandKind::kStart);
  EXPECT_EQ((*ended)[0].job, 2u);
}

TEST(Cooling, AJobHotterThanTheCoolingCanNeverRunThere) {
  Cooled c;
  auto r = c.scheduler->Apply(SubmitJob{Gpus(1, 2)}, 0);  // 5.6 kW
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].kind, CommandKind::kReject);
  EXPECT_NE((*r)[0].reason.find("cooling: 5.6 kW of heat exceeds the site's 5.0 kW"), std::string::npos)
      << (*r)[0].reason;
}

}  // namespace
}  // namespace suanwang
