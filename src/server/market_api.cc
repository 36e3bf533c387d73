// The live compute market: providers' offers, the periodic clearing per hub and compute class
// against the live jobs' bids (market/clearing.h), the published prices (the engine's
// price_cny term and max_price filter, billing's price), and what each party may read.
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "market/clearing.h"
#include "server/control_plane_impl.h"

namespace suanwang {
namespace {

std::string HubOf(const Network& network, size_t site) {
  const auto place = network.PlaceIndex(network.sites[site].place);
  const std::string hub = place ? network.places[*place].hub : "";
  return hub.empty() ? "no-hub" : hub;
}

nlohmann::json OfferJson(const StoredOffer& o) {
  return {{"id", o.id}, {"provider", o.provider}, {"site", o.site}, {"pool", o.pool}, {"kind", o.kind},
          {"price_cny_per_scu_h", FormatCny(o.price)}, {"min_price_cny_per_scu_h", FormatCny(o.min_price)},
          {"from_ms", o.from_ms}, {"until_ms", o.until_ms}, {"notice_s", o.notice_s}, {"created_ms", o.created_ms},
          {"withdrawn_ms", o.withdrawn_ms}, {"reserved_for", o.reserved_for}};
}

Micros ToMicros(double cny) { return static_cast<Micros>(std::llround(cny * kMicrosPerCny)); }

}  // namespace

void ControlPlaneImpl::BuildMarkets() {
  std::lock_guard lock(market_mutex_);
  markets_.clear();
  pool_markets_.assign(network_.sites.size(), {});
  const double core_scu = meter_->scu.CoreScu().value_or(0);
  for (size_t s = 0; s < network_.sites.size(); ++s) {
    const std::string hub = HubOf(network_, s);
    for (const Pool& pool : SitePools(s)) {
      PoolMarket pm;
      pm.pool = pool.id;
      pm.gpu = pool.gpus > 0;
      pm.model = pool.gpu_model;
      std::string cls;
      if (pm.gpu) {
        auto scu = meter_->scu.GpuScu(meter_->accelerators, pool.gpu_model);
        if (!scu) continue;  // a model without a figure cannot be metered, so not traded
        pm.scu_per_unit = *scu;
        pm.units = static_cast<double>(pool.nodes * pool.gpus);
        cls = "gpu:" + pool.gpu_model;
      } else {
        pm.scu_per_unit = core_scu;
        pm.units = static_cast<double>(pool.nodes * pool.cpu_milli) / 1000;
        cls = "cpu";
      }
      const MarketKey key{hub, cls};
      auto it = std::find(markets_.begin(), markets_.end(), key);
      pm.market = static_cast<uint32_t>(it - markets_.begin());
      if (it == markets_.end()) markets_.push_back(key);
      pool_markets_[s].push_back(pm);
    }
  }
}

std::vector<SitePrice> ControlPlaneImpl::PriceBoard(const std::vector<std::vector<PoolMarket>>& pools,
                                                    const std::vector<MarketOutcome>* cleared) const {
  const double list = meter_->scu.list_price_cny_per_scu_h();
  const double core_scu = meter_->scu.CoreScu().value_or(0);
  std::vector<SitePrice> board(network_.sites.size());
  for (size_t s = 0; s < pools.size(); ++s) {
    board[s].cpu_per_scu_h = list;
    for (const PoolMarket& pm : pools[s]) {
      const MarketOutcome* o = cleared ? &(*cleared)[pm.market] : nullptr;
      const double price = o && o->has_price ? o->price : list;
      if (pm.gpu) board[s].gpus.push_back(GpuPrice{pm.model, price, price * pm.scu_per_unit});
      else board[s].cpu_per_scu_h = price;
    }
    board[s].per_core_h = board[s].cpu_per_scu_h * core_scu;
  }
  return board;
}

double ControlPlaneImpl::PoolScuPrice(size_t site, const std::string& gpu_model) {
  std::lock_guard lock(market_mutex_);
  if (site >= site_prices_.size()) return meter_->scu.list_price_cny_per_scu_h();
  if (gpu_model.empty()) return site_prices_[site].cpu_per_scu_h;
  for (const GpuPrice& g : site_prices_[site].gpus) {
    if (g.model == gpu_model) return g.per_scu_h;
  }
  return meter_->scu.list_price_cny_per_scu_h();
}

void ControlPlaneImpl::ClearMarket(Timestamp now) {
  {
    std::lock_guard lock(models_mutex_);  // agents may have registered other pools
    BuildMarkets();
  }
  auto tx = store_->Begin();
  if (!tx) return;
  auto offers = (*tx)->ListOffers(now);
  (*tx)->Rollback();
  if (!offers) return;
  std::vector<JobSpec> jobs;
  {
    std::lock_guard lock(jobs_mutex_);
    for (const auto& [id, spec] : specs_) jobs.push_back(spec);
  }
  const double list = meter_->scu.list_price_cny_per_scu_h();
  const double core_scu = meter_->scu.CoreScu().value_or(0);
  ClearingInput book;
  std::vector<std::vector<PoolMarket>> pools;
  {
    std::lock_guard lock(market_mutex_);
    book.markets = markets_;
    pools = pool_markets_;
  }
  // Supply: each active offer sells its pool's SCU; reserved capacity is sold outside the auction.
  std::vector<int64_t> notice(network_.sites.size(), 0);
  for (const StoredOffer& o : *offers) {
    if (auto site = network_.SiteIndex(o.site); site && o.kind == "spot") notice[*site] = std::max(notice[*site], o.notice_s);
  }
  {
    std::lock_guard lock(market_mutex_);
    site_notice_s_ = notice;
  }
  for (const StoredOffer& o : *offers) {
    auto site = network_.SiteIndex(o.site);
    if (!site || o.kind == "reserved") continue;
    for (const PoolMarket& pm : pools[*site]) {
      if (pm.pool != o.pool) continue;
      Offer offer;
      offer.id = o.id;
      offer.provider = o.provider;
      offer.pool = o.site + "/" + o.pool;
      offer.market = pm.market;
      offer.scu = pm.units * pm.scu_per_unit;
      offer.ask = static_cast<double>(o.kind == "spot" ? o.min_price : o.price) / kMicrosPerCny;
      book.offers.push_back(offer);
    }
  }
  // Demand: every live job bids its max price (else the list price) for its whole gang: a
  // running job in the markets of the site it holds, a waiting one in each market of its
  // latency circle and compute class.
  {
    std::lock_guard lock(models_mutex_);
    for (const JobSpec& job : jobs) {
      Bid bid;
      bid.id = job.id;
      bid.tenant = job.tenant;
      bid.job = job.id;
      bid.max_price = job.max_price > 0 ? job.max_price : list;
      const auto origin = network_.PlaceIndex(job.origin);
      const std::optional<size_t> holds = scheduler_->RunningSite(job.id);
      for (size_t s = 0; s < pools.size(); ++s) {
        if (holds ? s != *holds : job.tier != Tier::kAny && (!origin || !network_.WithinTier(*origin, s, job.tier))) {
          continue;
        }
        for (const PoolMarket& pm : pools[s]) {
          const GpuModelId id = models_.Find(pm.model);
          const bool fits = job.task.UsesGpu() ? pm.gpu && job.task.AllowsModel(id) : !pm.gpu;
          if (!fits || std::find(bid.markets.begin(), bid.markets.end(), pm.market) != bid.markets.end()) continue;
          bid.markets.push_back(pm.market);
          if (bid.scu == 0) {
            bid.scu = job.tasks * (job.task.UsesGpu()
                                       ? static_cast<double>(job.task.TotalGpuMilli()) / kMilliGpu * pm.scu_per_unit
                                       : static_cast<double>(job.task.cpu_milli) / 1000 * core_scu);
          }
        }
      }
      if (!bid.markets.empty() && bid.scu > 0) book.bids.push_back(std::move(bid));
    }
  }
  auto cleared = Clear(book);
  if (!cleared) {
    std::fprintf(stderr, "suanwang server: market clearing: %s\n", cleared.error().message.c_str());
    return;
  }
  std::vector<StoredPrice> rows;
  for (size_t m = 0; m < book.markets.size(); ++m) {
    const MarketOutcome& o = cleared->markets[m];
    rows.push_back(StoredPrice{now, book.markets[m].hub, book.markets[m].compute_class,
                               ToMicros(o.has_price ? o.price : list), o.traded, o.offered_scu, o.sold_scu, o.demand_scu});
  }
  (void)committer_->Run([&](Transaction& t) -> Result<void> { return t.InsertPrices(rows); });
  // The board: a market that has offers publishes its clearing price; others keep the list price.
  std::vector<SitePrice> board = PriceBoard(pools, &cleared->markets);
  {
    std::lock_guard lock(market_mutex_);
    site_prices_ = board;
  }
  Apply(SitePrices{std::move(board)});
}

HttpResponse ControlPlaneImpl::CreateOffer(const HttpRequest& req, const Caller& who) {
  StoredOffer o;
  double price = 0, min_price = -1;
  try {
    auto body = nlohmann::json::parse(req.body);
    o.site = body.at("site").get<std::string>();
    o.pool = body.at("pool").get<std::string>();
    o.kind = body.value("kind", std::string("spot"));
    price = body.at("price_cny_per_scu_h").get<double>();
    min_price = body.value("min_price_cny_per_scu_h", price);
    o.from_ms = body.value("from_ms", Timestamp{0});
    o.until_ms = body.value("until_ms", Timestamp{0});
    o.notice_s = body.value("notice_s", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return Problem(400, "Bad Request", std::string("offer: ") + e.what() +
                                           "; expected {\"site\", \"pool\", \"kind\": on_demand|spot|reserved, "
                                           "\"price_cny_per_scu_h\", \"min_price_cny_per_scu_h\", \"from_ms\", "
                                           "\"until_ms\", \"notice_s\"}");
  }
  auto site = network_.SiteIndex(o.site);
  if (!site) return Problem(400, "Bad Request", "offer: field 'site': '" + o.site + "' is not a site of the network");
  const Site& s = network_.sites[*site];
  if (!who.Is({"admin"}) && s.owner != who.tenant) {
    return Problem(403, "Forbidden", "site '" + o.site + "' belongs to '" + s.owner + "', not to '" + who.tenant + "'");
  }
  const auto& pools = SitePools(*site);
  if (std::none_of(pools.begin(), pools.end(), [&](const Pool& p) { return p.id == o.pool; })) {
    return Problem(400, "Bad Request", "offer: field 'pool': site '" + o.site + "' has no pool '" + o.pool + "'");
  }
  if (auto kind = ParseOfferKind(o.kind); !kind) return Problem(400, "Bad Request", "offer: field 'kind': " + kind.error().message);
  if (!(price > 0) || !std::isfinite(price)) {
    return Problem(400, "Bad Request", "offer: field 'price_cny_per_scu_h': " + std::to_string(price) + " must be > 0");
  }
  if (!(min_price > 0) || min_price > price) {
    return Problem(400, "Bad Request", "offer: field 'min_price_cny_per_scu_h': " + std::to_string(min_price) +
                                           " must be > 0 and at most the price " + std::to_string(price));
  }
  if (o.until_ms != 0 && o.until_ms <= o.from_ms) {
    return Problem(400, "Bad Request", "offer: field 'until_ms': " + std::to_string(o.until_ms) + " must be after from_ms " +
                                           std::to_string(o.from_ms));
  }
  if (o.notice_s < 0) return Problem(400, "Bad Request", "offer: field 'notice_s': must not be negative");
  if (o.kind == "reserved" && o.until_ms <= clock_.Now()) {
    return Problem(400, "Bad Request", "offer: field 'until_ms': a reserved offer needs a window that ends in the future "
                                       "(its buyer pays for the whole window)");
  }
  o.provider = s.owner;
  o.price = ToMicros(price);
  o.min_price = ToMicros(min_price);
  o.created_ms = clock_.Now();
  auto done = committer_->Run([&](Transaction& tx) -> Result<void> {
    SW_TRY(id, tx.InsertOffer(o));
    o.id = id;
    SW_CHECK(tx.AppendAudit(o.created_ms, who.tenant + "/" + who.role, "market.offer", "offer/" + std::to_string(id),
                            o.site + "/" + o.pool + " " + o.kind + " " + FormatCny(o.price)));
    return {};
  });
  if (!done) return ProblemFor(done.error());
  return Json(201, OfferJson(o).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ControlPlaneImpl::ListOffers(const std::map<std::string, std::string>& query, const Caller& who) {
  // The book is public (a market's asks are); withdrawn and expired ones only to their owner.
  const bool all = query.contains("all");
  auto tx = store_->Begin();
  if (!tx) return ProblemFor(tx.error());
  auto offers = (*tx)->ListOffers(all ? 0 : clock_.Now());
  if (!offers) return ProblemFor(offers.error());
  nlohmann::json list = nlohmann::json::array();
  for (const StoredOffer& o : *offers) {
    if (all && !who.SeesEverything() && o.provider != who.tenant) continue;
    list.push_back(OfferJson(o));
  }
  return Json(200, nlohmann::json{{"offers", list}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ControlPlaneImpl::WithdrawOffer(uint64_t id, const Caller& who) {
  const Timestamp now = clock_.Now();
  StoredOffer offer;
  auto done = committer_->Run([&](Transaction& tx) -> Result<void> {
    SW_TRY(all, tx.ListOffers(0));
    auto it = std::find_if(all.begin(), all.end(), [&](const StoredOffer& o) { return o.id == id; });
    if (it == all.end() || (!who.Is({"admin"}) && it->provider != who.tenant)) {
      return MakeError(ErrorCode::kNotFound, "offer " + std::to_string(id) + " not found");
    }
    SW_TRY(withdrawn, tx.WithdrawOffer(id, now));
    offer = withdrawn;
    SW_CHECK(tx.AppendAudit(now, who.tenant + "/" + who.role, "market.withdraw", "offer/" + std::to_string(id), offer.site));
    return {};
  });
  if (!done) return ProblemFor(done.error());
  return Json(200, OfferJson(offer).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Result<std::optional<uint64_t>> ControlPlaneImpl::CoveringReservation(Transaction& tx, const std::string& tenant,
                                                                     size_t site, const std::string& gpu_model,
                                                                     Timestamp at) {
  SW_TRY(offers, tx.ListOffers(at));
  std::vector<PoolMarket> pools;
  {
    std::lock_guard lock(market_mutex_);
    if (site < pool_markets_.size()) pools = pool_markets_[site];
  }
  for (const StoredOffer& o : offers) {
    if (o.kind != "reserved" || o.reserved_for != tenant || o.site != network_.sites[site].id) continue;
    for (const PoolMarket& pm : pools) {
      if (pm.pool == o.pool && (gpu_model.empty() ? !pm.gpu : pm.model == gpu_model)) return std::optional<uint64_t>(o.id);
    }
  }
  return std::optional<uint64_t>();
}

PoolReservations ControlPlaneImpl::StoredReservations() {
  PoolReservations event;
  const Timestamp now = clock_.Now();
  auto tx = store_->Begin();
  if (!tx) return event;
  auto offers = (*tx)->ListOffers(0);
  (*tx)->Rollback();
  if (!offers) return event;
  for (const StoredOffer& o : *offers) {
    auto site = network_.SiteIndex(o.site);
    if (!site || o.kind != "reserved" || o.reserved_for.empty() || o.withdrawn_ms != 0) continue;
    if (o.until_ms != 0 && o.until_ms <= now) continue;  // over: nothing left to reclaim
    event.reservations.push_back(PoolReservation{*site, o.pool, o.reserved_for, o.from_ms, o.until_ms});
  }
  return event;
}

HttpResponse ControlPlaneImpl::ReserveOffer(uint64_t id, const Caller& who) {
  if (!meter_) return Problem(409, "Conflict", "no market: the server runs without a data folder");
  const Timestamp now = clock_.Now();
  StoredOffer offer;
  LedgerTxn txn;
  auto done = committer_->Run([&](Transaction& tx) -> Result<void> {
    SW_TRY(all, tx.ListOffers(0));
    auto it = std::find_if(all.begin(), all.end(), [&](const StoredOffer& o) { return o.id == id; });
    if (it == all.end()) return MakeError(ErrorCode::kNotFound, "offer " + std::to_string(id) + " not found");
    if (it->until_ms != 0 && it->until_ms <= now) {
      return MakeError(ErrorCode::kConflict, "offer " + std::to_string(id) + ": its window ended");
    }
    double scu = 0;
    {
      std::lock_guard lock(market_mutex_);
      const auto site = network_.SiteIndex(it->site);
      for (const PoolMarket& pm : site ? pool_markets_[*site] : std::vector<PoolMarket>{}) {
        if (pm.pool == it->pool) scu = pm.units * pm.scu_per_unit;
      }
    }
    const double hours = static_cast<double>(it->until_ms - std::max(it->from_ms, now)) / 3.6e6;
    const Micros amount = std::llround(static_cast<double>(it->price) * scu * hours);
    {
      std::lock_guard lock(funds_mutex_);
      if (auto b = prepaid_.find(who.tenant); b != prepaid_.end() && b->second < amount) {
        return MakeError(ErrorCode::kPermissionDenied, "tenant '" + who.tenant + "': balance " + FormatCny(b->second) +
                                                           " CNY does not cover the reservation's " + FormatCny(amount) + " CNY");
      }
    }
    SW_TRY(sold, tx.ReserveOffer(id, who.tenant));
    offer = sold;
    const Micros fee = std::llround(static_cast<double>(amount) * meter_->scu.platform_fee());
    char memo[200];
    std::snprintf(memo, sizeof memo, "reservation of %s/%s: %.3f SCU x %.4f h x %s CNY", offer.site.c_str(),
                  offer.pool.c_str(), scu, hours, FormatCny(offer.price).c_str());
    txn = LedgerTxn{"reservation/" + std::to_string(id), "reservation", now, memo,
                    {{TenantAccount(who.tenant), amount, 0}, {ProviderAccount(offer.site), 0, amount - fee},
                     {std::string(kFeesAccount), 0, fee}}};
    SW_CHECK(tx.AppendLedger(txn));
    SW_CHECK(tx.AppendAudit(now, who.tenant + "/" + who.role, "market.reserve", "offer/" + std::to_string(id),
                            txn.id + " " + FormatCny(amount)));
    RefreshBalance(tx, who.tenant);
    return {};
  });
  if (!done) {
    if (done.error().code == ErrorCode::kPermissionDenied) return Problem(402, "Payment Required", done.error().message);
    return ProblemFor(done.error());
  }
  Apply(StoredReservations());  // the buyer may reclaim the pool from now on (in its window)
  nlohmann::json answer = OfferJson(offer);
  answer["charged_cny"] = FormatCny(txn.lines[0].debit);
  answer["txn"] = txn.id;
  return Json(200, answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ControlPlaneImpl::ListPrices(const std::map<std::string, std::string>& query) {
  PriceFilter filter;
  if (auto it = query.find("hub"); it != query.end()) filter.hub = it->second;
  if (auto it = query.find("class"); it != query.end()) filter.compute_class = it->second;
  auto from = QueryInt(query, "from", 0);
  auto to = QueryInt(query, "to", 0);
  if (!from) return ProblemFor(from.error());
  if (!to) return ProblemFor(to.error());
  filter.from_ms = *from;
  filter.to_ms = *to;
  auto tx = store_->Begin();
  if (!tx) return ProblemFor(tx.error());
  auto prices = (*tx)->ListPrices(filter);
  if (!prices) return ProblemFor(prices.error());
  nlohmann::json list = nlohmann::json::array();
  for (const StoredPrice& p : *prices) {
    list.push_back({{"slot_ms", p.slot_ms}, {"hub", p.hub}, {"class", p.compute_class},
                    {"price_cny_per_scu_h", FormatCny(p.price)}, {"traded", p.traded}, {"offered_scu", p.offered_scu},
                    {"sold_scu", p.sold_scu}, {"demand_scu", p.demand_scu}});
  }
  return Json(200, nlohmann::json{{"prices", list}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ControlPlaneImpl::ListBids(const Caller& who) {
  nlohmann::json list = nlohmann::json::array();
  const double list_price = meter_ ? meter_->scu.list_price_cny_per_scu_h() : 0;
  std::lock_guard lock(jobs_mutex_);
  for (const auto& [id, spec] : specs_) {
    if (!who.Sees(spec.tenant)) continue;
    list.push_back({{"job", id}, {"tenant", spec.tenant}, {"name", spec.name},
                    {"max_price_cny_per_scu_h", spec.max_price > 0 ? spec.max_price : list_price},
                    {"at_list_price", spec.max_price <= 0}});
  }
  return Json(200, nlohmann::json{{"bids", list}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ControlPlaneImpl::ProviderStatement(const std::string& site, const std::map<std::string, std::string>& query,
                                                 const Caller& who) {
  auto index = network_.SiteIndex(site);
  if (!index) return Problem(404, "Not Found", "site '" + site + "' is not in the network");
  if (!who.SeesEverything() && network_.sites[*index].owner != who.tenant) {
    return Problem(403, "Forbidden", "site '" + site + "' belongs to '" + network_.sites[*index].owner + "', not to '" +
                                         who.tenant + "': providers see only their own pools' earnings");
  }
  auto from = QueryInt(query, "from", 0);
  auto to = QueryInt(query, "to", clock_.Now() + 1);
  if (!from) return ProblemFor(from.error());
  if (!to) return ProblemFor(to.error());
  auto tx = store_->Begin();
  if (!tx) return ProblemFor(tx.error());
  const std::string account = ProviderAccount(site);
  auto entries = ReadAccount(**tx, account);
  if (!entries) return ProblemFor(entries.error());
  const Statement s = BuildStatement(*entries, account, *from, *to);
  nlohmann::json lines = nlohmann::json::array();
  for (const LedgerEntry& e : s.lines) {
    lines.push_back({{"seq", e.seq}, {"txn", e.txn}, {"at_ms", e.at_ms}, {"memo", e.memo},
                     {"earned_cny", FormatCny(e.credit)}, {"debit_cny", FormatCny(e.debit)}});
  }
  return Json(200, nlohmann::json{{"site", site}, {"provider", network_.sites[*index].owner}, {"from_ms", *from},
                                  {"to_ms", *to}, {"opening_cny", FormatCny(s.opening)},
                                  {"earned_cny", FormatCny(s.credits)}, {"closing_cny", FormatCny(s.closing)},
                                  {"lines", lines}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace suanwang
