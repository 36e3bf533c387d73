// A value per hour of a year (grid carbon intensity, outside temperature), read cyclically.
//
// Hours are UTC. A timestamp maps to its hour of the year (hours since 1 January 00:00 UTC of
// its own year); a series shorter than that hour repeats from its start. A simulation's time 0
// is 1970-01-01 00:00 UTC, i.e. 08:00 in China (UTC+8).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "common/time.h"

namespace suanwang {

// Hour of the year of `ms` (0..8783) in UTC.
int64_t HourOfYear(Timestamp ms);
// Local hour of the day (0..23) of `ms` at a fixed UTC offset.
int LocalHourOfDay(Timestamp ms, int utc_offset_h);

class HourlySeries {
 public:
  HourlySeries() : values_{0.0} {}
  static HourlySeries Constant(double value) { return HourlySeries(std::vector<double>{value}); }
  // Errors: kInvalidArgument for an empty list.
  static Result<HourlySeries> FromValues(std::vector<double> values, std::string label);

  // SYNTHETIC hourly carbon intensity for a grid without an hourly series (every mainland
  // China region): the annual mean reshaped by a day of solar generation.
  //
  //   s(h)  = solar_share * p(h) / mean(p)            solar share of generation in hour h
  //   p(h)  = max(0, sin(pi * (h_local - 6) / 12))    clear-sky shape, daylight 06:00-18:00
  //   CI(h) = annual * (1 - s(h)) / (1 - solar_share) the rest of the mix keeps its intensity
  //
  // so the yearly mean stays `annual` and midday is cleanest. 8760 hours; label "synthetic".
  // Errors: kInvalidArgument when solar_share is not in [0, 0.3] (p peaks at pi x its mean:
  // above ~0.3 midday would be more than all of the generation).
  static Result<HourlySeries> SyntheticSolar(double annual, double solar_share, int utc_offset_h);

  double At(Timestamp ms) const { return values_[static_cast<size_t>(HourOfYear(ms)) % values_.size()]; }
  double Mean() const;
  size_t size() const { return values_.size(); }
  const std::string& label() const { return label_; }  // "constant", "synthetic", a file name
  bool synthetic() const { return label_ == "synthetic"; }

 private:
  explicit HourlySeries(std::vector<double> values, std::string label = "constant")
      : values_(std::move(values)), label_(std::move(label)) {}
  std::vector<double> values_;
  std::string label_ = "constant";
};

}  // namespace suanwang
