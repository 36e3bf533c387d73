#include "sim/market_report.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "sim/files.h"
#include "sim/svg_plot.h"

namespace suanwang {
namespace {

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

struct Totals {
  double waiting_h = 0;
  size_t started = 0;
  double paid = 0, scu_h = 0;
};

Totals JobTotals(const MarketRun& run) {
  Totals t;
  for (const MarketJob& j : run.jobs) {
    if (j.start_h < 0) continue;
    ++t.started;
    t.waiting_h += j.start_h - j.arrival_h;
    t.paid += j.paid_cny;
  }
  return t;
}

}  // namespace

std::string MarketSummaryTable(const MarketRun& run) {
  const Totals t = JobTotals(run);
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line,
                "market %s: %zu slots of %.2f h, %zu markets, %zu jobs (%zu finished, %zu left unserved, %zu preemptions)\n",
                run.name.c_str(), run.slots.size(), run.slot_h, run.markets.size(), run.jobs.size(), run.finished, run.left,
                run.preemptions);
  out += line;
  std::snprintf(line, sizeof line, "welfare: clearing %.2f CNY, LP optimum %.2f CNY: %.2f %% of the optimum\n",
                run.welfare_cny, run.lp_welfare_cny, run.lp_welfare_cny > 0 ? 100 * run.welfare_cny / run.lp_welfare_cny : 100.0);
  out += line;
  std::snprintf(line, sizeof line,
                "capacity sold: %.1f %% of all (%.1f %% of what the clearings offered); mean wait of served jobs %.2f h\n",
                run.capacity_scu_h > 0 ? 100 * run.sold_scu_h / run.capacity_scu_h : 0.0,
                run.offered_scu_h > 0 ? 100 * run.auction_sold_scu_h / run.offered_scu_h : 0.0,
                t.started ? t.waiting_h / static_cast<double>(t.started) : 0.0);
  out += line;
  std::snprintf(line, sizeof line, "ledger: %zu transactions, debits %s = credits %s CNY: %s\n", run.ledger_txns,
                FormatCny(run.ledger_debits).c_str(), FormatCny(run.ledger_credits).c_str(),
                run.ledger_debits == run.ledger_credits ? "balanced" : "NOT BALANCED");
  out += line;
  out += "HUB          MEAN_PRICE   MIN_PRICE   MAX_PRICE  SOLD_SHARE  (CNY per SCU-h; per GPU-h x " + Fmt("%.1f", run.scu_per_gpu) + ")\n";
  for (size_t m = 0; m < run.markets.size(); ++m) {
    double sum = 0, lo = std::numeric_limits<double>::infinity(), hi = 0, offered = 0, sold = 0;
    size_t count = 0;
    for (const MarketSlot& s : run.slots) {
      const MarketOutcome& o = s.markets[m];
      offered += o.offered_scu;
      sold += o.sold_scu;
      if (!o.has_price) continue;
      sum += o.price;
      lo = std::min(lo, o.price);
      hi = std::max(hi, o.price);
      ++count;
    }
    std::snprintf(line, sizeof line, "%-12s %10.5f %11.5f %11.5f %10.1f %%\n", run.markets[m].hub.c_str(),
                  count ? sum / static_cast<double>(count) : 0.0, count ? lo : 0.0, hi, offered > 0 ? 100 * sold / offered : 0.0);
    out += line;
  }
  return out;
}

