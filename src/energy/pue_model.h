// Facility power through PUE, as a function of IT load, outside temperature and cooling type.
//
//   PUE(L, T) = 1 + f / L + c(T)                                                    [-]
//   c(T)      = c0 + k * max(0, T - T_free)
//
//   L       IT load as a share of the site's IT capacity, 0..1 (clamped to >= 0.05)
//   f       fixed overhead (transformer/UPS no-load losses, lighting) as a share of the IT
//           capacity's power: it is paid whether or not the halls are busy, so per unit of IT
//           energy it falls as the load rises
//   c(T)    cooling energy per unit of IT energy: c0 with free cooling, rising by k per degree
//           of outside temperature above the free-cooling limit T_free (air: low limit,
//           steeper; liquid/warm water: high limit, flatter)
//   T       outside dry-bulb temperature [deg C]
//
// Calibration: c0 is solved so that PUE(L_ref, T_ref) equals the site's design PUE (the policy
// cap for hub clusters, 1.25 east / 1.2 west; the national average, 1.42 in 2025, elsewhere).
// f, k, T_free and L_ref are in data/catalogs/power.yaml with their reasoning.
#pragma once

#include <string>

#include "common/error.h"

namespace suanwang {

enum class Cooling { kAir, kLiquid };
Result<Cooling> ParseCooling(const std::string& text);  // "air" | "liquid"
const char* CoolingName(Cooling cooling);

struct CoolingCurve {
  double free_below_c = 10;  // T_free [deg C]
  double per_degree = 0.01;  // k [1/deg C]
};

struct PueParams {
  double design_pue = 1.25;       // PUE at the reference point
  double reference_load = 0.65;   // L_ref
  double reference_temp_c = 15;   // T_ref: the site's annual mean temperature
  double fixed_fraction = 0.03;   // f
  CoolingCurve cooling;
};

class PueModel {
 public:
  // Errors: kInvalidArgument when the design PUE is below 1, the reference load is not in
  // (0, 1], or the design PUE is too low to leave a non-negative c0 ("design PUE 1.05 is below
  // the 1.096 the fixed overhead and cooling curve need at the reference point").
  static Result<PueModel> Calibrate(const PueParams& params);

  double At(double load, double temp_c) const;        // PUE(L, T)
  double Cooling(double temp_c) const;                 // c(T)
  double fixed_fraction() const { return f_; }
  double c0() const { return c0_; }

 private:
  double f_ = 0, c0_ = 0;
  CoolingCurve curve_;
};

}  // namespace suanwang
