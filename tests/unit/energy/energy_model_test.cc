// The energy model against hand calculations: every expected value below is worked out from
// the formulas in the headers with the literal numbers of the scenario, not by calling them.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "energy/energy_model.h"
#include "engine/network/cost_model.h"
#include "model/network_yaml.h"
#include "sim/energy_files.h"
#include "sim/files.h"

namespace suanwang {
namespace {

constexpr double kHour = 3'600'000;

PowerCatalog Catalog() {
  auto text = ReadTextFile(std::string(SW_SOURCE_DIR) + "/data/catalogs/power.yaml");
  EXPECT_TRUE(text.has_value());
  auto c = PowerCatalog::Parse(*text, "power.yaml");
  EXPECT_TRUE(c.has_value()) << c.error().message;
  return *c;
}

TEST(PowerModel, LinearBetweenIdleAndFullPerDevice) {
  const DevicePower gpu{60, 400};
  const DevicePower core{2.025, 6.75};
  TaskShape task{8000, 1024, 2, 1000};
  // 2 x (60 + 0.5 x 340) + 8 x (2.025 + 0.25 x 4.725) = 460 + 25.65
  EXPECT_NEAR(TaskItPowerW(task, gpu, core, {0.5, 0.25}), 485.65, 1e-9);
  // A GPU share counts its fraction: 0.25 GPU.
  TaskShape share{1000, 1024, 1, 250};
  EXPECT_NEAR(TaskItPowerW(share, gpu, core, {1, 0}), 0.25 * 400 + 2.025, 1e-9);
  // Utilisation is clamped to 0..1.
  EXPECT_DOUBLE_EQ(gpu.At(1.7), 400);
  EXPECT_DOUBLE_EQ(gpu.At(-1), 60);
}

TEST(PueModel, CalibratedToTheDesignPueAtTheReferencePoint) {
  const PowerCatalog c = Catalog();
  for (double design : {1.2, 1.25, 1.42}) {
    auto air = PueModel::Calibrate({design, c.reference_load, 15, c.fixed_fraction, c.air});
    ASSERT_TRUE(air.has_value());
    EXPECT_NEAR(air->At(c.reference_load, 15), design, 1e-12);
    auto liquid = PueModel::Calibrate({design, c.reference_load, 26, c.fixed_fraction, c.liquid});
    ASSERT_TRUE(liquid.has_value());
    EXPECT_NEAR(liquid->At(c.reference_load, 26), design, 1e-12);
    // Hotter is worse for air than for liquid; lighter load is worse for both.
    EXPECT_GT(air->At(c.reference_load, 30) - design, liquid->At(c.reference_load, 36) - design);
    EXPECT_GT(air->At(0.3, 15), design);
  }
  // 1 + 0.03 / 0.65 = 1.046: a design PUE under that cannot be met.
  auto low = PueModel::Calibrate({1.04, 0.65, 15, 0.03, c.air});
  ASSERT_FALSE(low.has_value());
  EXPECT_NE(low.error().message.find("1.046"), std::string::npos) << low.error().message;
}

TEST(HourlySeries, SyntheticSolarKeepsTheAnnualMeanAndIsCleanestAtNoon) {
  auto s = HourlySeries::SyntheticSolar(0.5857, 0.12, 8);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->label(), "synthetic");
  EXPECT_NEAR(s->Mean(), 0.5857, 1e-9);
  // 04:00 UTC is 12:00 in China.
  const double noon = s->At(static_cast<Timestamp>(4 * kHour));
  const double midnight = s->At(static_cast<Timestamp>(16 * kHour));
  EXPECT_LT(noon, midnight);
  EXPECT_NEAR(midnight, 0.5857 / 0.88, 1e-9);  // no sun: the rest of the mix alone
  EXPECT_FALSE(HourlySeries::SyntheticSolar(0.5, 0.4, 8).has_value());
}

TEST(HourlySeries, HourOfYearFollowsTheCalendar) {
  EXPECT_EQ(HourOfYear(0), 0);
  EXPECT_EQ(HourOfYear(static_cast<Timestamp>(8760 * kHour)), 0);      // 1971-01-01
  EXPECT_EQ(HourOfYear(1704067200000 + 5 * 3600000), 5);               // 2024-01-01 05:00 UTC
  EXPECT_EQ(HourOfYear(1735689600000 - 3600000), 8783);                // 2024-12-31 23:00 (leap)
  EXPECT_EQ(LocalHourOfDay(static_cast<Timestamp>(2.5 * kHour), 8), 10);
}

TEST(HourlySeries, ReadsAnElectricityMapsExport) {
  auto es = ReadElectricityMapsCsv(std::string(SW_SOURCE_DIR) +
                                                 "/tests/data/em_two_hours.csv");
  ASSERT_TRUE(es.has_value()) << es.error().message;
  EXPECT_EQ(es->size(), 2u);
  EXPECT_DOUBLE_EQ(es->At(0), 0.13364);
  EXPECT_DOUBLE_EQ(es->At(static_cast<Timestamp>(kHour)), 0.1391);
  auto missing = ReadElectricityMapsCsv("/nonexistent.csv");
  EXPECT_FALSE(missing.has_value());
}

TEST(Tariff, TimeOfUsePeriodsFollowTheLocalHour) {
  TouTariff t;
  t.flat_cny_per_kwh = 0.6;
  ASSERT_TRUE(t.Validate().has_value());
  EXPECT_DOUBLE_EQ(t.PriceAt(static_cast<Timestamp>(2.5 * kHour)), 0.9);   // 10:30 local: peak
  EXPECT_DOUBLE_EQ(t.PriceAt(static_cast<Timestamp>(3.5 * kHour)), 0.6);   // 11:30: flat
  EXPECT_DOUBLE_EQ(t.PriceAt(static_cast<Timestamp>(17 * kHour)), 0.3);    // 01:00: valley
  t.hours = "vvv";
  EXPECT_FALSE(t.Validate().has_value());
}

// The fixed scenario: a job of 2 tasks x (2 A100 at 50 %, 8 cores at 25 %), 10:30-12:00 China
// time, at a site with design PUE 1.25 (air), 20 C outside, IT load 0.5, green share 0.2,
// flat price 0.6 CNY/kWh, synthetic carbon (annual 0.5857, solar share 0.1).
TEST(Accounting, MatchesAHandCalculation) {
  SiteEnergy site;
  const PowerCatalog c = Catalog();
  site.pue = *PueModel::Calibrate({1.25, 0.65, 15, 0.03, c.air});
  site.temperature = HourlySeries::Constant(20);
  site.green_share = 0.2;
  site.tariff.flat_cny_per_kwh = 0.6;
  site.carbon = *HourlySeries::SyntheticSolar(0.5857, 0.1, 8);

  // By hand.
  const double p_it = 2 * (2 * (60 + 0.5 * 340) + 8 * (2.025 + 0.25 * (6.75 - 2.025)));  // 971.3 W
  const double c0 = 0.25 - 0.03 / 0.65;                    // cooling share at <= 15 C
  const double pue = 1 + 0.03 / 0.5 + c0 + 0.012 * 5;      // at load 0.5, 20 C: 1.32385
  const double mean_p = 1 / std::tan(M_PI / 24) / 24;      // mean of the clear-sky shape
  const double ci10 = 0.5857 * (1 - 0.1 * std::sin(M_PI * 4 / 12) / mean_p) / 0.9;  // 10:00-11:00
  const double ci11 = 0.5857 * (1 - 0.1 * std::sin(M_PI * 5 / 12) / mean_p) / 0.9;  // 11:00-12:00
  const double it1 = p_it * 0.5 / 1000, it2 = p_it * 1.0 / 1000;
  const double f1 = it1 * pue, f2 = it2 * pue;
  const double carbon = f1 * 0.8 * ci10 + f2 * 0.8 * ci11;
  const double cost = f1 * 0.6 * 1.5 + f2 * 0.6;  // 10:30-11:00 peak, 11:00-12:00 flat

  TaskShape task{8000, 1024, 2, 1000};
  const DevicePower a100{0.15 * 400, 400};
  const double p = 2 * TaskItPowerW(task, a100, c.cpu_core, {0.5, 0.25});
  EXPECT_NEAR(p, p_it, 1e-9);
  const EnergyAccount a = Account(site, p, static_cast<Timestamp>(2.5 * kHour), static_cast<Timestamp>(4 * kHour), 0.5);
  EXPECT_NEAR(a.it_kwh, it1 + it2, 1e-3 * (it1 + it2));
  EXPECT_NEAR(a.facility_kwh, f1 + f2, 1e-3 * (f1 + f2));
  EXPECT_NEAR(a.carbon_kg, carbon, 1e-3 * carbon);
  EXPECT_NEAR(a.cost_cny, cost, 1e-3 * cost);
  // The same numbers written out: 1.45695 kWh IT, 1.92877 kWh facility.
  EXPECT_NEAR(a.it_kwh, 1.45695, 1e-5);
  EXPECT_NEAR(a.facility_kwh, 1.45695 * 1.3238462, 1e-5);

  // Marginal: no share of the fixed overhead.
  const EnergyAccount m = MarginalAccount(site, p, static_cast<Timestamp>(2.5 * kHour), static_cast<Timestamp>(4 * kHour));
  EXPECT_NEAR(m.facility_kwh, (it1 + it2) * (1 + c0 + 0.06), 1e-9);
}

TEST(CostWeights, ParsesNamedWeightsAndNamesWhatIsWrong) {
  auto w = ParseCostWeights("carbon=3600,latency=0.01");
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_DOUBLE_EQ(w->carbon, 3600);
  EXPECT_DOUBLE_EQ(w->latency, 0.01);
  EXPECT_DOUBLE_EQ(w->wait, 1);  // the default
  EXPECT_EQ(ParseCostWeights("carbn=1").error().message,
            "weight 'carbn' is not one of wait, transfer, latency, money, carbon");
  EXPECT_EQ(ParseCostWeights("carbon=-1").error().message, "weight 'carbon': '-1' is not a non-negative number");
  EXPECT_EQ(ParseCostWeights("carbon").error().message, "weight 'carbon': expected NAME=VALUE");
  EXPECT_TRUE(ParseCostWeights("").has_value());
}

}  // namespace
}  // namespace suanwang
