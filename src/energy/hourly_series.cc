#include "energy/hourly_series.h"

#include <cmath>
#include <numbers>


namespace suanwang {
namespace {

constexpr int64_t kMsPerHour = 3'600'000;

// Days from 1970-01-01 to y-01-01 (proleptic Gregorian).
int64_t DaysToYear(int64_t y) {
  const int64_t y1 = y - 1;
  return 365 * (y - 1970) + (y1 / 4 - 1969 / 4) - (y1 / 100 - 1969 / 100) + (y1 / 400 - 1969 / 400);
}

}  // namespace

int64_t HourOfYear(Timestamp ms) {
  const int64_t hours = ms >= 0 ? ms / kMsPerHour : -((-ms + kMsPerHour - 1) / kMsPerHour);
  const int64_t days = hours >= 0 ? hours / 24 : -((-hours + 23) / 24);
  int64_t year = 1970 + days / 366;
  while (DaysToYear(year + 1) <= days) ++year;
  while (DaysToYear(year) > days) --year;
  return hours - DaysToYear(year) * 24;
}

int LocalHourOfDay(Timestamp ms, int utc_offset_h) {
  const int64_t hours = ms >= 0 ? ms / kMsPerHour : -((-ms + kMsPerHour - 1) / kMsPerHour);
  return static_cast<int>(((hours + utc_offset_h) % 24 + 24) % 24);
}

Result<HourlySeries> HourlySeries::FromValues(std::vector<double> values, std::string label) {
  if (values.empty()) return MakeError(ErrorCode::kInvalidArgument, label + ": no values");
  return HourlySeries(std::move(values), std::move(label));
}

Result<HourlySeries> HourlySeries::SyntheticSolar(double annual, double solar_share, int utc_offset_h) {
  if (!(solar_share >= 0 && solar_share <= 0.3)) {
    return MakeError(ErrorCode::kInvalidArgument, "solar share " + std::to_string(solar_share) + " is not in 0..0.3");
  }
  if (annual < 0) return MakeError(ErrorCode::kInvalidArgument, "negative annual intensity");
  double p[24], mean = 0;
  for (int h = 0; h < 24; ++h) {
    p[h] = std::max(0.0, std::sin(std::numbers::pi * (h - 6) / 12.0));
    mean += p[h] / 24;
  }
  std::vector<double> values(8760);
  for (size_t i = 0; i < values.size(); ++i) {
    const int local = static_cast<int>((static_cast<int64_t>(i) + utc_offset_h) % 24 + 24) % 24;
    const double s = solar_share * p[local] / mean;
    values[i] = annual * (1 - s) / (1 - solar_share);
  }
  return HourlySeries(std::move(values), "synthetic");
}

double HourlySeries::Mean() const {
  double sum = 0;
  for (double v : values_) sum += v;
  return sum / static_cast<double>(values_.size());
}

}  // namespace suanwang
