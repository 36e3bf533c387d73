#include "engine/scheduler.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace suanwang {
namespace {

bool QueueBefore(const JobSpec& a, const JobSpec& b) {
  if (a.priority != b.priority) return a.priority > b.priority;
  if (a.submit_ms != b.submit_ms) return a.submit_ms < b.submit_ms;
  return a.id < b.id;
}

std::string GpuText(int64_t milli) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g GPU", static_cast<double>(milli) / kMilliGpu);
  return buf;
}

}  // namespace

std::string_view CommandKindName(CommandKind kind) {
  switch (kind) {
    case CommandKind::kStart: return "start";
    case CommandKind::kQueue: return "queue";
    case CommandKind::kReject: return "reject";
    case CommandKind::kPreempt: return "preempt";
  }
  return "?";
}

Scheduler::Scheduler(const Network& network, SchedulerConfig config, PolicyContext context)
    : network_(network), config_(std::move(config)), context_(std::move(context)), rng_(config_.seed) {}

Result<std::unique_ptr<Scheduler>> Scheduler::Create(const Network& network, GpuModelTable& models,
                                                      SchedulerConfig config, PolicyContext context) {
  std::vector<std::vector<NodeSpec>> site_nodes;
  for (size_t i = 0; i < network.sites.size(); ++i) {
    auto nodes = network.SiteNodes(i, models);
    if (!nodes) return std::unexpected(nodes.error());
    site_nodes.push_back(std::move(*nodes));
  }
  return Create(network, models, std::move(config), std::move(context), std::move(site_nodes));
}

Result<std::unique_ptr<Scheduler>> Scheduler::Create(const Network& network, GpuModelTable& models,
                                                      SchedulerConfig config, PolicyContext context,
                                                      std::vector<std::vector<NodeSpec>> site_nodes) {
  if (site_nodes.size() != network.sites.size()) {
    return MakeError(ErrorCode::kInvalidArgument, std::to_string(site_nodes.size()) + " node lists for " +
                                                      std::to_string(network.sites.size()) + " sites");
  }
  context.gpu_models = &models;
  std::unique_ptr<Scheduler> s(new Scheduler(network, std::move(config), std::move(context)));
  for (size_t i = 0; i < network.sites.size(); ++i) {
    auto state = ClusterState::Create(std::move(site_nodes[i]));
    if (!state) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "site '" + network.sites[i].id + "': " + state.error().message);
    }
    auto policy = MakePolicy(s->config_.node_policy, s->context_);
    if (!policy) return std::unexpected(policy.error());
    s->sites_.push_back(SiteRuntime{std::move(*state), std::move(*policy)});
  }
  s->site_it_w_.assign(network.sites.size(), 0.0);
  s->cost_model_ = std::make_unique<WeightedCostModel>(s->config_.cost_weights, s->config_.energy.get(), &models);
  s->selector_ = std::make_unique<SiteSelector>(network, *s->cost_model_);
  return s;
}

int64_t Scheduler::tenant_gpu_milli(const std::string& tenant) const {
  auto it = usage_.find(tenant);
  return it == usage_.end() ? 0 : it->second.gpu_milli;
}

Result<void> Scheduler::Validate(const JobSpec& job) const {
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidArgument, "job " + std::to_string(job.id) + ": " + why);
  };
  if (job.tasks < 1) return bad("tasks " + std::to_string(job.tasks) + " must be at least 1");
  if (job.task.cpu_milli < 0 || job.task.memory_mib < 0) return bad("negative CPU or memory");
  if (job.task.gpu_count < 0 || job.task.gpu_milli < 0 || job.task.gpu_milli > kMilliGpu) {
    return bad("gpus must be whole GPUs or one share of a GPU (0 < share <= 1)");
  }
  if (job.task.gpu_count > 1 && job.task.gpu_milli != kMilliGpu) {
    return bad("a task with several GPUs must ask for whole GPUs");
  }
  if (job.tier != Tier::kAny && !network_.PlaceIndex(job.origin)) {
    return bad("origin '" + job.origin + "' is not a place of network '" + network_.name + "'");
  }
  if (!job.data_place.empty() && !network_.PlaceIndex(job.data_place)) {
    return bad("data place '" + job.data_place + "' is not a place of the network");
  }
  if (job.data_gb < 0) return bad("negative data size");
  for (const std::string& hub : job.allowed_hubs) {
    if (!network_.HubIndex(hub)) return bad("allowed hub '" + hub + "' is not a hub of the network");
  }
  if (running_.contains(job.id) || deferred_.contains(job.id) ||
      std::any_of(queue_.begin(), queue_.end(), [&](const JobSpec& q) { return q.id == job.id; })) {
    return MakeError(ErrorCode::kConflict, "job " + std::to_string(job.id) + " already exists");
  }
  return {};
}

