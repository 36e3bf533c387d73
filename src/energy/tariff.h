// Time-of-use electricity prices: peak / flat / valley hours of the local day.
//
//   price(h) = flat_cny_per_kwh * multiplier(period(h_local))                   [CNY/kWh]
//
// Default periods (a common provincial pattern under NDRC's 2021 notice on improving
// time-of-use pricing, 发改价格〔2021〕1093号): valley 23:00-07:00, peak 08:00-11:00 and
// 18:00-23:00, flat otherwise; multipliers peak 1.5, valley 0.5 (a 3:1 peak-valley ratio,
// the notice's floor where the load gap is under 40 %). Each site may set its own.
#pragma once

#include <array>
#include <string>

#include "common/error.h"
#include "common/time.h"

namespace suanwang {

enum class TouPeriod : char { kValley = 'v', kFlat = 'f', kPeak = 'p' };

struct TouTariff {
  double flat_cny_per_kwh = 0;
  double peak_x = 1.5;
  double valley_x = 0.5;
  int utc_offset_h = 8;
  // Period of each local hour 0..23, as 24 letters v/f/p.
  std::string hours = "vvvvvvvfpppfffffffpppppv";

  // Errors: kInvalidArgument when `hours` is not 24 letters of v/f/p or a price is negative.
  Result<void> Validate() const;
  TouPeriod PeriodAt(Timestamp ms) const;
  double PriceAt(Timestamp ms) const;  // [CNY/kWh]
};

}  // namespace suanwang
