#include "sim/green_report.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "sim/files.h"
#include "sim/svg_plot.h"

namespace suanwang {
namespace {

bool InWest(const std::string& hub, const std::vector<std::string>& west_hubs) {
  return std::find(west_hubs.begin(), west_hubs.end(), hub) != west_hubs.end();
}

}  // namespace

PolicyMetrics Summarise(const PolicyOutcome& outcome, const Network& network, const std::vector<std::string>& west_hubs) {
  PolicyMetrics m;
  m.policy = outcome.policy.name;
  double jct = 0, wait = 0, west_gpu_h = 0;
  size_t started = 0, inside = 0;
  for (const JobRecord& j : outcome.result.jobs) {
    ++m.jobs;
    if (j.state == "rejected") ++m.rejected;
    if (j.start_s < 0) {
      if (j.state != "rejected") ++m.never_started;
      if (j.deadline_s >= 0) ++m.deadline_misses;
      continue;
    }
    ++started;
    wait += (j.start_s - j.arrival_s) / 3600;
    if (j.within_tier) ++inside;
    if (j.deferrals > 0) ++m.deferred;
    m.it_kwh += j.it_kwh;
    m.facility_kwh += j.facility_kwh;
    m.carbon_kg += j.carbon_kg;
    m.cost_cny += j.cost_cny;
    if (j.end_s < 0) continue;
    ++m.finished;
    jct += (j.end_s - j.arrival_s) / 3600;
    const double gpu_h = j.gpus * (j.end_s - j.start_s) / 3600;
    m.gpu_hours += gpu_h;
    if (j.deadline_s >= 0 && j.end_s > j.deadline_s + 1e-6) ++m.deadline_misses;
    auto site = network.SiteIndex(j.site);
    auto place = site ? network.PlaceIndex(network.sites[*site].place) : std::nullopt;
    if (place && InWest(network.places[*place].hub, west_hubs)) west_gpu_h += gpu_h;
  }
  if (m.gpu_hours > 0) {
    m.carbon_kg_per_gpu_hour = m.carbon_kg / m.gpu_hours;
    m.cost_cny_per_gpu_hour = m.cost_cny / m.gpu_hours;
    m.west_share = west_gpu_h / m.gpu_hours;
  }
  if (m.finished) m.mean_jct_h = jct / static_cast<double>(m.finished);
  if (started) {
    m.mean_wait_h = wait / static_cast<double>(started);
    m.tier_compliance = static_cast<double>(inside) / static_cast<double>(started);
  }
  return m;
}

std::string GreenSummaryTable(const std::vector<PolicyMetrics>& metrics) {
  std::string out;
  char buf[400];
  std::snprintf(buf, sizeof buf, "%-14s %10s %8s %9s %8s %9s %8s %8s %7s %6s %8s %6s %6s\n", "policy", "kgCO2e/GPUh",
                "vs 1st", "CNY/GPUh", "vs 1st", "JCT h", "vs 1st", "wait h", "in-tier", "late", "deferred", "west",
                "PUE");
  out += buf;
  const PolicyMetrics* first = metrics.empty() ? nullptr : &metrics.front();
  for (const PolicyMetrics& m : metrics) {
    auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
    std::snprintf(buf, sizeof buf, "%-14s %10.4f %8.3f %9.4f %8.3f %9.3f %8.3f %8.3f %6.2f%% %6zu %8zu %5.1f%% %6.3f\n",
                  m.policy.c_str(), m.carbon_kg_per_gpu_hour, ratio(m.carbon_kg_per_gpu_hour, first->carbon_kg_per_gpu_hour),
                  m.cost_cny_per_gpu_hour, ratio(m.cost_cny_per_gpu_hour, first->cost_cny_per_gpu_hour), m.mean_jct_h,
                  ratio(m.mean_jct_h, first->mean_jct_h), m.mean_wait_h, 100 * m.tier_compliance, m.deadline_misses,
                  m.deferred, 100 * m.west_share, m.it_kwh > 0 ? m.facility_kwh / m.it_kwh : 0.0);
    out += buf;
  }
  if (!metrics.empty()) {
    std::snprintf(buf, sizeof buf, "(%zu jobs; %zu finished, %zu rejected, %zu never started under %s)\n",
                  first->jobs, first->finished, first->rejected, first->never_started, first->policy.c_str());
    out += buf;
  }
  return out;
}

std::string CarbonFloorSummary(const CarbonFloor& floor, const std::vector<PolicyMetrics>& metrics) {
  char buf[300];
  std::string out;
  const double first = metrics.empty() ? 0 : metrics.front().carbon_kg_per_gpu_hour;
  std::snprintf(buf, sizeof buf, "carbon floor: %.4f kg CO2e/GPU-h", floor.carbon_kg_per_gpu_hour);
  out += buf;
  if (first > 0) {
    std::snprintf(buf, sizeof buf, " = %.3f of %s", floor.carbon_kg_per_gpu_hour / first, metrics.front().policy.c_str());
    out += buf;
  }
  std::snprintf(buf, sizeof buf,
                " (LP relaxation, sim/carbon_floor.h: no placement that misses no deadline and ends within the "
                "%.0f h span goes below it)\n",
                floor.span_hours);
  out += buf;
  if (metrics.size() > 1 && first > floor.carbon_kg_per_gpu_hour) {
    out += "share of the possible cut reached:";
    for (size_t i = 1; i < metrics.size(); ++i) {
      std::snprintf(buf, sizeof buf, " %s %.0f %%%s", metrics[i].policy.c_str(),
                    100 * (first - metrics[i].carbon_kg_per_gpu_hour) / (first - floor.carbon_kg_per_gpu_hour),
                    i + 1 < metrics.size() ? "," : "");
      out += buf;
    }
    out += "\n";
  }
  if (floor.jobs_without_site) {
    std::snprintf(buf, sizeof buf, "(the floor leaves out %zu jobs no site can hold)\n", floor.jobs_without_site);
    out += buf;
  }
  return out;
}

namespace {

Result<void> WriteFloorCsv(const std::string& dir, const CarbonFloor& floor, const Network& network) {
  std::string csv = "site,hub,gpus,capacity_gpu_hours,gpu_hours,utilisation,carbon_kg,carbon_kg_per_gpu_hour\n";
  char buf[300];
  for (size_t s = 0; s < network.sites.size(); ++s) {
    auto place = network.PlaceIndex(network.sites[s].place);
    const int64_t gpus = floor.site_gpus[s];
    const double cap = floor.site_capacity_gpu_hours[s], used = floor.site_gpu_hours[s];
    std::snprintf(buf, sizeof buf, "%s,%s,%lld,%.3f,%.3f,%.6f,%.3f,%.6f\n", network.sites[s].id.c_str(),
                  place ? network.places[*place].hub.c_str() : "", static_cast<long long>(gpus), cap, used,
                  cap > 0 ? used / cap : 0.0, floor.site_carbon_kg[s], used > 0 ? floor.site_carbon_kg[s] / used : 0.0);
    csv += buf;
  }
  std::snprintf(buf, sizeof buf, "all,,,,%.3f,,%.3f,%.6f\n", floor.gpu_hours, floor.carbon_kg, floor.carbon_kg_per_gpu_hour);
  csv += buf;
  return WriteTextFile(dir + "/floor.csv", csv);
}

}  // namespace

Result<void> WriteGreenReport(const std::string& dir, const std::vector<PolicyOutcome>& outcomes,
                              const std::vector<PolicyMetrics>& metrics, const Network& network,
                              const EnergyModel& energy, const CarbonFloor* floor) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, dir + ": cannot create directory: " + ec.message());
  char buf[512];
  std::string csv =
      "policy,jobs,finished,rejected,never_started,gpu_hours,it_kwh,facility_kwh,carbon_kg,cost_cny,"
      "carbon_kg_per_gpu_hour,cost_cny_per_gpu_hour,mean_jct_h,mean_wait_h,tier_compliance,deadline_misses,deferred,"
      "west_share\n";
  for (const PolicyMetrics& m : metrics) {
    std::snprintf(buf, sizeof buf, "%s,%zu,%zu,%zu,%zu,%.3f,%.3f,%.3f,%.3f,%.3f,%.6f,%.6f,%.4f,%.4f,%.6f,%zu,%zu,%.6f\n",
                  m.policy.c_str(), m.jobs, m.finished, m.rejected, m.never_started, m.gpu_hours, m.it_kwh,
                  m.facility_kwh, m.carbon_kg, m.cost_cny, m.carbon_kg_per_gpu_hour, m.cost_cny_per_gpu_hour,
                  m.mean_jct_h, m.mean_wait_h, m.tier_compliance, m.deadline_misses, m.deferred, m.west_share);
    csv += buf;
  }
  SW_CHECK(WriteTextFile(dir + "/policies.csv", csv));
  std::string sites = "policy,site,hub,gpus,jobs_started,it_kwh,facility_kwh,carbon_kg,cost_cny,grid_series\n";
  for (const PolicyOutcome& o : outcomes) {
    for (size_t s = 0; s < o.result.sites.size(); ++s) {
      const SiteRecord& r = o.result.sites[s];
      std::snprintf(buf, sizeof buf, "%s,%s,%s,%lld,%lld,%.3f,%.3f,%.3f,%.3f,%s\n", o.policy.name.c_str(), r.site.c_str(),
                    r.hub.c_str(), static_cast<long long>(r.gpus), static_cast<long long>(r.jobs_started), r.energy.it_kwh,
                    r.energy.facility_kwh, r.energy.carbon_kg, r.energy.cost_cny, energy.site(s).carbon.label().c_str());
      sites += buf;
    }
  }
  SW_CHECK(WriteTextFile(dir + "/sites.csv", sites));
  for (const PolicyOutcome& o : outcomes) SW_CHECK(WriteReplayReport(dir + "/" + o.policy.name, o.result));

  std::vector<BarPanel> panels(6);
  panels[0] = {"Carbon per GPU-hour", "kg CO2e / GPU-h", {}, {}};
  panels[1] = {"Energy cost per GPU-hour", "CNY / GPU-h", {}, {}};
  panels[2] = {"Mean job completion time", "hours", {}, {}};
  panels[3] = {"Jobs inside their latency tier", "%", {}, {}};
  panels[4] = {"Share of GPU-hours in western hubs", "%", {}, {}};
  panels[5] = {"Deadlines missed", "jobs", {}, {}};
  for (const PolicyMetrics& m : metrics) {
    const double values[] = {m.carbon_kg_per_gpu_hour, m.cost_cny_per_gpu_hour, m.mean_jct_h, 100 * m.tier_compliance,
                             100 * m.west_share, static_cast<double>(m.deadline_misses)};
    for (size_t k = 0; k < panels.size(); ++k) {
      panels[k].labels.push_back(m.policy);
      panels[k].values.push_back(values[k]);
    }
  }
  if (floor) {
    SW_CHECK(WriteFloorCsv(dir, *floor, network));
    panels[0].labels.push_back("floor (LP)");
    panels[0].values.push_back(floor->carbon_kg_per_gpu_hour);
  }
  SW_CHECK(WriteTextFile(dir + "/green.svg", RenderBarsSvg(panels)));

  LinePlot intensity;
  intensity.title = "Grid carbon intensity by site, first 48 h (synthetic shapes marked *)";
  intensity.x_label = "hour (UTC; China is UTC+8)";
  intensity.y_label = "kg CO2e / kWh";
  intensity.y_min = intensity.y_max = 0;
  for (size_t s = 0; s < network.sites.size(); ++s) {
    const HourlySeries& series = energy.site(s).carbon;
    PlotSeries line{network.sites[s].id + (series.synthetic() ? " *" : ""), {}, {}};
    for (int h = 0; h < 48; ++h) {
      line.x.push_back(h);
      line.y.push_back(series.At(static_cast<Timestamp>(h) * 3'600'000));
    }
    intensity.series.push_back(std::move(line));
  }
  return WriteTextFile(dir + "/carbon_intensity.svg", RenderSvg({intensity}));
}

}  // namespace suanwang
