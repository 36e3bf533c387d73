#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>

#include "sim/replay.h"
#include "sim/files.h"
#include "sim/svg_plot.h"

namespace suanwang {
namespace {

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double pos = p / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

Result<void> WriteReplayReport(const std::string& dir, const ReplayResult& r) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, dir + ": cannot create directory: " + ec.message());
  char buf[512];
  std::string jobs =
      "id,name,arrival_s,start_s,end_s,wait_s,jct_s,site,origin,tier,rtt_ms,within_tier,preemptions,gpus,deadline_s,"
      "deferrals,it_kwh,facility_kwh,carbon_kg,energy_cny,state,reason\n";
  for (const JobRecord& j : r.jobs) {
    const double wait = j.start_s >= 0 ? j.start_s - j.arrival_s : NAN;
    const double jct = j.end_s >= 0 ? j.end_s - j.arrival_s : NAN;
    std::snprintf(buf, sizeof buf, "%llu,%s,%.3f,%.3f,%.3f,%.3f,%.3f,%s,%s,%s,%.2f,%d,%d,%g,%.3f,%d,%.6g,%.6g,%.6g,%.6g,%s,",
                  static_cast<unsigned long long>(j.id), Csv(j.name).c_str(), j.arrival_s, j.start_s, j.end_s, wait,
                  jct, j.site.c_str(), j.origin.c_str(), std::string(TierName(j.tier)).c_str(), j.rtt_ms,
                  j.within_tier ? 1 : 0, j.preemptions, j.gpus, j.deadline_s, j.deferrals, j.it_kwh, j.facility_kwh,
                  j.carbon_kg, j.cost_cny, j.state.c_str());
    jobs += buf + Csv(j.reason) + "\n";
  }
  if (auto ok = WriteTextFile(dir + "/jobs.csv", jobs); !ok) return ok;
  std::string sites = "site,place,hub,gpus,cpu_cores,gpu_utilization_pct,cpu_utilization_pct,jobs_started\n";
  for (const SiteRecord& s : r.sites) {
    const double horizon = std::max(1e-9, r.horizon_s);
    std::snprintf(buf, sizeof buf, "%s,%s,%s,%lld,%lld,%.2f,%.2f,%lld\n", s.site.c_str(), s.place.c_str(), s.hub.c_str(),
                  static_cast<long long>(s.gpus), static_cast<long long>(s.cpu_cores),
                  s.gpus ? 100 * s.gpu_seconds / (static_cast<double>(s.gpus) * horizon) : 0.0,
                  s.cpu_cores ? 100 * s.cpu_seconds / (static_cast<double>(s.cpu_cores) * horizon) : 0.0,
                  static_cast<long long>(s.jobs_started));
    sites += buf;
  }
  if (auto ok = WriteTextFile(dir + "/sites.csv", sites); !ok) return ok;

  // Queueing delay CDF.
  std::vector<double> waits;
  for (const JobRecord& j : r.jobs) {
    if (j.start_s >= 0) waits.push_back(j.start_s - j.arrival_s);
  }
  std::sort(waits.begin(), waits.end());
  LinePlot cdf;
  cdf.title = "Queueing delay (CDF over started jobs)";
  cdf.x_label = "percentile of started jobs (%)";
  cdf.y_label = "queueing delay (s)";
  cdf.y_min = cdf.y_max = 0;
  PlotSeries wait_series{"queueing delay", {}, {}};
  for (int p = 0; p <= 100; ++p) {
    wait_series.x.push_back(p);
    wait_series.y.push_back(Percentile(waits, p));
  }
  cdf.series.push_back(wait_series);
  if (auto ok = WriteTextFile(dir + "/wait_cdf.svg", RenderSvg({cdf})); !ok) return ok;

  LinePlot util;
  util.title = "GPU allocation per site over time";
  util.x_label = "virtual time (hours)";
  util.y_label = "allocated GPUs (% of the site's)";
  for (const SiteRecord& s : r.sites) {
    if (s.gpus == 0) continue;
    PlotSeries series{s.site, {}, s.gpu_util_samples};
    for (double t : r.sample_times_s) series.x.push_back(t / 3600.0);
    series.y.resize(series.x.size(), NAN);
    util.series.push_back(std::move(series));
  }
  return WriteTextFile(dir + "/utilization.svg", RenderSvg({util}));
}

std::string ReplaySummary(const ReplayResult& r) {
  std::vector<double> waits, jcts;
  size_t rejected = 0, never = 0, within = 0, started = 0, preempted = 0;
  for (const JobRecord& j : r.jobs) {
    if (j.state == "rejected") ++rejected;
    if (j.start_s < 0 && j.state != "rejected") ++never;
    if (j.start_s >= 0) {
      ++started;
      within += j.within_tier;
      waits.push_back(j.start_s - j.arrival_s);
    }
    if (j.end_s >= 0) jcts.push_back(j.end_s - j.arrival_s);
    preempted += j.preemptions > 0;
  }
  char buf[512];
  std::string out;
  std::snprintf(buf, sizeof buf,
                "jobs %zu: started %zu, rejected %zu, never started %zu, preempted %zu\n"
                "queueing delay s: mean %.1f  p50 %.1f  p95 %.1f  p99 %.1f\n"
                "job completion s: mean %.1f  p50 %.1f  p95 %.1f\n"
                "tier compliance: %.2f%% of started jobs ran within their latency tier\n",
                r.jobs.size(), started, rejected, never, preempted,
                waits.empty() ? 0.0 : std::accumulate(waits.begin(), waits.end(), 0.0) / static_cast<double>(waits.size()),
                Percentile(waits, 50), Percentile(waits, 95), Percentile(waits, 99),
                jcts.empty() ? 0.0 : std::accumulate(jcts.begin(), jcts.end(), 0.0) / static_cast<double>(jcts.size()),
                Percentile(jcts, 50), Percentile(jcts, 95), started ? 100.0 * static_cast<double>(within) / static_cast<double>(started) : 100.0);
  out += buf;
  std::snprintf(buf, sizeof buf, "%-10s %-6s %-8s %6s %8s %8s %8s\n", "site", "place", "hub", "GPUs", "GPU util", "CPU util", "jobs");
  out += buf;
  const double horizon = std::max(1e-9, r.horizon_s);
  for (const SiteRecord& s : r.sites) {
    std::snprintf(buf, sizeof buf, "%-10s %-6s %-8s %6lld %7.1f%% %7.1f%% %8lld\n", s.site.c_str(), s.place.c_str(),
                  s.hub.c_str(), static_cast<long long>(s.gpus),
                  s.gpus ? 100 * s.gpu_seconds / (static_cast<double>(s.gpus) * horizon) : 0.0,
                  s.cpu_cores ? 100 * s.cpu_seconds / (static_cast<double>(s.cpu_cores) * horizon) : 0.0,
                  static_cast<long long>(s.jobs_started));
    out += buf;
  }
  return out;
}

}  // namespace suanwang
