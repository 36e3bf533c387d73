#include "server/energy_report.h"

#include <map>

#include <nlohmann/json.hpp>

namespace suanwang {
namespace {

struct Totals {
  uint64_t tasks = 0;
  double gpu_hours = 0, it_kwh = 0, facility_kwh = 0, carbon_kg = 0, energy_cny = 0, green_kwh = 0;
  void Add(const EnergySum& s, double green_share) {
    tasks += s.tasks;
    gpu_hours += s.gpu_hours;
    it_kwh += s.it_kwh;
    facility_kwh += s.facility_kwh;
    carbon_kg += s.carbon_kg;
    energy_cny += s.energy_cny;
    green_kwh += s.facility_kwh * green_share;
  }
  nlohmann::json Json(const std::string& key, const std::string& id) const {
    return {{key, id},
            {"tasks", tasks},
            {"gpu_hours", gpu_hours},
            {"it_kwh", it_kwh},
            {"facility_kwh", facility_kwh},
            {"pue", it_kwh > 0 ? facility_kwh / it_kwh : 0.0},
            {"carbon_kg", carbon_kg},
            {"energy_cny", energy_cny},
            {"carbon_kg_per_gpu_hour", gpu_hours > 0 ? carbon_kg / gpu_hours : 0.0},
            {"green_share", facility_kwh > 0 ? green_kwh / facility_kwh : 0.0}};
  }
};

}  // namespace

std::string EnergyReportJson(const Network& network, const EnergyModel* energy, const std::vector<EnergySum>& sums,
                             const std::vector<HeatForecast>& heat) {
  std::map<std::string, Totals> by_site, by_hub, by_tenant;
  Totals total;
  for (const EnergySum& s : sums) {
    const auto site = network.SiteIndex(s.site);
    const double green = site && energy ? energy->site(*site).green_share : 0.0;
    std::string hub;
    if (site) {
      if (auto place = network.PlaceIndex(network.sites[*site].place)) hub = network.places[*place].hub;
    }
    by_site[s.site].Add(s, green);
    by_hub[hub.empty() ? "(none)" : hub].Add(s, green);
    by_tenant[s.tenant].Add(s, green);
    total.Add(s, green);
  }
  nlohmann::json out;
  for (auto [name, map, key] : {std::tuple{"sites", &by_site, "site"}, {"hubs", &by_hub, "hub"},
                                {"tenants", &by_tenant, "tenant"}}) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [id, t] : *map) rows.push_back(t.Json(key, id));
    out[name] = std::move(rows);
  }
  out["total"] = total.Json("scope", "network");
  nlohmann::json forecast = nlohmann::json::array();
  for (const HeatForecast& h : heat) {
    forecast.push_back({{"site", h.site}, {"capacity_kw", h.capacity_kw}, {"it_heat_kw_by_hour", h.kw}});
  }
  out["heat_forecast"] = std::move(forecast);
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace suanwang
