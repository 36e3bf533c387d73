#include "energy/site_energy.h"

#include <algorithm>

namespace suanwang {
namespace {

constexpr Timestamp kMsPerHour = 3'600'000;

Timestamp NextHour(Timestamp t) {
  const Timestamp floor = t / kMsPerHour - (t % kMsPerHour < 0 ? 1 : 0);
  return (floor + 1) * kMsPerHour;
}

// Cuts [start, end) at hour boundaries; `facility_factor(t)` gives F/IT for the hour of t.
template <typename Factor>
EnergyAccount Integrate(const SiteEnergy& site, double it_power_w, Timestamp start, Timestamp end,
                        Factor facility_factor) {
  EnergyAccount out;
  for (Timestamp t = start; t < end;) {
    const Timestamp next = std::min(end, NextHour(t));
    const double it_kwh = it_power_w * static_cast<double>(next - t) / kMsPerHour / 1000.0;
    const double facility_kwh = it_kwh * facility_factor(t);
    out.it_kwh += it_kwh;
    out.facility_kwh += facility_kwh;
    out.carbon_kg += facility_kwh * (1 - site.green_share) * site.carbon.At(t);
    out.cost_cny += facility_kwh * site.tariff.PriceAt(t);
    t = next;
  }
  return out;
}

}  // namespace

EnergyAccount Account(const SiteEnergy& site, double it_power_w, Timestamp start, Timestamp end, double load) {
  return Integrate(site, it_power_w, start, end,
                   [&](Timestamp t) { return site.pue.At(load, site.temperature.At(t)); });
}

EnergyAccount MarginalAccount(const SiteEnergy& site, double it_power_w, Timestamp start, Timestamp end) {
  return Integrate(site, it_power_w, start, end,
                   [&](Timestamp t) { return 1 + site.pue.Cooling(site.temperature.At(t)); });
}

}  // namespace suanwang
