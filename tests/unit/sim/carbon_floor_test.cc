// The carbon floor against hand-solved cases: which work the optimum puts where, in which
// hours, and what it emits; and the errors it names.
#include "sim/carbon_floor.h"

#include <gtest/gtest.h>

#include <cmath>

#include "model/network_yaml.h"
#include "sim/energy_files.h"

namespace suanwang {
namespace {

constexpr Timestamp kHourMs = 3'600'000;

// A city and two clusters of 16 A100 each: k1 2 ms away (grid 0.6, design PUE 1.25), k2 12 ms
// away (grid 0.2, design PUE 1.2). A t2 job (5 ms) can only use k1; t3 (20 ms) both.
std::string TwoClusters(double k2_solar_share) {
  return "name: two\n"
         "places:\n"
         "  - {id: c, kind: city, lat: 30, lon: 120}\n"
         "  - {id: k1, kind: cluster, lat: 30.1, lon: 120.1, grid_kgco2_per_kwh: 0.6}\n"
         "  - {id: k2, kind: cluster, lat: 33, lon: 118, grid_kgco2_per_kwh: 0.2}\n"
         "rtt_ms:\n  - [c, k1, 2]\n  - [c, k2, 12]\n  - [k1, k2, 11]\n"
         "sites:\n"
         "  - id: k1-1\n    place: k1\n    pue: 1.25\n    pools:\n"
         "      - {id: g, nodes: 2, cpu_cores: 128, memory_gib: 1024, gpus: 8, gpu_model: A100}\n"
         "  - id: k2-1\n    place: k2\n    pue: 1.2\n    energy: {solar_share: " +
         std::to_string(k2_solar_share) +
         "}\n    pools:\n"
         "      - {id: g, nodes: 2, cpu_cores: 128, memory_gib: 1024, gpus: 8, gpu_model: A100}\n";
}

struct Fixture {
  Network network;
  EnergyModel energy;
};

Fixture Load(double k2_solar_share = 0) {
  auto net = ParseNetworkYaml(TwoClusters(k2_solar_share), "two.yaml");
  EXPECT_TRUE(net) << net.error().message;
  auto energy = LoadEnergyModel(*net, std::string(SW_SOURCE_DIR) + "/data");
  EXPECT_TRUE(energy) << energy.error().message;
  return {std::move(*net), std::move(*energy)};
}

// A job of `gpus` A100 in tasks of 8 with 12 cores each per GPU, `hours` long.
JobSpec Job(const std::string& name, Tier tier, int gpus, double hours) {
  JobSpec j;
  j.name = name;
  j.tier = tier;
  j.origin = "c";
  j.tasks = gpus / 8;
  j.task.gpu_count = 8;
  j.task.gpu_milli = 1000;
  j.task.cpu_milli = 96'000;
  j.task.memory_mib = 8 * 96 * 1024;
  j.duration_s = hours * 3600;
  return j;
}

Workload Work(std::vector<JobSpec> jobs) {
  Workload w;
  w.jobs = std::move(jobs);
  w.arrival_s.assign(w.jobs.size(), 0);
  return w;
}

// IT power per GPU at the power catalogue's defaults (GPU 70 %, cores 50 %): an A100 idles at
// 15 % of its 400 W TDP, a core between 2.025 and 6.75 W: (60 + 0.7 * 340) + 12 * (2.025 +
// 0.5 * 4.725) = 298 + 52.65 W.
constexpr double kKwhPerGpuHour = (298 + 52.65) / 1000;
// PUE at full load and 15 C (air cooling is free up to there): 1 + f + c0 with c0 = design - 1
// - f / 0.65 and f = 0.03.
constexpr double kPueK1 = 1.25 - 0.03 / 0.65 + 0.03;
constexpr double kPueK2 = 1.2 - 0.03 / 0.65 + 0.03;

TEST(CarbonFloor, FillsTheCleanSiteWithWhatMayGoThereAndTheRestWhereItMust) {
  Fixture f = Load();
  GpuModelTable models;
  // 200 GPU-hours of t3 work and 80 of t2 work over 10 hours; each site holds 160 GPU-hours.
  std::vector<JobSpec> jobs{Job("a", Tier::kT3, 8, 10), Job("b", Tier::kT3, 16, 5), Job("c", Tier::kT2, 8, 10),
                            Job("d", Tier::kT3, 8, 5), Job("e", Tier::kT1, 8, 1)};
  auto floor = SolveCarbonFloor(f.network, f.energy, Work(jobs), models, {0, 10 * kHourMs, 24, 0});
  ASSERT_TRUE(floor) << floor.error().message;
  // By hand: k2 (clean) takes 160 GPU-h of the t3 work; k1 the other 40 and the t2 job's 80.
  // The t1 job has no site within 1 ms: left out.
  EXPECT_EQ(floor->jobs, 4u);
  EXPECT_EQ(floor->jobs_without_site, 1u);
  EXPECT_DOUBLE_EQ(floor->gpu_hours, 280);
  EXPECT_NEAR(floor->site_gpu_hours[1], 160, 1e-6);
  EXPECT_NEAR(floor->site_gpu_hours[0], 120, 1e-6);
  EXPECT_NEAR(floor->site_capacity_gpu_hours[0], 160, 1e-9);
  const double carbon = kKwhPerGpuHour * (160 * kPueK2 * 0.2 + 120 * kPueK1 * 0.6);  // 53.228... kg
  EXPECT_NEAR(floor->carbon_kg, carbon, 1e-3 * carbon);
  EXPECT_NEAR(floor->carbon_kg_per_gpu_hour, carbon / 280, 1e-3 * carbon / 280);
  EXPECT_NEAR(floor->site_carbon_kg[1], kKwhPerGpuHour * 160 * kPueK2 * 0.2, 1e-6);
}

TEST(CarbonFloor, TakesTheCleanestHoursOfADay) {
  // k2's grid has a synthetic solar day (share 0.1): 11 daylight hours are cleaner than the
  // 13 others. 16 GPUs x 11 h of t3 work over one day all fit k2 in its daylight hours.
  Fixture f = Load(0.1);
  GpuModelTable models;
  std::vector<JobSpec> jobs{Job("a", Tier::kT3, 16, 11)};
  auto floor = SolveCarbonFloor(f.network, f.energy, Work(jobs), models, {0, 24 * kHourMs, 24, 0});
  ASSERT_TRUE(floor) << floor.error().message;
  // By hand: CI(h) = 0.2 * (1 - 0.1 * sin(pi (h - 6) / 12) / mean_p) / 0.9 for local hours
  // 7..17, mean_p the day's mean of the clear-sky shape.
  const double mean_p = 1 / std::tan(M_PI / 24) / 24;
  double sum_ci = 0;
  for (int h = 7; h <= 17; ++h) sum_ci += 0.2 * (1 - 0.1 * std::sin(M_PI * (h - 6) / 12) / mean_p) / 0.9;
  const double carbon = kKwhPerGpuHour * 16 * kPueK2 * sum_ci;
  EXPECT_NEAR(floor->site_gpu_hours[1], 176, 1e-6);
  EXPECT_NEAR(floor->carbon_kg, carbon, 1e-3 * carbon);
  // Against the day's mean intensity (0.2) it is cleaner.
  EXPECT_LT(floor->carbon_kg_per_gpu_hour, kKwhPerGpuHour * kPueK2 * 0.2);
}

TEST(CarbonFloor, FewerBinsCountEachAtItsCleanestHour) {
  // One bin per site: all of k2's day counts at its cleanest hour, which can only lower the
  // floor (it stays a lower bound).
  Fixture f = Load(0.1);
  GpuModelTable models;
  std::vector<JobSpec> jobs{Job("a", Tier::kT3, 16, 11)};
  auto fine = SolveCarbonFloor(f.network, f.energy, Work(jobs), models, {0, 24 * kHourMs, 24, 0});
  auto coarse = SolveCarbonFloor(f.network, f.energy, Work(jobs), models, {0, 24 * kHourMs, 1, 0});
  ASSERT_TRUE(fine && coarse);
  const double noon = 0.2 * (1 - 0.1 / (1 / std::tan(M_PI / 24) / 24)) / 0.9;
  EXPECT_NEAR(coarse->carbon_kg, kKwhPerGpuHour * 176 * kPueK2 * noon, 1e-6);
  EXPECT_LT(coarse->carbon_kg, fine->carbon_kg);
}

// With daily periods, work cannot use a period before the one it arrives in, nor one after
// its deadline's; work without a deadline may be held over to later periods.
TEST(CarbonFloor, PeriodsKeepWorkBetweenItsArrivalAndItsDeadline) {
  Fixture f = Load();
  GpuModelTable models;
  const CarbonFloorOptions daily{0, 48 * kHourMs, 24, 24};
  const CarbonFloorOptions whole{0, 48 * kHourMs, 24, 0};
  const double clean = kKwhPerGpuHour * kPueK2 * 0.2, dirty = kKwhPerGpuHour * kPueK1 * 0.6;  // per GPU-h

  // Two day-long 16-GPU jobs arriving on the second day: k2 holds one day of 16 GPUs then.
  Workload late = Work({Job("z1", Tier::kT3, 16, 24), Job("z2", Tier::kT3, 16, 24)});
  late.arrival_s = {30 * 3600.0, 30 * 3600.0};
  auto any_hour = SolveCarbonFloor(f.network, f.energy, late, models, whole);
  auto in_order = SolveCarbonFloor(f.network, f.energy, late, models, daily);
  ASSERT_TRUE(any_hour && in_order);
  EXPECT_NEAR(any_hour->carbon_kg, 768 * clean, 1e-6);
  EXPECT_NEAR(in_order->carbon_kg, 384 * clean + 384 * dirty, 1e-6);
  EXPECT_EQ(in_order->periods, 2u);

  // Two arriving at once on the first day: one must end that day (deadline); the other may be
  // held to the second day's clean capacity, unless it has the same deadline.
  JobSpec w = Job("w", Tier::kT3, 16, 24);
  w.deadline_ms = 24 * kHourMs;
  JobSpec v = Job("v", Tier::kT3, 16, 24);
  auto held = SolveCarbonFloor(f.network, f.energy, Work({w, v}), models, daily);
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_NEAR(held->carbon_kg, 768 * clean, 1e-6);
  v.deadline_ms = 24 * kHourMs;
  auto both_due = SolveCarbonFloor(f.network, f.energy, Work({w, v}), models, daily);
  ASSERT_TRUE(both_due) << both_due.error().message;
  EXPECT_NEAR(both_due->carbon_kg, 384 * clean + 384 * dirty, 1e-6);
}

TEST(CarbonFloor, NamesWhatItCannotSolve) {
  Fixture f = Load();
  GpuModelTable models;
  auto empty = SolveCarbonFloor(f.network, f.energy, Work({Job("a", Tier::kT3, 8, 1)}), models, {5, 5, 24, 0});
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("is empty"), std::string::npos) << empty.error().message;
  JobSpec cpu = Job("cpu-only", Tier::kT3, 8, 1);
  cpu.task.gpu_count = 0;
  cpu.task.gpu_milli = 0;
  auto no_gpu = SolveCarbonFloor(f.network, f.energy, Work({cpu}), models, {0, kHourMs, 24, 0});
  ASSERT_FALSE(no_gpu);
  EXPECT_NE(no_gpu.error().message.find("job 'cpu-only' has no GPUs"), std::string::npos) << no_gpu.error().message;
  // 400 GPU-hours cannot fit 2 x 16 GPUs over 10 hours.
  auto full = SolveCarbonFloor(f.network, f.energy, Work({Job("big", Tier::kT3, 16, 25)}), models, {0, 10 * kHourMs, 24, 0});
  ASSERT_FALSE(full);
  EXPECT_NE(full.error().message.find("do not fit"), std::string::npos) << full.error().message;
  // 240 GPU-hours of t2 work fit the network but not k1, the one site within 5 ms.
  auto tier = SolveCarbonFloor(f.network, f.energy, Work({Job("near", Tier::kT2, 16, 15)}), models, {0, 10 * kHourMs, 24, 0});
  ASSERT_FALSE(tier);
  EXPECT_NE(tier.error().message.find("sites they may use"), std::string::npos) << tier.error().message;
}

}  // namespace
}  // namespace suanwang