Result<void> WriteMarketReport(const std::string& dir, const MarketRun& run) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, dir + ": " + ec.message());
  std::string prices = "t_h,hub,class,price_cny_per_scu_h,traded,offered_scu,sold_scu,demand_scu\n";
  std::string slots = "t_h,bids,won,preempted,welfare_cny,lp_welfare_cny\n";
  for (const MarketSlot& s : run.slots) {
    for (size_t m = 0; m < run.markets.size(); ++m) {
      const MarketOutcome& o = s.markets[m];
      char row[256];
      std::snprintf(row, sizeof row, "%.4f,%s,%s,%s,%d,%.3f,%.3f,%.3f\n", s.t_h, run.markets[m].hub.c_str(),
                    run.markets[m].compute_class.c_str(), o.has_price ? Fmt("%.6f", o.price).c_str() : "", o.traded ? 1 : 0,
                    o.offered_scu, o.sold_scu, o.demand_scu);
      prices += row;
    }
    char row[160];
    std::snprintf(row, sizeof row, "%.4f,%zu,%zu,%zu,%.4f,%.4f\n", s.t_h, s.bids, s.won, s.preempted, s.welfare_cny,
                  s.lp_welfare_cny);
    slots += row;
  }
  std::string jobs = "job,tenant,tier,on_demand,arrival_h,start_h,end_h,gpus,scu,value_cny_per_scu_h,hub,paid_cny,preemptions,state\n";
  for (size_t j = 0; j < run.jobs.size(); ++j) {
    const MarketJob& x = run.jobs[j];
    char row[320];
    std::snprintf(row, sizeof row, "%zu,%s,%s,%d,%.4f,%.4f,%.4f,%.2f,%.2f,%.6f,%s,%.4f,%d,%s\n", j + 1, x.tenant.c_str(),
                  x.tier.c_str(), x.on_demand ? 1 : 0, x.arrival_h, x.start_h, x.end_h, x.gpus, x.scu, x.value, x.hub.c_str(),
                  x.paid_cny, x.preemptions, x.state.c_str());
    jobs += row;
  }
  std::string summary = "metric,value\n";
  summary += "welfare_cny," + Fmt("%.4f", run.welfare_cny) + "\n";
  summary += "lp_welfare_cny," + Fmt("%.4f", run.lp_welfare_cny) + "\n";
  summary += "welfare_share_of_lp," + Fmt("%.6f", run.lp_welfare_cny > 0 ? run.welfare_cny / run.lp_welfare_cny : 1.0) + "\n";
  summary += "capacity_sold_share," + Fmt("%.6f", run.capacity_scu_h > 0 ? run.sold_scu_h / run.capacity_scu_h : 0.0) + "\n";
  summary += "offered_sold_share," + Fmt("%.6f", run.offered_scu_h > 0 ? run.auction_sold_scu_h / run.offered_scu_h : 0.0) + "\n";
  summary += "jobs," + std::to_string(run.jobs.size()) + "\nfinished," + std::to_string(run.finished) + "\nleft," +
             std::to_string(run.left) + "\npreemptions," + std::to_string(run.preemptions) + "\n";
  summary += "ledger_transactions," + std::to_string(run.ledger_txns) + "\nledger_debits_cny," + FormatCny(run.ledger_debits) +
             "\nledger_credits_cny," + FormatCny(run.ledger_credits) + "\n";

  // Plots: hourly prices per hub; per day, capacity sold and welfare over the LP optimum.
  LinePlot price_plot{"Price of compute per hub (uniform clearing price)", "trace time [h]", "CNY per SCU-hour", {}, 0, 0};
  for (size_t m = 0; m < run.markets.size(); ++m) {
    PlotSeries series{run.markets[m].hub, {}, {}};
    for (const MarketSlot& s : run.slots) {
      series.x.push_back(s.t_h);
      series.y.push_back(s.markets[m].has_price ? s.markets[m].price : std::nan(""));
    }
    price_plot.series.push_back(std::move(series));
  }
  PlotSeries sold{"capacity sold [%]", {}, {}}, welfare{"clearing welfare / LP optimum [%]", {}, {}};
  const size_t per_day = std::max<size_t>(1, static_cast<size_t>(std::lround(24 / run.slot_h)));
  for (size_t start = 0; start < run.slots.size(); start += per_day) {
    double offered = 0, bought = 0, w = 0, lp = 0;
    for (size_t k = start; k < std::min(run.slots.size(), start + per_day); ++k) {
      for (const MarketOutcome& o : run.slots[k].markets) {
        offered += o.offered_scu;
        bought += o.sold_scu;
      }
      w += run.slots[k].welfare_cny;
      lp += run.slots[k].lp_welfare_cny;
    }
    const double day = run.slots[start].t_h / 24;
    sold.x.push_back(day);
    sold.y.push_back(offered > 0 ? 100 * bought / offered : std::nan(""));
    welfare.x.push_back(day);
    welfare.y.push_back(lp > 0 ? 100 * w / lp : std::nan(""));
  }
  LinePlot market_plot{"Per day: offered capacity sold; clearing welfare / LP optimum",
                       "trace time [days]", "%", {sold, welfare}, 0, 105};
  SW_CHECK(WriteTextFile(dir + "/prices.csv", prices));
  SW_CHECK(WriteTextFile(dir + "/slots.csv", slots));
  SW_CHECK(WriteTextFile(dir + "/jobs.csv", jobs));
  SW_CHECK(WriteTextFile(dir + "/summary.csv", summary));
  SW_CHECK(WriteTextFile(dir + "/prices.svg", RenderSvg({price_plot})));
  SW_CHECK(WriteTextFile(dir + "/market.svg", RenderSvg({market_plot})));
  return {};
}

}  // namespace suanwang