std::string Scheduler::QuotaProblem(const JobSpec& job, bool alone) const {
  auto q = config_.quotas.find(job.tenant);
  if (q == config_.quotas.end()) return "";
  Usage used = alone ? Usage{} : [&] {
    auto it = usage_.find(job.tenant);
    return it == usage_.end() ? Usage{} : it->second;
  }();
  if (q->second.gpu_milli >= 0 && used.gpu_milli + job.TotalGpuMilli() > q->second.gpu_milli) {
    return "tenant '" + job.tenant + "' GPU quota " + GpuText(q->second.gpu_milli) + (alone ? "" : ", in use " + GpuText(used.gpu_milli)) +
           ", job asks " + GpuText(job.TotalGpuMilli());
  }
  if (q->second.cpu_milli >= 0 && used.cpu_milli + job.TotalCpuMilli() > q->second.cpu_milli) {
    return "tenant '" + job.tenant + "' CPU quota " + std::to_string(q->second.cpu_milli / 1000) +
           " cores, job asks " + std::to_string(job.TotalCpuMilli() / 1000);
  }
  return "";
}

std::vector<SiteView> Scheduler::Views() const {
  std::vector<SiteView> views;
  for (size_t i = 0; i < sites_.size(); ++i) views.push_back(SiteView{i, &sites_[i].state, 0, true});
  return views;
}

void Scheduler::StartOn(const JobSpec& job, size_t site, std::vector<Placement> placements,
                        Timestamp now, std::vector<Command>& out, const std::string& why) {
  Usage& u = usage_[job.tenant];
  u.gpu_milli += job.TotalGpuMilli();
  u.cpu_milli += job.TotalCpuMilli();
  out.push_back(Command{CommandKind::kStart, job.id, site, placements, why, std::nullopt, {}});
  const double it_w = JobPowerW(job, site);
  running_[job.id] = Running{job, site, std::move(placements), now, it_w};
  site_it_w_[site] += it_w;
  Unreserve(job.id);
}

bool Scheduler::TryStart(const JobSpec& job, const std::vector<size_t>& sites, Timestamp now,
                         std::vector<Command>& out) {
  for (size_t site : sites) {
    SiteRuntime& rt = sites_[site];
    if (!rt.up) continue;
    if (!CoolingProblem(job, site, false).empty()) continue;
    if (auto r = reserved_.find(site); r != reserved_.end() && r->second != job.id) continue;
    GangDecision g = PlaceGang(*rt.policy, job.task, job.tasks, rt.state, rng_);
    if (g.kind != DecisionKind::kPlaced) continue;
    const CostBreakdown cost = cost_model_->Explain(job, network_, SiteView{site, &rt.state, 0, true}, now);
    StartOn(job, site, std::move(g.placements), now, out, "cost " + cost.Describe());
    out.back().costs.emplace_back(site, cost);
    for (size_t other : sites) {
      if (other == site) continue;
      out.back().costs.emplace_back(
          other, cost_model_->Explain(job, network_, SiteView{other, &sites_[other].state, 0, true}, now));
      break;
    }
    return true;
  }
  return false;
}

