#include "energy/tariff.h"

#include "energy/hourly_series.h"

namespace suanwang {

Result<void> TouTariff::Validate() const {
  if (hours.size() != 24 || hours.find_first_not_of("vfp") != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "hours '" + hours + "' is not 24 letters of v (valley), f (flat), p (peak)");
  }
  if (flat_cny_per_kwh < 0 || peak_x < 0 || valley_x < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "negative price or multiplier");
  }
  return {};
}

TouPeriod TouTariff::PeriodAt(Timestamp ms) const {
  return static_cast<TouPeriod>(hours[static_cast<size_t>(LocalHourOfDay(ms, utc_offset_h))]);
}

double TouTariff::PriceAt(Timestamp ms) const {
  switch (PeriodAt(ms)) {
    case TouPeriod::kPeak: return flat_cny_per_kwh * peak_x;
    case TouPeriod::kValley: return flat_cny_per_kwh * valley_x;
    case TouPeriod::kFlat: break;
  }
  return flat_cny_per_kwh;
}

}  // namespace suanwang
