#include "sim/inflate_report.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "sim/files.h"
#include "sim/svg_plot.h"

namespace suanwang {
namespace {

std::string Csv(const std::vector<InflateRun>& runs, int target,
                const std::vector<double> InflateCurves::*metric) {
  std::string out = "workload,policy,seed";
  for (int x = 0; x <= target; ++x) out += "," + std::to_string(x);
  out += "\n";
  char buf[32];
  for (const InflateRun& r : runs) {
    out += r.workload + "," + r.policy + "," + std::to_string(r.seed);
    const auto& values = r.curves.*metric;
    for (int x = 0; x <= target; ++x) {
      out += ",";
      double v = static_cast<size_t>(x) < values.size() ? values[static_cast<size_t>(x)] : NAN;
      if (!std::isnan(v)) {
        std::snprintf(buf, sizeof buf, "%.4f", v);
        out += buf;
      }
    }
    out += "\n";
  }
  return out;
}

// Groups runs by workload, then policy, keeping first-seen order.
std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::vector<const InflateRun*>>>>>
Group(const std::vector<InflateRun>& runs) {
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::vector<const InflateRun*>>>>> out;
  for (const InflateRun& r : runs) {
    auto w = std::find_if(out.begin(), out.end(), [&](auto& e) { return e.first == r.workload; });
    if (w == out.end()) {
      out.push_back({r.workload, {}});
      w = out.end() - 1;
    }
    auto p = std::find_if(w->second.begin(), w->second.end(), [&](auto& e) { return e.first == r.policy; });
    if (p == w->second.end()) {
      w->second.push_back({r.policy, {}});
      p = w->second.end() - 1;
    }
    p->second.push_back(&r);
  }
  return out;
}

double MeanAt(const std::vector<const InflateRun*>& runs, size_t x, double* spread = nullptr) {
  double sum = 0, sq = 0;
  int n = 0;
  for (const InflateRun* r : runs) {
    if (x >= r->curves.allocation.size() || std::isnan(r->curves.allocation[x])) continue;
    sum += r->curves.allocation[x];
    sq += r->curves.allocation[x] * r->curves.allocation[x];
    ++n;
  }
  if (n == 0) return NAN;
  double mean = sum / n;
  if (spread) *spread = n > 1 ? std::sqrt(std::max(0.0, (sq - n * mean * mean) / (n - 1))) : 0;
  return mean;
}

}  // namespace

Result<void> WriteInflateReport(const std::string& dir, const std::vector<InflateRun>& runs,
                                int target) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, dir + ": cannot create directory: " + ec.message());
  if (auto r = WriteTextFile(dir + "/allocation.csv", Csv(runs, target, &InflateCurves::allocation)); !r) return r;
  if (auto r = WriteTextFile(dir + "/frag_total.csv", Csv(runs, target, &InflateCurves::frag_total)); !r) return r;
  if (auto r = WriteTextFile(dir + "/frag_rate.csv", Csv(runs, target, &InflateCurves::frag_rate)); !r) return r;

  std::vector<LinePlot> panels;
  for (const auto& [workload, policies] : Group(runs)) {
    LinePlot plot;
    plot.title = "GPU allocation ratio, " + workload;
    plot.x_label = "arrived GPU demand (% of cluster GPUs)";
    plot.y_label = "allocated GPUs (% of cluster GPUs)";
    plot.y_min = 0;
    plot.y_max = 100;
    for (const auto& [policy, rs] : policies) {
      PlotSeries s;
      s.name = policy + " (" + std::to_string(rs.size()) + " seeds)";
      for (int x = 0; x <= target; ++x) {
        s.x.push_back(x);
        s.y.push_back(MeanAt(rs, static_cast<size_t>(x)));
      }
      plot.series.push_back(std::move(s));
    }
    LinePlot zoom = plot;  // where the policies differ: from 75 % of demand on, fitted y
    zoom.title = "GPU allocation ratio near saturation, " + workload;
    zoom.x_min = std::min(75, target - 1);
    zoom.x_max = target;
    zoom.y_min = zoom.y_max = 0;
    panels.push_back(std::move(plot));
    panels.push_back(std::move(zoom));
  }
  return WriteTextFile(dir + "/allocation.svg", RenderSvg(panels));
}

std::string InflateSummaryTable(const std::vector<InflateRun>& runs, int target) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-28s %-14s %5s %11s %7s %13s %10s\n", "workload", "policy", "runs",
                ("alloc@" + std::to_string(target) + "%").c_str(), "stdev", "unalloc GPUs", "failed");
  out += buf;
  for (const auto& [workload, policies] : Group(runs)) {
    for (const auto& [policy, rs] : policies) {
      double spread = 0;
      double mean = MeanAt(rs, static_cast<size_t>(target), &spread);
      double unalloc = 0, failed = 0;
      for (const InflateRun* r : rs) {
        unalloc += r->curves.unallocated_gpus_at_end;
        failed += static_cast<double>(r->curves.tasks_failed);
      }
      unalloc /= static_cast<double>(rs.size());
      failed /= static_cast<double>(rs.size());
      std::snprintf(buf, sizeof buf, "%-28s %-14s %5zu %11.2f %7.2f %13.1f %10.1f\n", workload.c_str(),
                    policy.c_str(), rs.size(), mean, spread, unalloc, failed);
      out += buf;
    }
  }
  return out;
}

}  // namespace suanwang