const PoolReservation* Scheduler::Reclaims(const JobSpec& job, const Running& victim, Timestamp now) const {
  if (victim.job.tenant == job.tenant) return nullptr;
  for (const PoolReservation& r : reservations_) {
    if (r.site != victim.site || r.tenant != job.tenant || now < r.from_ms || (r.until_ms != 0 && now >= r.until_ms)) {
      continue;
    }
    const std::string prefix = network_.sites[r.site].id + "/" + r.pool + "/";
    const ClusterState& st = sites_[r.site].state;
    for (const Placement& p : victim.placements) {
      if (st.spec(p.node).name.starts_with(prefix)) return &r;
    }
  }
  return nullptr;
}

bool Scheduler::TryPreempt(const JobSpec& job, const std::vector<size_t>& sites, Timestamp now,
                           std::vector<Command>& out) {
  for (size_t site : sites) {
    if (!sites_[site].up) continue;
    std::vector<const Running*> candidates;
    for (const auto& [id, r] : running_) {
      if (r.site == site && (r.job.priority < job.priority || Outbids(job, r.job) || Reclaims(job, r, now))) {
        candidates.push_back(&r);
      }
    }
    if (candidates.empty()) continue;
    // Cheapest victims first: lowest priority, then the lowest bid, then the most recently
    // started (least work lost).
    std::stable_sort(candidates.begin(), candidates.end(), [](const Running* a, const Running* b) {
      if (a->job.priority != b->job.priority) return a->job.priority < b->job.priority;
      if (a->job.max_price != b->job.max_price) return a->job.max_price < b->job.max_price;
      return a->started > b->started;
    });
    auto fits_without = [&](const std::vector<const Running*>& victims) {
      ClusterState trial = sites_[site].state;
      for (const Running* v : victims) {
        for (const Placement& p : v->placements) (void)trial.Release(p, v->job.task);
      }
      auto policy = MakePolicy(config_.node_policy, context_);
      Rng rng(config_.seed);
      return PlaceGang(**policy, job.task, job.tasks, trial, rng).kind == DecisionKind::kPlaced;
    };
    std::vector<const Running*> victims;
    bool fits = false;
    for (const Running* c : candidates) {
      victims.push_back(c);
      if (fits_without(victims)) {
        fits = true;
        break;
      }
    }
    if (!fits) continue;
    // Make the set irreducible: drop every victim the job can do without.
    for (size_t i = victims.size(); i-- > 0;) {
      std::vector<const Running*> fewer = victims;
      fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
      if (!fewer.empty() && fits_without(fewer)) victims = std::move(fewer);
    }
    // Commit: evict, then place for real.
    std::vector<Running> evicted;
    for (const Running* v : victims) evicted.push_back(*v);
    for (const Running& v : evicted) Stop(v.job.id);
    SiteRuntime& rt = sites_[site];
    GangDecision g = PlaceGang(*rt.policy, job.task, job.tasks, rt.state, rng_);
    if (g.kind != DecisionKind::kPlaced) {
      // Should not happen (same state, same policy); restore the victims untouched.
      for (const Running& v : evicted) {
        for (const Placement& p : v.placements) (void)rt.state.Allocate(p, v.job.task);
        Usage& u = usage_[v.job.tenant];
        u.gpu_milli += v.job.TotalGpuMilli();
        u.cpu_milli += v.job.TotalCpuMilli();
        site_it_w_[v.site] += v.it_w;
        running_[v.job.id] = v;
      }
      continue;
    }
    for (const Running& v : evicted) {
      char why[200];
      if (v.job.priority < job.priority) {
        std::snprintf(why, sizeof why, "priority %d > %d", job.priority, v.job.priority);
      } else if (const PoolReservation* r = Reclaims(job, v, now)) {
        std::snprintf(why, sizeof why, "reserved: tenant '%s' holds pool %s of site %s", r->tenant.c_str(),
                      r->pool.c_str(), network_.sites[r->site].id.c_str());
      } else {
        std::snprintf(why, sizeof why, "spot: it bids %.6f > %.6f CNY/SCU-h", job.max_price, v.job.max_price);
      }
      char buf[400];
      std::snprintf(buf, sizeof buf,
                    "preempted for job %llu (%s): frees %s and %.3g cores on site %s; "
                    "%zu victim(s), each one needed",
                    static_cast<unsigned long long>(job.id), why, GpuText(v.job.TotalGpuMilli()).c_str(),
                    static_cast<double>(v.job.TotalCpuMilli()) / 1000, network_.sites[site].id.c_str(), evicted.size());
      out.push_back(Command{CommandKind::kPreempt, v.job.id, site, {}, buf, std::nullopt, {}});
    }
    StartOn(job, site, std::move(g.placements), now, out,
            "after preempting " + std::to_string(evicted.size()) + " lower-priority or lower-bidding spot job(s)");
    return true;
  }
  return false;
}

