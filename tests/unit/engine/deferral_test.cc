// The engine holds a deferrable job for a cleaner hour inside its start window, and only then.
#include <gtest/gtest.h>

#include "unit/engine/energy_engine.h"

namespace suanwang {
namespace {

constexpr Timestamp kHour = 3'600'000;

// One city and one cluster whose grid is 20 % solar: cleanest at noon China time (04:00 UTC).
constexpr char kSolarSite[] =
    "name: solar\n"
    "places:\n"
    "  - {id: c, kind: city, lat: 30, lon: 120}\n"
    "  - {id: k, kind: cluster, lat: 30.1, lon: 120.1, grid_kgco2_per_kwh: 0.6}\n"
    "rtt_ms:\n  - [c, k, 2]\n"
    "sites:\n"
    "  - id: k-1\n    place: k\n    pue: 1.2\n    energy: {price_cny_per_kwh: 0.5, solar_share: 0.2}\n    pools:\n"
    "      - {id: g, nodes: 8, cpu_cores: 128, memory_gib: 1024, gpus: 8, gpu_model: A100}\n";

struct Engine : testing::EnergyEngine {
  explicit Engine(CostWeights weights) : EnergyEngine(kSolarSite, weights) {}
};

// `tasks` tasks of `gpus` GPUs each.
JobSpec Job(JobId id, int tasks, int gpus, double hours, Timestamp start_by) {
  JobSpec j;
  j.id = id;
  j.tenant = "t";
  j.tasks = tasks;
  j.task.gpu_count = gpus;
  j.task.gpu_milli = 1000;
  j.task.cpu_milli = 12000 * gpus;
  j.task.memory_mib = 1024;
  j.tier = Tier::kT3;
  j.origin = "c";
  j.duration_s = hours * 3600;
  j.start_by_ms = start_by;
  return j;
}

// 64 GPUs for 2 h: about 37 kg CO2e if started at 06:00 China time, 15 kg around noon; at
// 1 kg = 1 h of waiting (3,600 per kg, 1 per second) the wait pays.
TEST(Deferral, ABigJobWaitsForTheCleanestHourInsideItsWindow) {
  Engine e(CostWeights{1, 1, 0.01, 0, 3600});
  // Submitted at 22:00 UTC (06:00 China) with 12 h to start: noon China time is 04:00 UTC.
  const Timestamp now = 22 * kHour;
  auto c = e.scheduler->Apply(SubmitJob{Job(1, 8, 8, 2, now + 12 * kHour)}, now);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].kind, CommandKind::kQueue);
  ASSERT_TRUE((*c)[0].wake_ms);
  // The two-hour run is cleanest centred on noon: 03:00-05:00 UTC.
  EXPECT_EQ(*(*c)[0].wake_ms, 27 * kHour) << (*c)[0].reason;
  EXPECT_NE((*c)[0].reason.find("deferred 5.0 h"), std::string::npos) << (*c)[0].reason;
  EXPECT_EQ(e.scheduler->deferred(), 1u);
  // Nothing happens before its hour; then it starts.
  auto early = e.scheduler->Apply(Wake{}, 26 * kHour);
  ASSERT_TRUE(early);
  EXPECT_TRUE(early->empty());
  auto woke = e.scheduler->Apply(Wake{}, 27 * kHour);
  ASSERT_TRUE(woke);
  ASSERT_EQ(woke->size(), 1u);
  EXPECT_EQ((*woke)[0].kind, CommandKind::kStart);
  EXPECT_EQ(e.scheduler->deferred(), 0u);
}

TEST(Deferral, NeverPastTheWindowAndNotForAFewGrams) {
  Engine e(CostWeights{1, 1, 0.01, 0, 3600});
  const Timestamp now = 22 * kHour;
  // A 2-hour window: the best it can do is 00:00 UTC (08:00 China).
  auto c = e.scheduler->Apply(SubmitJob{Job(1, 8, 8, 2, now + 2 * kHour)}, now);
  ASSERT_TRUE(c);
  ASSERT_TRUE((*c)[0].wake_ms);
  EXPECT_LE(*(*c)[0].wake_ms, now + 2 * kHour);
  // A small, short job saves grams: an hour of waiting costs more than that.
  auto small = e.scheduler->Apply(SubmitJob{Job(2, 1, 1, 0.1, now + 12 * kHour)}, now);
  ASSERT_TRUE(small);
  EXPECT_EQ((*small)[0].kind, CommandKind::kStart) << (*small)[0].reason;
  // Without an energy weight nothing is deferred.
  Engine latency(CostWeights{1, 1, 1, 0, 0});
  auto l = latency.scheduler->Apply(SubmitJob{Job(1, 8, 8, 2, now + 12 * kHour)}, now);
  ASSERT_TRUE(l);
  EXPECT_EQ((*l)[0].kind, CommandKind::kStart);
}

TEST(Deferral, ADeferredJobCanBeCancelledAndItsIdIsTaken) {
  Engine e(CostWeights{1, 1, 0.01, 0, 3600});
  const Timestamp now = 22 * kHour;
  ASSERT_TRUE(e.scheduler->Apply(SubmitJob{Job(1, 8, 8, 2, now + 12 * kHour)}, now));
  auto dup = e.scheduler->Apply(SubmitJob{Job(1, 8, 8, 2, now + 12 * kHour)}, now);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(e.scheduler->Apply(CancelJob{1}, now + kHour));
  EXPECT_EQ(e.scheduler->deferred(), 0u);
  auto woke = e.scheduler->Apply(Wake{}, 30 * kHour);
  ASSERT_TRUE(woke);
  EXPECT_TRUE(woke->empty());
}

}  // namespace
}  // namespace suanwang
