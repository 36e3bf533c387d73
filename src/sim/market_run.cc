#include "sim/market_run.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/rng.h"
#include "energy/site_energy.h"
#include "market/clearing.h"
#include "market/lp_optimum.h"
#include "sim/files.h"
#include "sim/green_run.h"

namespace suanwang {
namespace {

constexpr double kPlatformFee = 0.05;

struct PoolSeller {
  size_t site = 0;
  std::string provider;  // site/pool
  uint32_t market = 0;
  double capacity_scu = 0;
  double it_w_per_gpu = 0;
};

enum class JobState { kFuture, kWaiting, kRunning, kDone, kLeft };

struct LiveJob {
  JobState state = JobState::kFuture;
  double remaining_s = 0;
  std::vector<uint32_t> markets;  // its latency circle's markets
  uint32_t market = 0;            // while running
  double locked_price = 0;        // on-demand: the price it bought at
};

double Lognormal(Rng& rng, double median, double sigma) {
  const double u1 = std::max(rng.UniformDouble(), 1e-300), u2 = rng.UniformDouble();
  const double z = std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
  return median * std::exp(sigma * z);
}

// The market run's shape: one market per hub that has GPU pools, one seller per pool.
struct Layout {
  std::vector<MarketKey> markets;
  std::vector<PoolSeller> sellers;
  double scu_per_gpu = 0;
};

Result<Layout> LayOut(const GreenRun& run, const std::string& data_dir) {
  SW_TRY(accelerators, LoadAcceleratorCatalog(data_dir + "/catalogs/accelerators.yaml"));
  SW_TRY(scu, LoadScuCatalog(data_dir + "/catalogs/scu.yaml"));
  Layout layout;
  std::string model;
  std::map<std::string, uint32_t> market_of_hub;
  GpuModelTable models;
  for (size_t s = 0; s < run.network.sites.size(); ++s) {
    const Site& site = run.network.sites[s];
    // Sites in no national hub (some city edges) trade in a market of their own.
    std::string hub = run.network.places[*run.network.PlaceIndex(site.place)].hub;
    if (hub.empty()) hub = "no-hub";
    for (const Pool& pool : site.pools) {
      if (pool.gpus == 0) continue;
      if (!model.empty() && pool.gpu_model != model) {
        return MakeError(ErrorCode::kInvalidArgument, "market scenario: pool '" + site.id + "/" + pool.id + "' has " +
                                                          pool.gpu_model + " GPUs, others " + model +
                                                          ": one GPU model per network is what this model prices");
      }
      model = pool.gpu_model;
      SW_TRY(per_gpu, scu.GpuScu(accelerators, model));
      layout.scu_per_gpu = per_gpu;
      auto [it, fresh] = market_of_hub.try_emplace(hub, static_cast<uint32_t>(layout.markets.size()));
      if (fresh) layout.markets.push_back({hub, "gpu:" + model});
      JobSpec one_gpu;
      one_gpu.task.gpu_count = 1;
      one_gpu.task.gpu_milli = kMilliGpu;
      one_gpu.task.cpu_milli = static_cast<int64_t>(pool.cpu_milli / std::max<int64_t>(1, pool.gpus));
      layout.sellers.push_back(PoolSeller{s, site.id + "/" + pool.id, it->second,
                                          static_cast<double>(pool.nodes * pool.gpus) * per_gpu,
                                          run.energy->JobItPowerW(one_gpu, s, models)});
    }
  }
  if (layout.sellers.empty()) return MakeError(ErrorCode::kInvalidArgument, "market scenario: the inventory has no GPU pool");
  return layout;
}

// One market's trades of a slot: each buying tenant debited what it owes, each selling pool
// credited its share (by `weight`) of the total less the platform's fee; rounding goes to the
// fee, so the transaction balances to the micro-CNY.
Result<LedgerTxn> TradeTxn(const std::string& id, const std::map<std::string, double>& owed_cny,
                           const std::vector<std::pair<std::string, double>>& sellers) {
  LedgerTxn txn{id, "usage", 0, "market", {}};
  Micros debits = 0, credits = 0;
  for (const auto& [tenant, cny] : owed_cny) {
    const Micros amount = std::llround(cny * kMicrosPerCny);
    txn.lines.push_back({TenantAccount(tenant), amount, 0});
    debits += amount;
  }
  double weights = 0;
  for (const auto& seller : sellers) weights += seller.second;
  for (const auto& [provider, weight] : sellers) {
    const Micros amount = std::llround(static_cast<double>(debits) * (1 - kPlatformFee) * weight / weights);
    txn.lines.push_back({ProviderAccount(provider), 0, amount});
    credits += amount;
  }
  const Micros fee = debits - credits;
  if (fee >= 0) txn.lines.push_back({std::string(kFeesAccount), 0, fee});
  else txn.lines.push_back({std::string(kFeesAccount), -fee, 0});
  SW_CHECK(CheckBalanced(txn));
  return txn;
}

void Post(MarketRun& out, const LedgerTxn& txn) {
  for (const LedgerLine& line : txn.lines) {
    out.ledger_debits += line.debit;
    out.ledger_credits += line.credit;
  }
  ++out.ledger_txns;
}

}  // namespace

Result<MarketScenario> ReadMarketScenario(const std::string& path) {
  SW_TRY(text, ReadTextFile(path));
  return ParseMarketScenario(text, path);
}

Result<MarketRun> RunMarketScenario(const MarketScenario& scenario, const MarketRunOptions& options) {
  SW_TRY(green, ReadGreenScenario(scenario.workload_path));
  GreenRunOptions load;
  load.data_dir = options.data_dir;
  load.max_jobs = options.max_jobs;
  SW_TRY(run, LoadGreenScenario(green, load));
  SW_TRY(layout, LayOut(run, options.data_dir));

  MarketRun out;
  out.name = scenario.name;
  out.markets = layout.markets;
  out.slot_h = scenario.slot_min / 60;
  out.scu_per_gpu = layout.scu_per_gpu;
  const double slot_s = out.slot_h * 3600;
  const size_t n = run.workload.jobs.size();
  std::vector<LiveJob> live(n);
  out.jobs.resize(n);
  Rng rng(scenario.seed);
  for (size_t j = 0; j < n; ++j) {
    const JobSpec& spec = run.workload.jobs[j];
    MarketJob& job = out.jobs[j];
    job.arrival_h = run.workload.arrival_s[j] / 3600;
    job.gpus = static_cast<double>(spec.TotalGpuMilli()) / kMilliGpu;
    job.scu = job.gpus * layout.scu_per_gpu;
    job.value = Lognormal(rng, scenario.value_median, scenario.value_sigma);
    job.tenant = spec.origin;
    job.tier = std::string(TierName(spec.tier));
    job.on_demand = std::find(scenario.on_demand_tiers.begin(), scenario.on_demand_tiers.end(), spec.tier) !=
                    scenario.on_demand_tiers.end();
    job.state = "waiting";
    live[j].remaining_s = spec.duration_s;
    const size_t origin = *run.network.PlaceIndex(spec.origin);
    for (const PoolSeller& seller : layout.sellers) {
      if (run.network.WithinTier(origin, seller.site, spec.tier) &&
          std::find(live[j].markets.begin(), live[j].markets.end(), seller.market) == live[j].markets.end()) {
        live[j].markets.push_back(seller.market);
      }
    }
  }
  std::vector<size_t> order(n);
  for (size_t j = 0; j < n; ++j) order[j] = j;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return out.jobs[a].arrival_h < out.jobs[b].arrival_h; });

  double total_capacity = 0;
  for (const PoolSeller& s : layout.sellers) total_capacity += s.capacity_scu;
  size_t next = 0, open = 0;  // next arrival; jobs waiting or running
  for (size_t slot = 0; next < n || open > 0; ++slot) {
    const double t = static_cast<double>(slot) * slot_s;
    while (next < n && run.workload.arrival_s[order[next]] <= t) {
      live[order[next]].state = live[order[next]].markets.empty() ? JobState::kLeft : JobState::kWaiting;
      if (live[order[next]].markets.empty()) out.jobs[order[next]].state = "left";
      else ++open;
      ++next;
    }
    // Waiting too long: the job leaves unserved.
    for (size_t j = 0; j < n; ++j) {
      if (live[j].state == JobState::kWaiting && out.jobs[j].start_h < 0 &&
          t - run.workload.arrival_s[j] > scenario.max_wait_h * 3600) {
        live[j].state = JobState::kLeft;
        out.jobs[j].state = "left";
        --open;
      }
    }
    // Supply: every pool's SCU at its ask; on-demand work keeps what it holds (cheapest first).
    ClearingInput book;
    book.markets = layout.markets;
    std::vector<double> held(layout.markets.size(), 0.0);
    std::vector<size_t> holders;  // on-demand work already running: keeps its capacity
    for (size_t j = 0; j < n; ++j) {
      if (live[j].state == JobState::kRunning && out.jobs[j].on_demand) {
        held[live[j].market] += out.jobs[j].scu;
        holders.push_back(j);
      }
    }
    std::vector<std::vector<std::pair<std::string, double>>> kept(layout.markets.size());
    const Timestamp at_ms = static_cast<Timestamp>(t * 1000);
    std::vector<std::pair<double, size_t>> asks;
    for (size_t p = 0; p < layout.sellers.size(); ++p) {
      const PoolSeller& s = layout.sellers[p];
      const double energy = MarginalAccount(run.energy->site(s.site), s.it_w_per_gpu, at_ms, at_ms + 3'600'000).cost_cny;
      asks.push_back({(scenario.hold_cny_per_gpu_h + energy) / layout.scu_per_gpu, p});
    }
    std::sort(asks.begin(), asks.end());
    for (const auto& [ask, p] : asks) {
      const PoolSeller& s = layout.sellers[p];
      const double keep = std::min(held[s.market], s.capacity_scu);
      held[s.market] -= keep;
      if (keep > 0) kept[s.market].push_back({s.provider, keep});
      Offer offer;
      offer.id = p + 1;
      offer.provider = s.provider;
      offer.pool = s.provider;
      offer.market = s.market;
      offer.scu = s.capacity_scu - keep;
      offer.ask = ask;
      book.offers.push_back(offer);
    }
    // Demand: waiting jobs in their circle, running spot jobs where they run.
    std::vector<size_t> bidder;
    for (size_t j = 0; j < n; ++j) {
      const bool spot_running = live[j].state == JobState::kRunning && !out.jobs[j].on_demand;
      if (live[j].state != JobState::kWaiting && !spot_running) continue;
      Bid bid;
      bid.id = j + 1;
      bid.tenant = out.jobs[j].tenant;
      bid.job = j + 1;
      bid.scu = out.jobs[j].scu;
      bid.max_price = out.jobs[j].value;
      bid.markets = spot_running ? std::vector<uint32_t>{live[j].market} : live[j].markets;
      book.bids.push_back(std::move(bid));
      bidder.push_back(j);
    }
    SW_TRY(cleared, Clear(book));
    SW_TRY(optimum, SolveClearingLp(book));
    MarketSlot record;
    record.t_h = t / 3600;
    record.markets = cleared.markets;
    record.welfare_cny = cleared.welfare_per_h * out.slot_h;
    record.lp_welfare_cny = optimum.welfare_per_h * out.slot_h;
    record.bids = book.bids.size();
    std::vector<std::map<std::string, double>> bought(layout.markets.size());
    for (size_t k = 0; k < bidder.size(); ++k) {
      const size_t j = bidder[k];
      const BidOutcome& b = cleared.bids[k];
      if (!b.won) {
        if (live[j].state == JobState::kRunning) {  // spot work outbid: preempted, waits again
          live[j].state = JobState::kWaiting;
          ++out.jobs[j].preemptions;
          ++record.preempted;
        }
        continue;
      }
      ++record.won;
      if (live[j].state == JobState::kWaiting) {
        live[j].state = JobState::kRunning;
        live[j].market = b.market;
        live[j].locked_price = b.price;
        if (out.jobs[j].start_h < 0) out.jobs[j].start_h = t / 3600;
        out.jobs[j].hub = layout.markets[b.market].hub;
      }
      bought[b.market][out.jobs[j].tenant] += out.jobs[j].scu;
    }
    // The ledger: each market's trades of the slot, and what on-demand holders owe at their price.
    std::vector<std::map<std::string, double>> held_owed(layout.markets.size());
    double on_demand_scu = 0;
    for (size_t j : holders) {
      held_owed[live[j].market][out.jobs[j].tenant] += live[j].locked_price * out.jobs[j].scu * out.slot_h;
      on_demand_scu += out.jobs[j].scu;
    }
    for (uint32_t m = 0; m < layout.markets.size(); ++m) {
      const std::string id = "market/" + std::to_string(slot) + "/" + std::to_string(m);
      if (!bought[m].empty()) {
        std::map<std::string, double> owed;
        for (const auto& [tenant, scu] : bought[m]) owed[tenant] = cleared.markets[m].price * scu * out.slot_h;
        std::vector<std::pair<std::string, double>> sold;
        for (size_t o = 0; o < book.offers.size(); ++o) {
          if (book.offers[o].market == m && cleared.offer_sold_scu[o] > 0) {
            sold.push_back({book.offers[o].provider, cleared.offer_sold_scu[o]});
          }
        }
        SW_TRY(txn, TradeTxn(id, owed, sold));
        Post(out, txn);
      }
      if (!held_owed[m].empty()) {
        SW_TRY(txn, TradeTxn(id + "/on_demand", held_owed[m], kept[m]));
        Post(out, txn);
      }
    }
    // Run the slot.
    for (size_t j = 0; j < n; ++j) {
      if (live[j].state != JobState::kRunning) continue;
      MarketJob& job = out.jobs[j];
      const double price = job.on_demand ? live[j].locked_price : cleared.markets[live[j].market].price;
      job.paid_cny += price * job.scu * out.slot_h;
      live[j].remaining_s -= slot_s;
      if (live[j].remaining_s <= 0) {
        live[j].state = JobState::kDone;
        job.end_h = (t + slot_s + live[j].remaining_s) / 3600;
        job.state = "finished";
        ++out.finished;
        --open;
      }
    }
    double offered = 0, sold_in_auction = 0;
    for (const MarketOutcome& m : cleared.markets) {
      offered += m.offered_scu;
      sold_in_auction += m.sold_scu;
    }
    out.offered_scu_h += offered * out.slot_h;
    out.auction_sold_scu_h += sold_in_auction * out.slot_h;
    out.capacity_scu_h += total_capacity * out.slot_h;
    out.sold_scu_h += (sold_in_auction + on_demand_scu) * out.slot_h;
    out.welfare_cny += record.welfare_cny;
    out.lp_welfare_cny += record.lp_welfare_cny;
    out.preemptions += record.preempted;
    out.slots.push_back(std::move(record));
    if (options.tick) options.tick(1);
  }
  for (size_t j = 0; j < n; ++j) {
    if (out.jobs[j].state == "left") ++out.left;
  }
  return out;
}

}  // namespace suanwang