void Scheduler::Stop(JobId id) {
  auto it = running_.find(id);
  if (it == running_.end()) return;
  Running& r = it->second;
  for (const Placement& p : r.placements) (void)sites_[r.site].state.Release(p, r.job.task);
  Usage& u = usage_[r.job.tenant];
  u.gpu_milli -= r.job.TotalGpuMilli();
  u.cpu_milli -= r.job.TotalCpuMilli();
  site_it_w_[r.site] = std::max(0.0, site_it_w_[r.site] - r.it_w);
  running_.erase(it);
}

bool Scheduler::ApplyRegisteredNodes(size_t site, Timestamp now, std::vector<Command>& out) {
  auto it = registered_nodes_.find(site);
  if (it == registered_nodes_.end()) return false;
  for (const auto& [id, r] : running_) {
    if (r.site == site) return false;  // when the last job there stops
  }
  sites_[site].state = std::move(it->second);
  registered_nodes_.erase(it);
  // A fresh policy: policies may keep what they learned about the old nodes.
  if (auto policy = MakePolicy(config_.node_policy, context_)) sites_[site].policy = std::move(*policy);
  RetryQueue(site, now, out);
  return true;
}

std::vector<Command> Scheduler::Submit(const JobSpec& job, Timestamp now) {
  std::vector<Command> out;
  if (std::string quota = QuotaProblem(job, true); !quota.empty()) {
    out.push_back(Command{CommandKind::kReject, job.id, std::nullopt, {}, "can never fit: " + quota, std::nullopt, {}});
    return out;
  }
  std::vector<SiteView> views = Views();
  SiteDecision choice = selector_->Choose(job, views, now, context_.gpu_models);
  if (choice.kind == DecisionKind::kUnsatisfiable) {
    out.push_back(Command{CommandKind::kReject, job.id, std::nullopt, {}, choice.reason, std::nullopt, {}});
    return out;
  }
  // Sites whose cooling could never take the job's heat are not eligible.
  std::string cooling;
  std::erase_if(choice.eligible, [&](size_t site) {
    std::string why = CoolingProblem(job, site, true);
    if (!why.empty() && cooling.empty()) cooling = network_.sites[site].id + ": " + why;
    return !why.empty();
  });
  if (choice.eligible.empty()) {
    out.push_back(Command{CommandKind::kReject, job.id, std::nullopt, {}, "can never fit: " + cooling, std::nullopt, {}});
    return out;
  }
  if (std::string priced_out = DropPricedOut(job, choice.eligible); !priced_out.empty()) {
    queue_.insert(std::upper_bound(queue_.begin(), queue_.end(), job, QueueBefore), job);
    queued_reason_[job.id] = priced_out;
    out.push_back(Command{CommandKind::kQueue, job.id, std::nullopt, {}, priced_out, std::nullopt, {}});
    return out;
  }
  if (job.start_by_ms > now) {
    std::string why;
    const Timestamp wake = PlanStart(job, choice.eligible, now, why);
    if (wake > now) {
      deferred_[job.id] = {wake, job};
      Command c{CommandKind::kQueue, job.id, std::nullopt, {}, why, std::nullopt, {}};
      c.wake_ms = wake;
      out.push_back(std::move(c));
      return out;
    }
  }
  std::string quota = QuotaProblem(job, false);
  if (quota.empty() && TryStart(job, choice.eligible, now, out)) return out;
  if (quota.empty() && config_.preemption && TryPreempt(job, choice.eligible, now, out)) return out;
  const bool all_down = std::none_of(choice.eligible.begin(), choice.eligible.end(),
                                     [&](size_t s) { return sites_[s].up; });
  std::string why = !quota.empty() ? "busy: " + quota
                    : all_down     ? "waiting: all " + std::to_string(choice.eligible.size()) +
                                     " eligible sites are down (no live agent)"
                                   : "busy: " + std::to_string(choice.eligible.size()) +
                                         " eligible sites, none has room for the gang now";
  queue_.insert(std::upper_bound(queue_.begin(), queue_.end(), job, QueueBefore), job);
  queued_reason_[job.id] = why;
  out.push_back(Command{CommandKind::kQueue, job.id, std::nullopt, {}, why, std::nullopt, {}});
  return out;
}

