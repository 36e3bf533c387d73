#include "energy/pue_model.h"

#include <algorithm>
#include <cstdio>

namespace suanwang {

Result<Cooling> ParseCooling(const std::string& text) {
  if (text == "air") return Cooling::kAir;
  if (text == "liquid") return Cooling::kLiquid;
  return MakeError(ErrorCode::kInvalidArgument, "'" + text + "' is not air or liquid");
}

const char* CoolingName(Cooling cooling) { return cooling == Cooling::kAir ? "air" : "liquid"; }

Result<PueModel> PueModel::Calibrate(const PueParams& p) {
  if (p.design_pue < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "design PUE " + std::to_string(p.design_pue) + " is below 1");
  }
  if (!(p.reference_load > 0 && p.reference_load <= 1)) {
    return MakeError(ErrorCode::kInvalidArgument, "reference load " + std::to_string(p.reference_load) + " is not in (0, 1]");
  }
  PueModel m;
  m.f_ = p.fixed_fraction;
  m.curve_ = p.cooling;
  const double floor = 1 + p.fixed_fraction / p.reference_load +
                       p.cooling.per_degree * std::max(0.0, p.reference_temp_c - p.cooling.free_below_c);
  if (p.design_pue < floor) {
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "design PUE %.3f is below the %.3f the fixed overhead and cooling curve need at the reference point",
                  p.design_pue, floor);
    return MakeError(ErrorCode::kInvalidArgument, buf);
  }
  m.c0_ = p.design_pue - floor;
  return m;
}

double PueModel::Cooling(double temp_c) const {
  return c0_ + curve_.per_degree * std::max(0.0, temp_c - curve_.free_below_c);
}

double PueModel::At(double load, double temp_c) const {
  return 1 + f_ / std::clamp(load, 0.05, 1.0) + Cooling(temp_c);
}

}  // namespace suanwang
