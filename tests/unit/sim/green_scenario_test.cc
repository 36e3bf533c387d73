// The green scenario: its workload, its accounting against a hand calculation, and how the
// policies differ on a small fixed network.
#include "sim/green_scenario.h"

#include <gtest/gtest.h>

#include "energy/energy_model.h"
#include "model/network_yaml.h"
#include "sim/energy_files.h"
#include "sim/files.h"
#include "sim/green_report.h"
#include "sim/green_run.h"
#include "testlib/test_cluster.h"

namespace suanwang {
namespace {

// A city and two clusters within 20 ms of it: k1 near and dirty, k2 farther and clean.
constexpr char kNetwork[] =
    "name: two\n"
    "places:\n"
    "  - {id: c, kind: city, lat: 30, lon: 120}\n"
    "  - {id: k1, kind: cluster, lat: 30.1, lon: 120.1, grid_kgco2_per_kwh: 0.6}\n"
    "  - {id: k2, kind: cluster, lat: 33, lon: 118, grid_kgco2_per_kwh: 0.2}\n"
    "rtt_ms:\n  - [c, k1, 2]\n  - [c, k2, 12]\n  - [k1, k2, 11]\n"
    "sites:\n"
    "  - id: k1-1\n    place: k1\n    pue: 1.25\n    energy: {price_cny_per_kwh: 0.5}\n    pools:\n"
    "      - {id: g, nodes: 2, cpu_cores: 128, memory_gib: 1024, gpus: 8, gpu_model: A100}\n"
    "  - id: k2-1\n    place: k2\n    pue: 1.2\n    energy: {price_cny_per_kwh: 0.4}\n    pools:\n"
    "      - {id: g, nodes: 2, cpu_cores: 128, memory_gib: 1024, gpus: 8, gpu_model: A100}\n";

Network TwoClusters() {
  auto net = ParseNetworkYaml(kNetwork, "two.yaml");
  EXPECT_TRUE(net) << net.error().message;
  return std::move(*net);
}

std::shared_ptr<const EnergyModel> Energy(const Network& net) {
  auto m = LoadEnergyModel(net, std::string(SW_SOURCE_DIR) + "/data");
  EXPECT_TRUE(m) << m.error().message;
  return std::make_shared<const EnergyModel>(std::move(*m));
}

GreenScenario Scenario() {
  GreenScenario s;
  s.name = "fixed";
  s.tier_share[0] = 0;
  s.tier_share[1] = 0;
  s.tier_share[2] = 1;
  return s;
}

Result<ReplayResult> Replay(const Network& net, const Workload& w, CostWeights weights) {
  ReplayConfig config;
  config.scheduler.node_policy = "bestfit";
  config.scheduler.preemption = false;
  config.scheduler.cost_weights = weights;
  config.scheduler.energy = Energy(net);
  GpuModelTable models;
  return RunWorkload(net, models, w, {}, config);
}

TEST(GreenWorkload, SplitsWideJobsIntoGangsOfNodes) {
  Network net = TwoClusters();
  GreenScenario s = Scenario();
  s.deferrable = {Tier::kT3};
  s.window_h = 6;
  auto w = GreenWorkload(s, net, {{1.0, 2.0, 70}, {2.0, 0.5, 10}, {3.0, 1.0, 1}});
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_EQ(w->jobs.size(), 4u);
  // 70 units: 64 (8 tasks x 8) + 6 (1 task x 6), sharing origin and tier.
  EXPECT_EQ(w->jobs[0].tasks, 8);
  EXPECT_EQ(w->jobs[0].task.gpu_count, 8);
  EXPECT_EQ(w->jobs[1].tasks, 1);
  EXPECT_EQ(w->jobs[1].task.gpu_count, 6);
  EXPECT_EQ(w->jobs[0].origin, "c");
  // 10 units: 2 tasks x 5 GPUs, 60 cores each.
  EXPECT_EQ(w->jobs[2].tasks, 2);
  EXPECT_EQ(w->jobs[2].task.gpu_count, 5);
  EXPECT_EQ(w->jobs[2].task.cpu_milli, 60000);
  EXPECT_DOUBLE_EQ(w->arrival_s[2], 7200);
  EXPECT_DOUBLE_EQ(w->jobs[2].duration_s, 1800);
  // t3 is deferrable here: a 6 h start window, deadline 24 h after arrival plus the run.
  EXPECT_EQ(w->jobs[2].start_by_ms, (7200 + 6 * 3600) * 1000);
  EXPECT_EQ(*w->jobs[2].deadline_ms, (7200 + 1800 + 24 * 3600) * 1000);
}

// The fixed scenario: one job of 8 A100 (96 cores) for 2 h from sim time 0 (08:00 in China),
// tier t3 from city c. Carbon-aware placement puts it at k2-1; by hand:
//   IT power   8 x (60 + 0.7 x 340) + 96 x (2.025 + 0.5 x 4.725)   = 2384 + 421.2 = 2805.2 W
//   load       8 of the site's 16 GPUs in use                      = 0.5
//   PUE        1 + 0.03 / 0.5 + (1.2 - 1 - 0.03 / 0.65)             = 1.2138462
//   IT energy  2.8052 kW x 2 h                                      = 5.6104 kWh
//   facility   5.6104 x 1.2138462                                   = 6.8101575 kWh
//   carbon     6.8101575 x 0.2 (constant grid factor, no green)     = 1.3620315 kg
//   cost       6.8101575 x 0.4 x 1.5 (08:00-10:00 is peak)          = 4.0860945 CNY
TEST(GreenAccounting, AFixedScenarioMatchesAHandCalculation) {
  Network net = TwoClusters();
  auto w = GreenWorkload(Scenario(), net, {{0.0, 2.0, 8}});
  ASSERT_TRUE(w);
  auto r = Replay(net, *w, CostWeights{1, 1, 0.01, 0, 3600});
  ASSERT_TRUE(r) << r.error().message;
  const JobRecord& j = r->jobs[0];
  EXPECT_EQ(j.site, "k2-1");
  EXPECT_NEAR(j.it_kwh, 5.6104, 5.6104e-3);
  EXPECT_NEAR(j.facility_kwh, 6.8101575, 6.8101575e-3);
  EXPECT_NEAR(j.carbon_kg, 1.3620315, 1.3620315e-3);
  EXPECT_NEAR(j.cost_cny, 4.0860945, 4.0860945e-3);
  // Summed per site the same.
  EXPECT_NEAR(r->sites[1].energy.carbon_kg, 1.3620315, 1.3620315e-3);
  EXPECT_EQ(r->sites[0].energy.carbon_kg, 0);
  // Latency-only puts it at the near, dirty site: 3 times the grid factor.
  auto near = Replay(net, *w, CostWeights{1, 1, 1, 0, 0});
  ASSERT_TRUE(near);
  EXPECT_EQ(near->jobs[0].site, "k1-1");
  // PUE there: 1 + 0.06 + (0.25 - 0.046154) = 1.2638462
  EXPECT_NEAR(near->jobs[0].carbon_kg, 5.6104 * 1.2638462 * 0.6, 1e-3 * 5.6104 * 1.2638462 * 0.6);
}

TEST(GreenReport, SummarisesPerPolicy) {
  Network net = TwoClusters();
  auto w = GreenWorkload(Scenario(), net, {{0.0, 2.0, 8}, {0.5, 1.0, 8}, {1.0, 1.0, 16}});
  ASSERT_TRUE(w);
  auto r = Replay(net, *w, CostWeights{1, 1, 0.01, 0, 3600});
  ASSERT_TRUE(r);
  PolicyMetrics m = Summarise(PolicyOutcome{GreenPolicy{"carbon-aware", {}, false}, *r}, net, {});
  EXPECT_EQ(m.jobs, 3u);
  EXPECT_EQ(m.finished, 3u);
  EXPECT_DOUBLE_EQ(m.gpu_hours, 8 * 2 + 8 * 1 + 16 * 1);
  EXPECT_DOUBLE_EQ(m.tier_compliance, 1.0);
  EXPECT_NEAR(m.carbon_kg_per_gpu_hour, m.carbon_kg / 40, 1e-12);
  EXPECT_GT(m.carbon_kg, 0);
}

TEST(GreenScenarioFile, ErrorsNameTheFieldAndLine) {
  auto bad = ParseGreenScenario(
      "name: x\nnetwork: n.yaml\ntrace: t.csv\njobs:\n  tiers: {t1: 0.5, t2: 0.4, t3: 0.2}\n"
      "policies:\n  - {name: a, weights: {carbon: 1}}\n",
      "s.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("s.yaml:5"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("sum to 1.1"), std::string::npos) << bad.error().message;
  auto dup = ParseGreenScenario(
      "name: x\nnetwork: n.yaml\ntrace: t.csv\npolicies:\n  - {name: a, weights: {}}\n  - {name: a, weights: {}}\n",
      "s.yaml");
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("appears twice"), std::string::npos) << dup.error().message;
}

// The committed scenario parses and points at files that exist.
TEST(GreenScenarioFile, TheShippedScenarioLoads) {
  const std::string path = std::string(SW_SOURCE_DIR) + "/data/scenarios/green-gaia-pai.yaml";
  auto text = ReadTextFile(path);
  ASSERT_TRUE(text);
  auto s = ParseGreenScenario(*text, path);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->policies.size(), 3u);
  GreenRunOptions options;
  options.data_dir = std::string(SW_SOURCE_DIR) + "/data";
  options.max_jobs = 300;
  auto run = RunGreenScenario(*s, options);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->network.sites.size(), 23u);
  ASSERT_EQ(run->metrics.size(), 3u);
  for (const PolicyMetrics& m : run->metrics) {
    EXPECT_EQ(m.rejected, 0u) << m.policy;
    EXPECT_DOUBLE_EQ(m.tier_compliance, 1.0) << m.policy;
  }
  // Carbon-aware emits less per GPU-hour than latency-only on the same jobs.
  EXPECT_LT(run->metrics[2].carbon_kg_per_gpu_hour, run->metrics[0].carbon_kg_per_gpu_hour);
  // No policy goes below the carbon floor, which counts every job's GPU-hours.
  ASSERT_TRUE(run->floor) << run->floor_error;
  EXPECT_EQ(run->floor->jobs, run->workload.jobs.size());
  EXPECT_NEAR(run->floor->gpu_hours, run->metrics[0].gpu_hours, 1e-6 * run->floor->gpu_hours);
  for (const PolicyMetrics& m : run->metrics) {
    EXPECT_GE(m.carbon_kg_per_gpu_hour, run->floor->carbon_kg_per_gpu_hour) << m.policy;
  }
}

}  // namespace
}  // namespace suanwang