std::string Scheduler::DropPricedOut(const JobSpec& job, std::vector<size_t>& sites) const {
  if (job.max_price <= 0 || sites.empty()) return "";
  double lowest = std::numeric_limits<double>::infinity();
  size_t cheapest = sites.front();
  std::erase_if(sites, [&](size_t site) {
    const double price = cost_model_->ScuPrice(job, site);
    if (price < lowest) {
      lowest = price;
      cheapest = site;
    }
    return price > job.max_price;
  });
  if (!sites.empty()) return "";
  char why[256];
  std::snprintf(why, sizeof why,
                "waiting: the market price of every eligible site is above the job's max_price %.6f CNY/SCU-h "
                "(lowest %.6f at %s)",
                job.max_price, lowest, network_.sites[cheapest].id.c_str());
  return why;
}

Timestamp Scheduler::PlanStart(const JobSpec& job, const std::vector<size_t>& eligible, Timestamp now,
                               std::string& why) const {
  const CostWeights& w = config_.cost_weights;
  if (!config_.energy || (w.carbon == 0 && w.money == 0) || eligible.empty()) return now;
  struct Best {
    double cost = 0;
    size_t site = 0;
    EnergyAccount energy;
  };
  auto best_at = [&](Timestamp t) {
    Best best{std::numeric_limits<double>::infinity(), 0, {}};
    for (size_t site : eligible) {
      const EnergyAccount e = cost_model_->JobEnergy(job, site, t);
      const double cost = w.carbon * e.carbon_kg + w.money * e.cost_cny;
      if (cost < best.cost) best = Best{cost, site, e};
    }
    return best;
  };
  constexpr Timestamp kHourMs = 3'600'000;
  const Best at_now = best_at(now);
  Best chosen = at_now;
  Timestamp when = now;
  double chosen_total = at_now.cost;
  for (Timestamp t = (now / kHourMs + 1) * kHourMs; t <= job.start_by_ms; t += kHourMs) {
    const Best b = best_at(t);
    const double total = b.cost + w.wait * static_cast<double>(t - now) / 1000;
    if (total < chosen_total) {
      chosen = b;
      when = t;
      chosen_total = total;
    }
  }
  if (when == now || chosen.cost > at_now.cost * (1 - config_.defer_min_saving)) return now;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "deferred %.1f h inside its start window for cleaner/cheaper power: at %s then %.3g kg CO2e, "
                "%.3g CNY vs %.3g kg, %.3g CNY now at %s",
                static_cast<double>(when - now) / kHourMs, network_.sites[chosen.site].id.c_str(),
                chosen.energy.carbon_kg, chosen.energy.cost_cny, at_now.energy.carbon_kg, at_now.energy.cost_cny,
                network_.sites[at_now.site].id.c_str());
  why = buf;
  return when;
}

double Scheduler::JobPowerW(const JobSpec& job, size_t site) const {
  if (!config_.energy || !context_.gpu_models) return 0;
  return config_.energy->JobItPowerW(job, site, *context_.gpu_models);
}

