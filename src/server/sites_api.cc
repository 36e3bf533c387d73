// Sites: what the network holds, the agents' heartbeats and reports, the dispatch log, and
// what happens when a site's agent falls silent.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <nlohmann/json.hpp>

#include "api/job_codec.h"
#include "server/control_plane_impl.h"
#include "server/dispatch_log.h"
#include "server/registered_pools.h"
#include "server/task_reports.h"

namespace suanwang {

// ?wait_ms=W (at most 30000): when there is nothing after `after`, wait up to W ms for more.
HttpResponse ControlPlaneImpl::ListDispatches(const std::string& site, const std::map<std::string, std::string>& query) {
  if (!network_.SiteIndex(site)) return Problem(404, "Not Found", "site '" + site + "' is not in the network");
  auto page = ParsePage(query);
  if (!page) return ProblemFor(page.error());
  uint64_t wait_ms = 0;
  if (auto it = query.find("wait_ms"); it != query.end()) {
    auto wait = ParseId(it->second, "wait_ms");
    if (!wait || *wait > 30000) {
      return Problem(400, "Bad Request", "wait_ms '" + it->second + "' must be an integer in 0..30000");
    }
    wait_ms = *wait;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (true) {
    uint64_t seen = 0;
    {
      std::lock_guard lock(commit_mutex_);
      seen = commits_seen_;
    }
    auto tx = store_->Begin();
    if (!tx) return ProblemFor(tx.error());
    auto dispatches = (*tx)->ReadDispatches(site, page->after, page->limit);
    if (!dispatches) return ProblemFor(dispatches.error());
    (*tx)->Rollback();
    if (!dispatches->empty() || std::chrono::steady_clock::now() >= deadline) {
      return Json(200, DispatchListJson(*dispatches, page->after));
    }
    std::unique_lock lock(commit_mutex_);
    commit_cv_.wait_until(lock, deadline, [&] { return closing_ || commits_seen_ != seen; });
    if (closing_) return Json(200, DispatchListJson(*dispatches, page->after));
  }
}

namespace {

nlohmann::json PoolsJson(const std::vector<Pool>& site_pools) {
  nlohmann::json pools = nlohmann::json::array();
  for (const Pool& p : site_pools) {
    pools.push_back({{"id", p.id},
                     {"nodes", p.nodes},
                     {"cpu_cores", static_cast<double>(p.cpu_milli) / 1000},
                     {"memory_mib", p.memory_mib},
                     {"gpus_per_node", p.gpus},
                     {"gpu_model", p.gpu_model.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.gpu_model)}});
  }
  return pools;
}

}  // namespace

HttpResponse ControlPlaneImpl::ListSites() {
  std::map<std::string, StoredSite> registered;
  {
    auto tx = store_->Begin();
    if (!tx) return ProblemFor(tx.error());
    auto sites = (*tx)->ListSites();
    if (!sites) return ProblemFor(sites.error());
    for (StoredSite& s : *sites) registered[s.id] = std::move(s);
  }
  nlohmann::json list = nlohmann::json::array();
  std::lock_guard lock(models_mutex_);
  for (size_t i = 0; i < network_.sites.size(); ++i) {
    const Site& site = network_.sites[i];
    const Place& place = network_.places[*network_.PlaceIndex(site.place)];
    const ClusterState& state = scheduler_->site_state(i);
    int64_t cpu_left = 0;
    for (size_t n = 0; n < state.size(); ++n) cpu_left += state.cpu_left(static_cast<NodeIndex>(n));
    nlohmann::json j{{"id", site.id},
                     {"place", site.place},
                     {"hub", place.hub},
                     {"served", Serves(site.id)},
                     {"up", scheduler_->site_up(i)},
                     {"nodes", state.size()},
                     {"gpus", static_cast<double>(state.total_gpu_milli()) / 1000},
                     {"gpus_free", static_cast<double>(state.idle_gpu_milli()) / 1000},
                     {"cpu_cores", static_cast<double>(state.total_cpu_milli()) / 1000},
                     {"cpu_cores_free", static_cast<double>(cpu_left) / 1000},
                     {"pools", PoolsJson(SitePools(i))},
                     {"pools_from", registered_pools_.contains(i) ? "agent" : "network"},
                     {"agent", nullptr},
                     {"last_heartbeat_ms", nullptr},
                     {"resources", nullptr}};
    if (auto lease = leases_.Get(site.id)) {
      j["agent"] = lease->agent;
      j["last_heartbeat_ms"] = lease->last_heartbeat_ms;
      j["lease_live"] = lease->live;
    }
    if (auto it = registered.find(site.id); it != registered.end()) {
      j["resources"] = nlohmann::json::parse(it->second.resources, nullptr, false);
      j["registered_ms"] = it->second.registered_ms;
    }
    list.push_back(std::move(j));
  }
  return Json(200, nlohmann::json{{"sites", list}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// One site with each node's capacity and what is free on it now, as the engine sees it.
HttpResponse ControlPlaneImpl::GetSite(const std::string& id) {
  auto index = network_.SiteIndex(id);
  if (!index) return Problem(404, "Not Found", "site '" + id + "' is not in the network");
  std::lock_guard lock(models_mutex_);
  const ClusterState& state = scheduler_->site_state(*index);
  nlohmann::json nodes = nlohmann::json::array();
  for (size_t n = 0; n < state.size(); ++n) {
    const auto node = static_cast<NodeIndex>(n);
    const NodeSpec& spec = state.spec(node);
    nlohmann::json gpus_free = nlohmann::json::array();
    for (int32_t milli : state.gpu_left(node)) gpus_free.push_back(static_cast<double>(milli) / 1000);
    nodes.push_back({{"name", spec.name},
                     {"cpu_cores", static_cast<double>(spec.cpu_milli) / 1000},
                     {"cpu_cores_free", static_cast<double>(state.cpu_left(node)) / 1000},
                     {"memory_mib", spec.memory_mib},
                     {"memory_mib_free", state.memory_left(node)},
                     {"gpu_model", spec.gpu_count ? nlohmann::json(std::string(models_.Name(spec.gpu_model)))
                                                  : nlohmann::json(nullptr)},
                     {"gpus_free", gpus_free}});
  }
  const Site& site = network_.sites[*index];
  return Json(200, nlohmann::json{{"id", site.id},
                                  {"place", site.place},
                                  {"served", Serves(site.id)},
                                  {"up", scheduler_->site_up(*index)},
                                  {"pools", PoolsJson(SitePools(*index))},
                                  {"pools_from", registered_pools_.contains(*index) ? "agent" : "network"},
                                  {"nodes", nodes}}
                       .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ControlPlaneImpl::Heartbeat(const std::string& site, const HttpRequest& req, const Caller& who) {
  auto index = network_.SiteIndex(site);
  if (!index) return Problem(404, "Not Found", "site '" + site + "' is not in the network");
  if (!Serves(site)) return Problem(409, "Conflict", "site '" + site + "' is not one this server runs work on (--sites)");
  auto beat = ParseHeartbeat(req.body);
  if (!beat) return ProblemFor(Error{beat.error().code, "request body: " + beat.error().message});
  const Timestamp now = clock_.Now();
  // The site's receipt key is pinned at its first registration: an agent that brings another
  // (a fresh state, or someone else's) bills nothing until an operator rotates it.
  std::string pinned;
  {
    std::lock_guard lock(receipt_keys_mutex_);
    if (auto it = receipt_keys_.find(site); it != receipt_keys_.end()) pinned = it->second;
  }
  if (!pinned.empty() && beat->receipt_key != pinned) {
    return Problem(403, "Forbidden", "site '" + site + "': the agent offers receipt key '" + beat->receipt_key.substr(0, 16) +
                                         "...' but the site's key is pinned to '" + pinned.substr(0, 16) +
                                         "...'; an operator must rotate it (POST /v1/sites/" + site + "/receipt-key)");
  }
  const SiteLeases::Renewal renewal = leases_.Renew(site, beat->agent, who.credential, now);
  if (renewal == SiteLeases::Renewal::kRanOut) return LeaseRanOut(site);
  if (renewal == SiteLeases::Renewal::kHeldByAnother) {
    return Problem(403, "Forbidden", "the lease of site '" + site +
                                         "' is held by another credential; it is freed only when it expires or an "
                                         "operator releases it (POST /v1/sites/" + site + "/release)");
  }
  uint64_t log_end = 0;
  if (renewal == SiteLeases::Renewal::kCameUp || renewal == SiteLeases::Renewal::kNewAgent || beat->fresh) {
    // A new agent for the site: register it, and requeue what the site ran that it does not know
    // (a fresh agent knows nothing, not even what it was about to run).
    const std::set<std::string> known(beat->running.begin(), beat->running.end());
    std::vector<uint64_t> requeued;
    auto done = committer_->Run([&](Transaction& tx) -> Result<void> {
      requeued.clear();
      SW_CHECK(tx.PutSite(StoredSite{site, beat->agent, beat->resources_json, now, now, beat->receipt_key}));
      SW_CHECK(tx.AppendAudit(now, who.credential, "site.agent", "site/" + site, beat->agent));
      if (pinned.empty() && !beat->receipt_key.empty()) {
        SW_CHECK(tx.AppendAudit(now, who.credential, kReceiptKeyPinned, "site/" + site, beat->receipt_key));
      }
      SW_TRY(running, tx.ListJobs(JobFilter{"", "running", 0, 100000}));
      if (beat->fresh) {
        SW_TRY(placed, tx.ListJobs(JobFilter{"", "placed", 0, 100000}));
        running.insert(running.end(), placed.begin(), placed.end());
      }
      for (const StoredJob& job : running) {
        if (job.site != site) continue;
        SW_TRY(tasks, tx.ListTasks(job.id));
        for (const StoredTask& t : tasks) {
          const bool lost = t.state == "running" || (beat->fresh && t.state == "dispatched");
          if (!lost || known.contains(TaskKey(job.id, t.task, t.attempt))) continue;
          SW_CHECK(Requeue(tx, job, "task " + std::to_string(t.task) + " was lost: the site's new agent " + beat->agent +
                                        " does not know it; requeued",
                           now));
          requeued.push_back(job.id);
          break;
        }
      }
      // Read in this transaction: the requeued jobs' next placements come after it, so a fresh
      // agent that starts after log_end still gets them.
      SW_TRY(end, tx.LastDispatchSeq(site));
      log_end = end;
      return {};
    });
    if (!done) return ProblemFor(done.error());
    if (pinned.empty()) {
      std::lock_guard lock(receipt_keys_mutex_);
      receipt_keys_[site] = beat->receipt_key;
    }
    for (uint64_t id : requeued) EnqueueRequeue(id);
    if (renewal == SiteLeases::Renewal::kCameUp) Enqueue(SiteStatus{*index, true});
    RegisterNodes(*index, beat->resources_json);
  }
  if (renewal == SiteLeases::Renewal::kRenewed && !beat->fresh) {
    auto tx = store_->Begin();
    if (!tx) return ProblemFor(tx.error());
    auto end = (*tx)->LastDispatchSeq(site);
    if (!end) return ProblemFor(end.error());
    log_end = *end;
  }
  return Json(200, nlohmann::json{{"lease_ms", leases_.lease_ms()}, {"server_ms", now}, {"log_end", log_end}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// The pools a site is planned with: as its agent registered them, else as the network declares.
const std::vector<Pool>& ControlPlaneImpl::SitePools(size_t site) const {
  auto it = registered_pools_.find(site);
  return it != registered_pools_.end() ? it->second : network_.sites[site].pools;
}

// A Slurm site's registered partitions become its nodes in the engine (server/registered_pools.h).
// A registration that cannot be used is logged; the declared inventory then stays.
void ControlPlaneImpl::RegisterNodes(size_t site, const std::string& resources_json) {
  const Site& declared = network_.sites[site];
  auto pools = RegisteredPools(resources_json, declared);
  if (!pools || !*pools) {
    if (!pools) std::fprintf(stderr, "suanwang server: %s (keeping the declared inventory)\n", pools.error().message.c_str());
    return;
  }
  Result<std::vector<NodeSpec>> nodes = std::vector<NodeSpec>{};
  {
    std::lock_guard lock(models_mutex_);
    nodes = PoolNodes(declared.id, **pools, models_);
    if (nodes) registered_pools_[site] = **pools;
  }
  if (!nodes) {
    std::fprintf(stderr, "suanwang server: site '%s': %s\n", declared.id.c_str(), nodes.error().message.c_str());
    return;
  }
  Enqueue(SiteNodes{site, std::move(*nodes)});
}

HttpResponse ControlPlaneImpl::LeaseRanOut(const std::string& site) {
  HttpResponse r = Problem(503, "Service Unavailable",
                           "the lease of site '" + site + "' ran out; its jobs are being requeued; try again");
  r.headers["Retry-After"] = "1";
  return r;
}

HttpResponse ControlPlaneImpl::Reports(const std::string& site, const HttpRequest& req, const Caller& who) {
  if (!network_.SiteIndex(site)) return Problem(404, "Not Found", "site '" + site + "' is not in the network");
  auto batch = ParseReports(req.body);
  if (!batch) return ProblemFor(Error{batch.error().code, "request body: " + batch.error().message});
  const Timestamp now = clock_.Now();
  // What the site's tasks did after its lease ran out is settled by the requeue first.
  if (leases_.RanOut(site, now)) return LeaseRanOut(site);
  if (auto lease = leases_.Get(site); lease && lease->live && !lease->credential.empty() && lease->credential != who.credential) {
    return Problem(403, "Forbidden", "the lease of site '" + site + "' is held by another credential; only its holder reports");
  }
  // Nothing changes on a report the site did not sign (every report changes a task's state).
  if (auto ok = VerifyReceipts(site, *batch); !ok) return ProblemFor(ok.error());
  const std::string actor = who.tenant + "/" + who.role + "@" + site;
  uint64_t accepted = 0, stale = 0;
  std::vector<uint64_t> ended, requeued;
  auto done = committer_->Run([&](Transaction& tx) -> Result<void> {
    accepted = stale = 0;
    ended.clear();
    requeued.clear();
    for (const TaskReport& report : batch->reports) {
      auto job = tx.GetJob(report.job);
      if (!job) {
        ++stale;
        continue;
      }
      SW_TRY(tasks, tx.ListTasks(report.job));
      if (std::string why = WallTimeProblem(tasks, site, report, now); !why.empty()) {
        return MakeError(ErrorCode::kInvalidArgument, "report of job " + std::to_string(report.job) + " task " +
                                                          std::to_string(report.task) + ": " + why);
      }
      ReportEffect effect = ApplyTaskReport(*job, tasks, site, report, now);
      if (effect.stale) {
        ++stale;
        continue;
      }
      ++accepted;
      const bool ran = IsFinalTaskState(effect.task.state) && effect.task.wall_ms > 0;
      if (const std::optional<JobSpec> spec = ran && (energy_ || meter_) ? KnownSpec(*job) : std::nullopt) {
        if (energy_) AccountEnergy(*spec, *network_.SiteIndex(site), effect.task);
        if (meter_) {
          SW_CHECK(BillTask(tx, *job, *spec, *network_.SiteIndex(site), effect.task, report));
          RefreshBalance(tx, job->tenant);
        }
      }
      SW_CHECK(tx.PutTask(effect.task));
      if (effect.requeue) {
        SW_CHECK(Requeue(tx, *job, "task " + std::to_string(report.task) + " was lost: " + effect.task.reason + "; requeued", now));
        requeued.push_back(job->id);
        continue;
      }
      if (!effect.job_state.empty()) {
        SW_CHECK(tx.UpdateJob(job->id, job->version, effect.job_state, job->site, effect.job_reason, now));
        SW_CHECK(tx.AppendAudit(now, actor, "job." + effect.job_state, "job/" + std::to_string(job->id),
                                effect.job_reason));
      }
      if (effect.kill_others) SW_CHECK(AppendDispatch(tx, *signer_, site, job->id, KillPayload(job->id), now));
      if (effect.job_ended) ended.push_back(job->id);
    }
    return {};
  });
  if (!done) return ProblemFor(done.error());
  reports_accepted_ += accepted;
  reports_stale_ += stale;
  for (uint64_t id : ended) Enqueue(JobFinished{id});
  for (uint64_t id : requeued) EnqueueRequeue(id);
  return Json(200, nlohmann::json{{"accepted", accepted}, {"stale", stale}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void ControlPlaneImpl::AccountEnergy(const JobSpec& known, size_t site, StoredTask& task) {
  std::lock_guard lock(models_mutex_);
  JobSpec spec = known;
  spec.tasks = 1;
  const double cores = static_cast<double>(spec.task.cpu_milli) / 1000;
  if (cores > 0) {
    spec.cpu_util = std::clamp(static_cast<double>(task.cpu_ms) / (static_cast<double>(task.wall_ms) * cores), 0.0, 1.0);
  }
  const ClusterState& state = scheduler_->site_state(site);
  const double load = state.total_gpu_milli() > 0
                          ? static_cast<double>(state.used_gpu_milli()) / static_cast<double>(state.total_gpu_milli())
                          : energy_->power().reference_load;
  const EnergyAccount e = Account(energy_->site(site), energy_->JobItPowerW(spec, site, models_),
                                  task.updated_ms - task.wall_ms, task.updated_ms, load);
  task.gpu_hours = static_cast<double>(spec.task.TotalGpuMilli()) / kMilliGpu * static_cast<double>(task.wall_ms) / 3.6e6;
  task.it_kwh = e.it_kwh;
  task.facility_kwh = e.facility_kwh;
  task.carbon_kg = e.carbon_kg;
  task.energy_cny = e.cost_cny;
}

Result<void> ControlPlaneImpl::Requeue(Transaction& tx, StoredJob job, const std::string& reason, Timestamp now,
                                       int64_t notice_s) {
  SW_TRY(tasks, tx.ListTasks(job.id));
  for (StoredTask& t : tasks) {
    if (IsFinalTaskState(t.state)) continue;
    t.state = "lost";
    t.reason = reason;
    t.updated_ms = now;
    SW_CHECK(tx.PutTask(t));
  }
  if (!job.site.empty()) SW_CHECK(AppendDispatch(tx, *signer_, job.site, job.id, KillPayload(job.id, notice_s), now));
  SW_CHECK(tx.UpdateJob(job.id, job.version, "queued", "", reason, now));
  SW_CHECK(tx.AppendAudit(now, "scheduler", "job.requeue", "job/" + std::to_string(job.id), reason));
  return {};
}

void ControlPlaneImpl::CheckLeases() {
  const Timestamp now = clock_.Now();
  for (const std::string& site : leases_.Expire(now)) LoseSite(site, now);
}

// Runs on the scheduling loop: the site goes down in the engine, its placed and running jobs
// are requeued in one transaction, then go back to the engine (which places them elsewhere or
// queues them until the site is back).
void ControlPlaneImpl::LoseSite(const std::string& site, Timestamp now) {
  ++sites_lost_;
  const size_t index = *network_.SiteIndex(site);
  Apply(SiteStatus{index, false});
  const std::string reason = "site " + site + " lost its agent (no heartbeat for " +
                             std::to_string(leases_.lease_ms()) + " ms); requeued";
  std::vector<uint64_t> requeued;
  auto done = committer_->Run([&](Transaction& tx) -> Result<void> {
    requeued.clear();
    for (const char* state : {"placed", "running"}) {
      uint64_t after = 0;
      while (true) {
        SW_TRY(page, tx.ListJobs(JobFilter{"", state, after, 1000}));
        if (page.empty()) break;
        for (const StoredJob& job : page) {
          after = job.id;
          if (job.site != site) continue;
          SW_CHECK(Requeue(tx, job, reason, now));
          requeued.push_back(job.id);
        }
      }
    }
    SW_CHECK(tx.AppendAudit(now, "scheduler", "site.down", "site/" + site, reason));
    return {};
  });
  if (!done) {
    std::fprintf(stderr, "suanwang server: could not requeue the jobs of lost site %s: %s\n", site.c_str(),
                 done.error().message.c_str());
    return;
  }
  for (uint64_t id : requeued) RequeueInEngine(id, now);
}

// The engine frees the job's room where it ran and takes it as a new submission; its command
// and spec stay for the next placement.
void ControlPlaneImpl::RequeueInEngine(uint64_t id, Timestamp now) {
  std::optional<JobSpec> spec;
  {
    std::lock_guard lock(jobs_mutex_);
    if (auto it = specs_.find(id); it != specs_.end()) spec = it->second;
  }
  if (!spec) return;
  // Its place is freed (the spec kept: not Apply(JobFinished)); what the engine starts in that
  // room is recorded like any decision.
  Result<std::vector<Command>> freed = [&] {
    std::lock_guard lock(models_mutex_);
    return scheduler_->Apply(JobFinished{id}, now);
  }();
  if (freed) RecordCommands(*freed, now);
  Apply(SubmitJob{*spec});
}

HttpResponse ControlPlaneImpl::ReleaseSite(const std::string& site, const Caller& who) {
  if (!network_.SiteIndex(site)) return Problem(404, "Not Found", "site '" + site + "' is not in the network");
  const Timestamp now = clock_.Now();
  const auto lease = leases_.Get(site);
  const std::string holder = lease ? lease->credential : "";
  if (!leases_.Release(site, now)) return Problem(409, "Conflict", "site '" + site + "' has no live lease to release");
  auto done = committer_->Run([&](Transaction& tx) -> Result<void> {
    SW_CHECK(tx.AppendAudit(now, who.credential, "site.release", "site/" + site, "lease of " + (holder.empty() ? "?" : holder)));
    return {};
  });
  if (!done) return ProblemFor(done.error());
  CheckLeases();  // the site goes down now: its jobs are requeued
  return Json(200, nlohmann::json{{"site", site}, {"released", true}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ControlPlaneImpl::RotateReceiptKey(const std::string& site, const HttpRequest& req, const Caller& who) {
  if (!network_.SiteIndex(site)) return Problem(404, "Not Found", "site '" + site + "' is not in the network");
  const auto body = nlohmann::json::parse(req.body, nullptr, false);
  const auto key = body.is_object() ? body.find("receipt_key") : body.end();
  if (key == body.end() || !key->is_string() || key->get<std::string>().size() != 64 ||
      key->get<std::string>().find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Problem(400, "Bad Request", "field 'receipt_key': expected the agent's public key, 64 lower-case hex characters");
  }
  const std::string hex = key->get<std::string>();
  const Timestamp now = clock_.Now();
  auto done = committer_->Run([&](Transaction& tx) -> Result<void> {
    SW_TRY(sites, tx.ListSites());
    StoredSite row{site, "", "{}", now, 0, hex};
    for (const StoredSite& s : sites) {
      if (s.id == site) {
        row = s;
        row.receipt_key = hex;
      }
    }
    SW_CHECK(tx.PutSite(row));
    SW_CHECK(tx.AppendAudit(now, who.credential, kReceiptKeyRotated, "site/" + site, hex));
    return {};
  });
  if (!done) return ProblemFor(done.error());
  {
    std::lock_guard lock(receipt_keys_mutex_);
    receipt_keys_[site] = hex;
  }
  return Json(200, nlohmann::json{{"site", site}, {"receipt_key", hex}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace suanwang
