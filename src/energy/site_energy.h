// Energy, carbon and cost of IT work at a site, hour by hour.
//
// Accounting (what a job is billed and reported), for each piece i of [start, end) cut at
// hour boundaries, dt_i hours long, in hour h_i:
//
//   IT_i  = P_it * dt_i / 1000                                   IT energy        [kWh]
//   F_i   = IT_i * PUE(L, T(h_i))                                facility energy  [kWh]
//   C_i   = F_i * (1 - g) * CI(h_i)                              carbon           [kg CO2e]
//   $_i   = F_i * price(h_i)                                     energy cost      [CNY]
//
//   P_it   the task's IT power [W] (energy/power_model.h)
//   L      the site's IT load share while it runs (PUE's fixed overhead is shared by it)
//   T      outside temperature [deg C];  CI grid carbon intensity [kg CO2e/kWh]
//   g      the site's contracted green-power share (0..1): that part of its electricity is
//          bought as green power and carries no emissions; the rest comes from the grid
//
// Placement uses the marginal figure instead: one more job does not add to the fixed
// overhead, so its facility energy is IT_i * (1 + c(T(h_i))) (energy/pue_model.h).
#pragma once

#include "common/time.h"
#include "energy/hourly_series.h"
#include "energy/pue_model.h"
#include "energy/tariff.h"

namespace suanwang {

struct SiteEnergy {
  PueModel pue;
  Cooling cooling = Cooling::kAir;
  HourlySeries carbon;        // kg CO2e per kWh of grid power
  HourlySeries temperature = HourlySeries::Constant(15);  // deg C
  double green_share = 0;     // 0..1
  TouTariff tariff;
  double cooling_capacity_kw = 0;  // heat the site can remove; 0: not limited
};

struct EnergyAccount {
  double it_kwh = 0;
  double facility_kwh = 0;
  double carbon_kg = 0;
  double cost_cny = 0;
  EnergyAccount& operator+=(const EnergyAccount& o) {
    it_kwh += o.it_kwh;
    facility_kwh += o.facility_kwh;
    carbon_kg += o.carbon_kg;
    cost_cny += o.cost_cny;
    return *this;
  }
};

// Attributional account of IT power `it_power_w` over [start, end) at a site at IT load `load`.
// An empty or reversed interval accounts nothing.
EnergyAccount Account(const SiteEnergy& site, double it_power_w, Timestamp start, Timestamp end, double load);

// The marginal account of the same work (facility factor 1 + c(T) in place of PUE).
EnergyAccount MarginalAccount(const SiteEnergy& site, double it_power_w, Timestamp start, Timestamp end);

}  // namespace suanwang