std::string Scheduler::CoolingProblem(const JobSpec& job, size_t site, bool alone) const {
  if (!config_.energy) return "";
  const double capacity_w = config_.energy->site(site).cooling_capacity_kw * 1000;
  if (capacity_w <= 0) return "";
  const double job_w = JobPowerW(job, site);
  const double load_w = alone ? 0 : site_it_w_[site];
  if (load_w + job_w <= capacity_w) return "";
  char buf[200];
  std::snprintf(buf, sizeof buf, "cooling: %.1f kW of heat%s exceeds the site's %.1f kW", job_w / 1000,
                alone ? "" : (" on top of " + std::to_string(static_cast<int>(load_w / 1000)) + " kW running").c_str(),
                capacity_w / 1000);
  return buf;
}

std::vector<double> Scheduler::HeatForecastKw(size_t site, Timestamp now, int hours) const {
  if (!config_.energy) return {};
  std::vector<double> kw(static_cast<size_t>(std::max(0, hours)), 0.0);
  for (const auto& [id, r] : running_) {
    if (r.site != site) continue;
    const double run_s = r.job.duration_s > 0 ? r.job.duration_s : kDefaultRunS;
    const Timestamp end = r.started + static_cast<Timestamp>(run_s * 1000);
    const double power_kw = r.it_w / 1000;
    for (size_t h = 0; h < kw.size(); ++h) {
      // Still running at the start of hour h (the current hour counts whatever runs now).
      if (h == 0 || end > now + static_cast<Timestamp>(h) * 3'600'000) kw[h] += power_kw;
    }
  }
  return kw;
}

std::optional<Timestamp> Scheduler::next_wake() const {
  std::optional<Timestamp> first;
  for (const auto& [id, d] : deferred_) {
    if (!first || d.first < *first) first = d.first;
  }
  for (Timestamp at : window_opens_) {
    if (!first || at < *first) first = at;
  }
  return first;
}

void Scheduler::ReclaimReserved(Timestamp now, std::vector<Command>& out) {
  std::erase_if(window_opens_, [&](Timestamp at) { return at <= now; });
  for (size_t i = 0; i < queue_.size();) {
    const JobSpec job = queue_[i];
    std::vector<size_t> sites;
    for (const PoolReservation& r : reservations_) {
      const bool open = r.tenant == job.tenant && now >= r.from_ms && (r.until_ms == 0 || now < r.until_ms);
      if (!open || std::find(sites.begin(), sites.end(), r.site) != sites.end() || !sites_[r.site].up) continue;
      if (selector_->WhyNot(job, SiteView{r.site, &sites_[r.site].state, 0, true}).empty()) sites.push_back(r.site);
    }
    const bool started = !sites.empty() && QuotaProblem(job, false).empty() &&
                         (TryStart(job, sites, now, out) || (config_.preemption && TryPreempt(job, sites, now, out)));
    if (!started) {
      ++i;
      continue;
    }
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
    queued_reason_.erase(job.id);
    Unreserve(job.id);
  }
}

std::vector<Command> Scheduler::WakeDeferred(Timestamp now) {
  std::vector<std::pair<Timestamp, JobSpec>> due;
  for (auto it = deferred_.begin(); it != deferred_.end();) {
    if (it->second.first <= now) {
      due.push_back(std::move(it->second));
      it = deferred_.erase(it);
    } else {
      ++it;
    }
  }
  std::stable_sort(due.begin(), due.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Command> out;
  for (auto& [wake, job] : due) {
    job.start_by_ms = 0;  // its hour has come: placed like any other job now
    for (Command& c : Submit(job, now)) out.push_back(std::move(c));
  }
  return out;
}

void Scheduler::RetryQueue(std::optional<size_t> freed_site, Timestamp now, std::vector<Command>& out) {
  int examined = 0;
  for (size_t i = 0; i < queue_.size() && examined < config_.backfill_depth;) {
    const JobSpec job = queue_[i];
    ++examined;
    if (!QuotaProblem(job, false).empty()) {
      ++i;
      continue;
    }
    std::vector<size_t> sites;
    if (Urgent(job, now)) {
      sites = selector_->Choose(job, Views(), now, context_.gpu_models).eligible;
      Reserve(job, sites);
    } else if (freed_site) {
      if (selector_->WhyNot(job, SiteView{*freed_site, &sites_[*freed_site].state, 0, true}).empty()) {
        sites.push_back(*freed_site);
      }
    } else {
      sites = selector_->Choose(job, Views(), now, context_.gpu_models).eligible;
    }
    DropPricedOut(job, sites);
    if (!sites.empty() && TryStart(job, sites, now, out)) {
      queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
      queued_reason_.erase(job.id);
      continue;
    }
    ++i;
  }
}

bool Scheduler::Urgent(const JobSpec& job, Timestamp now) const {
  if (!job.deadline_ms) return false;
  const auto run_ms = static_cast<Timestamp>((job.duration_s > 0 ? job.duration_s : kDefaultRunS) * 1000);
  const Timestamp slack = *job.deadline_ms - job.submit_ms - run_ms;
  return now >= job.submit_ms + slack / 2;
}

std::optional<Timestamp> Scheduler::ExpectedRoom(const JobSpec& job, size_t site, Timestamp now) const {
  const bool gpu = job.task.UsesGpu();
  const int64_t need = gpu ? job.TotalGpuMilli() : job.TotalCpuMilli();
  const ClusterState& st = sites_[site].state;
  int64_t free = gpu ? st.idle_gpu_milli() : st.total_cpu_milli() - UsedCpuMilli(site);
  if (free >= need) return now;
  std::vector<std::pair<Timestamp, int64_t>> ends;
  for (const auto& [id, r] : running_) {
    if (r.site != site) continue;
    const double run_s = r.job.duration_s > 0 ? r.job.duration_s : kDefaultRunS;
    ends.emplace_back(r.started + static_cast<Timestamp>(run_s * 1000), gpu ? r.job.TotalGpuMilli() : r.job.TotalCpuMilli());
  }
  std::sort(ends.begin(), ends.end());
  for (const auto& [at, frees] : ends) {
    free += frees;
    if (free >= need) return std::max(at, now);
  }
  return std::nullopt;
}

void Scheduler::Reserve(const JobSpec& job, const std::vector<size_t>& eligible) {
  for (const auto& [site, holder] : reserved_) {
    if (holder == job.id) return;
  }
  // The site where enough GPUs (cores for CPU jobs) are expected to be free soonest.
  std::optional<size_t> best;
  Timestamp best_at = std::numeric_limits<Timestamp>::max();
  for (size_t site : eligible) {
    if (!sites_[site].up || reserved_.contains(site)) continue;
    const std::optional<Timestamp> at = ExpectedRoom(job, site, std::numeric_limits<Timestamp>::min());
    if (at && (!best || *at < best_at)) {
      best = site;
      best_at = *at;
    }
  }
  if (best) reserved_[*best] = job.id;
}

int64_t Scheduler::UsedCpuMilli(size_t site) const {
  int64_t used = 0;
  for (const auto& [id, r] : running_) {
    if (r.site == site) used += r.job.TotalCpuMilli();
  }
  return used;
}

void Scheduler::Unreserve(JobId job) {
  std::erase_if(reserved_, [&](const auto& r) { return r.second == job; });
}

std::vector<Command> Scheduler::SetSiteStatus(const SiteStatus& status, Timestamp now) {
  std::vector<Command> out;
  const bool was_up = sites_[status.site].up;
  sites_[status.site].up = status.up;
  if (status.up && !was_up) RetryQueue(status.site, now, out);
  return out;
}

void Scheduler::Restore(const RestoreJob& restore, Timestamp now) {
  SiteRuntime& rt = sites_[restore.site];
  GangDecision g = PlaceGang(*rt.policy, restore.job.task, restore.job.tasks, rt.state, rng_);
  std::vector<Placement> placements;
  if (g.kind == DecisionKind::kPlaced) placements = std::move(g.placements);
  Usage& u = usage_[restore.job.tenant];
  u.gpu_milli += restore.job.TotalGpuMilli();
  u.cpu_milli += restore.job.TotalCpuMilli();
  const double it_w = JobPowerW(restore.job, restore.site);
  running_[restore.job.id] = Running{restore.job, restore.site, std::move(placements), now, it_w};
  site_it_w_[restore.site] += it_w;
}

Result<std::vector<Command>> Scheduler::Apply(const Event& event, Timestamp now) {
  if (const auto* submit = std::get_if<SubmitJob>(&event)) {
    if (auto ok = Validate(submit->job); !ok) return std::unexpected(ok.error());
    return Submit(submit->job, now);
  }
  if (const auto* restore = std::get_if<RestoreJob>(&event)) {
    if (auto ok = Validate(restore->job); !ok) return std::unexpected(ok.error());
    if (restore->site >= sites_.size()) {
      return MakeError(ErrorCode::kInvalidArgument, "site index " + std::to_string(restore->site) + " is not in the network");
    }
    Restore(*restore, now);
    return std::vector<Command>{};
  }
  if (const auto* registered = std::get_if<SiteNodes>(&event)) {
    if (registered->site >= sites_.size()) {
      return MakeError(ErrorCode::kInvalidArgument, "site index " + std::to_string(registered->site) + " is not in the network");
    }
    auto state = ClusterState::Create(registered->nodes);
    if (!state) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "site '" + network_.sites[registered->site].id + "': " + state.error().message);
    }
    registered_nodes_.insert_or_assign(registered->site, std::move(*state));
    std::vector<Command> out;
    ApplyRegisteredNodes(registered->site, now, out);
    return out;
  }
  if (std::holds_alternative<Wake>(event)) {
    std::vector<Command> out = WakeDeferred(now);
    if (!reservations_.empty()) ReclaimReserved(now, out);
    return out;
  }
  if (const auto* prices = std::get_if<SitePrices>(&event)) {
    cost_model_->SetPrices(prices->sites);
    std::vector<Command> out;
    RetryQueue(std::nullopt, now, out);
    return out;
  }
  if (const auto* reserved = std::get_if<PoolReservations>(&event)) {
    for (const PoolReservation& r : reserved->reservations) {
      if (r.site >= sites_.size()) {
        return MakeError(ErrorCode::kInvalidArgument, "reservation: site index " + std::to_string(r.site) +
                                                          " is not in the network");
      }
    }
    reservations_ = reserved->reservations;
    window_opens_.clear();
    for (const PoolReservation& r : reservations_) {
      if (r.from_ms > now) window_opens_.push_back(r.from_ms);
    }
    std::vector<Command> out;
    ReclaimReserved(now, out);  // the buyer's queued work, if the window is open already
    return out;
  }
  if (const auto* status = std::get_if<SiteStatus>(&event)) {
    if (status->site >= sites_.size()) {
      return MakeError(ErrorCode::kInvalidArgument, "site index " + std::to_string(status->site) + " is not in the network");
    }
    return SetSiteStatus(*status, now);
  }
  std::vector<Command> out;
  const JobId id = std::holds_alternative<JobFinished>(event) ? std::get<JobFinished>(event).job
                                                              : std::get<CancelJob>(event).job;
  auto running = running_.find(id);
  if (running != running_.end()) {
    const size_t site = running->second.site;
    Stop(id);
    if (!ApplyRegisteredNodes(site, now, out)) RetryQueue(site, now, out);
    return out;
  }
  auto queued = std::find_if(queue_.begin(), queue_.end(), [&](const JobSpec& j) { return j.id == id; });
  if (queued != queue_.end() && std::holds_alternative<CancelJob>(event)) {
    queue_.erase(queued);
    queued_reason_.erase(id);
    Unreserve(id);
    return out;
  }
  if (std::holds_alternative<CancelJob>(event) && deferred_.erase(id)) return out;
  return MakeError(ErrorCode::kNotFound, "job " + std::to_string(id) + " is not " +
                                             (std::holds_alternative<CancelJob>(event) ? "queued or running" : "running"));
}

}  // namespace suanwang
