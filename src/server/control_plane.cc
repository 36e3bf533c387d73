#include "server/control_plane.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>

#include "api/job_codec.h"
#include "common/text.h"
#include "server/control_plane_impl.h"
#include "sim/energy_files.h"
#include "server/dispatch_log.h"
#include "sim/files.h"

namespace suanwang {

ControlPlaneImpl::~ControlPlaneImpl() {
  {
    std::lock_guard lock(commit_mutex_);
    closing_ = true;
  }
  commit_cv_.notify_all();
  {
    std::lock_guard lock(loop_mutex_);
    stopping_ = true;
  }
  loop_wake_.notify_all();
  if (loop_.joinable()) loop_.join();
  committer_.reset();
}

Result<void> ControlPlaneImpl::Init(const ControlPlaneOptions& o) {
  SW_TRY(network, LoadNetworkFile(o.network_path));
  network_ = std::move(network);
  for (const std::string& site : o.served_sites) {
    if (!network_.SiteIndex(site)) {
      return MakeError(ErrorCode::kInvalidArgument, "--sites: '" + site + "' is not a site of network '" + network_.name + "'");
    }
    served_.insert(site);
  }
  SW_TRY(store, OpenStore(o.store_url));
  store_ = std::move(store);
  SchedulerConfig config;
  config.node_policy = o.node_policy;
  config.cost_weights = o.cost_weights;
  if (!o.data_dir.empty()) {
    SW_TRY(energy, LoadEnergyModel(network_, o.data_dir));
    energy_ = std::make_shared<const EnergyModel>(std::move(energy));
    config.energy = energy_;
    SW_TRY(accelerators, LoadAcceleratorCatalog(o.data_dir + "/catalogs/accelerators.yaml"));
    SW_TRY(scu, LoadScuCatalog(o.data_dir + "/catalogs/scu.yaml"));
    meter_ = Meter{std::move(accelerators), std::move(scu)};
  }
  SW_TRY(scheduler, Scheduler::Create(network_, models_, config, PolicyContext{}));
  scheduler_ = std::move(scheduler);
  committer_ = std::make_unique<GroupCommitter>(*store_, 512, [this] {
    {
      std::lock_guard lock(commit_mutex_);
      ++commits_seen_;
    }
    commit_cv_.notify_all();
  });
  limiter_ = std::make_unique<RateLimiter>(o.rate_limit_per_s, o.rate_limit_burst);
  SigningKey key = GenerateSigningKey();
  if (!o.signing_key_file.empty()) {
    SW_TRY(loaded, LoadOrCreateSigningKey(o.signing_key_file));
    key = loaded;
  }
  SW_TRY(signer, DispatchSigner::Create(key.secret_key_hex));
  signer_.emplace(std::move(signer));
  SW_CHECK(LoadTokens(o.admin_token_file));
  if (!o.agent_token_dir.empty()) SW_CHECK(IssueAgentTokens(o.agent_token_dir));
  SW_CHECK(LoadPrepaidBalances());
  if (!(o.market_slot_s > 0)) {
    return MakeError(ErrorCode::kInvalidArgument, "--market-slot " + std::to_string(o.market_slot_s) + ": must be positive");
  }
  market_slot_ms_ = static_cast<Timestamp>(o.market_slot_s * 1000);
  if (meter_) {
    BuildMarkets();
    std::vector<SitePrice> board;
    {
      std::lock_guard lock(market_mutex_);
      board = site_prices_ = PriceBoard(pool_markets_, nullptr);
    }
    (void)scheduler_->Apply(SitePrices{std::move(board)}, clock_.Now());
    (void)scheduler_->Apply(StoredReservations(), clock_.Now());
    next_clearing_ms_ = clock_.Now() + market_slot_ms_;
  }
  // With --sites, only those sites run work, and each only while its agent holds the lease.
  for (size_t i = 0; i < network_.sites.size(); ++i) {
    if (!served_.empty()) (void)scheduler_->Apply(SiteStatus{i, false}, clock_.Now());
  }
  SW_CHECK(Recover());
  loop_ = std::thread([this] { Loop(); });
  return {};
}

// The one boundary of the API: no exception from a handler reaches the HTTP layer or ends the
// process; the request gets a 500 problem document, a counter and a log line.
HttpResponse ControlPlaneImpl::Handle(const HttpRequest& req) {
  ++http_requests_;
  std::string what;
  try {
    return HandleRequest(req);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  ++handler_errors_;
  std::fprintf(stderr, "suanwang server: internal error serving %s %s: %s\n", req.method.c_str(),
               SanitizedUtf8(req.target.substr(0, 200)).c_str(), what.c_str());
  return Problem(500, "Internal Server Error", "the server could not serve this request; it was logged");
}

namespace {

HttpResponse Unauthorized() {
  HttpResponse r = Problem(401, "Unauthorized", "missing, unknown or revoked token: send 'Authorization: Bearer <token>'");
  r.headers["WWW-Authenticate"] = "Bearer";
  return r;
}

}  // namespace

std::optional<HttpResponse> ControlPlaneImpl::Admit(const HttpRequest& head) {
  std::map<std::string, std::string> query;
  const std::vector<std::string> p = PathParts(head.target, query);
  if (p.size() == 1 && p[0] == "healthz") return std::nullopt;
  if (!Authenticate(head)) return Unauthorized();
  return std::nullopt;
}

HttpResponse ControlPlaneImpl::HandleRequest(const HttpRequest& req) {
  std::map<std::string, std::string> query;
  const std::vector<std::string> p = PathParts(req.target, query);
  if (p.size() == 1 && p[0] == "healthz") return Only("GET", req, [&] { return Json(200, "{\"status\":\"ok\"}"); });
  std::optional<Caller> caller = Authenticate(req);
  if (!caller) return Unauthorized();
  if (auto verdict = limiter_->Take(caller->credential, clock_.Now()); !verdict.allowed) {
    return TooManyRequests(verdict.retry_after_ms);
  }
  return Route(req, p, query, *caller);
}

HttpResponse ControlPlaneImpl::Route(const HttpRequest& req, const std::vector<std::string>& p,
                                     const std::map<std::string, std::string>& query, const Caller& who) {
  auto forbid = [&](const std::string& what) {
    return Problem(403, "Forbidden", "role '" + who.role + "' may not " + what);
  };
  const bool v1 = p.size() >= 2 && p[0] == "v1";
  const bool site_protocol = v1 && p.size() == 4 && p[1] == "sites" &&
                             (p[3] == "dispatches" || p[3] == "heartbeat" || p[3] == "reports");
  // A site's agent credential speaks the site protocol of that site and nothing else; nobody
  // else speaks it (admins and operators included): a lease, dispatches and billing reports
  // belong to the site's own credential.
  if (who.role == "agent" && !(site_protocol && who.IsAgentOf(p[2]))) {
    return Problem(403, "Forbidden", "an agent credential acts only as the agent of site '" + who.site + "'");
  }
  if (site_protocol && !who.IsAgentOf(p[2])) {
    return Problem(403, "Forbidden", "only the agent credential of site '" + p[2] +
                                         "' may act as its agent (role '" + who.role + "' may not)");
  }
  if (p.size() == 1 && p[0] == "metrics") {
    if (!who.SeesEverything()) return forbid("read metrics");
    return Only("GET", req, [&] { return Metrics(); });
  }
  if (v1 && p[1] == "jobs") {
    if (p.size() == 2) {
      if (req.method == "POST") return Submit(req, who);
      return Only("GET", req, [&] { return List(query, who); });
    }
    auto id = ParseId(p[2], "job id");
    if (!id) return ProblemFor(id.error());
    if (p.size() == 3) return Only("GET", req, [&] { return Get(*id, who); });
    if (p.size() == 4 && p[3] == "cancel") return Only("POST", req, [&] { return Cancel(*id, who); });
    if (p.size() == 4 && p[3] == "logs") return Only("GET", req, [&] { return Logs(*id, query, who); });
  }
  if (v1 && p[1] == "sites") {
    if (p.size() == 2) return Only("GET", req, [&] { return ListSites(); });
    if (p.size() == 3) return Only("GET", req, [&] { return GetSite(p[2]); });
    if (p.size() == 4 && (p[3] == "release" || p[3] == "receipt-key")) {
      if (!who.SeesEverything()) return forbid("release a site's lease or rotate its receipt key");
      if (p[3] == "release") return Only("POST", req, [&] { return ReleaseSite(p[2], who); });
      return Only("POST", req, [&] { return RotateReceiptKey(p[2], req, who); });
    }
    if (p.size() == 4 && p[3] == "dispatches") return Only("GET", req, [&] { return ListDispatches(p[2], query); });
    if (p.size() == 4 && p[3] == "heartbeat") return Only("POST", req, [&] { return Heartbeat(p[2], req, who); });
    if (p.size() == 4 && p[3] == "reports") return Only("POST", req, [&] { return Reports(p[2], req, who); });
  }
  if (v1 && p[1] == "offers") {
    if (p.size() == 2) {
      if (req.method == "POST") return who.Is({"admin", "provider"}) ? CreateOffer(req, who) : forbid("post offers");
      return Only("GET", req, [&] { return ListOffers(query, who); });
    }
    auto id = ParseId(p[2], "offer id");
    if (!id) return ProblemFor(id.error());
    if (p.size() == 4 && p[3] == "reserve") return Only("POST", req, [&] { return ReserveOffer(*id, who); });
    if (p.size() == 4 && p[3] == "withdraw") {
      if (!who.Is({"admin", "provider"})) return forbid("withdraw offers");
      return Only("POST", req, [&] { return WithdrawOffer(*id, who); });
    }
  }
  if (v1 && p.size() == 2 && p[1] == "prices") return Only("GET", req, [&] { return ListPrices(query); });
  if (v1 && p.size() == 2 && p[1] == "bids") return Only("GET", req, [&] { return ListBids(who); });
  if (v1 && p.size() == 3 && p[1] == "statements") {
    if (!who.Is({"admin", "operator", "provider"})) return forbid("read provider statements");
    return Only("GET", req, [&] { return ProviderStatement(p[2], query, who); });
  }
  if (v1 && p.size() == 3 && p[1] == "market" && p[2] == "clear") {
    if (!who.Is({"admin"})) return forbid("clear the market");
    return Only("POST", req, [&] {
      if (!meter_) return Problem(409, "Conflict", "no market: the server runs without a data folder");
      clear_requested_ = true;
      loop_wake_.notify_one();
      return Json(202, "{\"clearing\":\"requested\"}");
    });
  }
  if (v1 && p.size() == 2 && p[1] == "usage") return Only("GET", req, [&] { return ListUsage(query, who); });
  if (v1 && p.size() == 3 && p[1] == "invoices") return Only("GET", req, [&] { return Invoice(p[2], query, who); });
  if (v1 && p.size() == 4 && p[1] == "tenants" && p[3] == "topup") {
    if (!who.Is({"admin"})) return forbid("top up tenants");
    return Only("POST", req, [&] { return TopUpTenant(p[2], req); });
  }
  if (v1 && p.size() == 3 && p[1] == "reports" && p[2] == "energy") {
    return Only("GET", req, [&] { return EnergyReport(who); });
  }
  if (v1 && p.size() == 2 && p[1] == "tenants") {
    if (req.method == "POST") return who.Is({"admin"}) ? CreateTenant(req) : forbid("create tenants");
    if (!who.SeesEverything()) return forbid("list tenants");
    return Only("GET", req, [&] { return ListTenants(); });
  }
  if (v1 && p[1] == "tokens") {
    if (!who.Is({"admin"})) return forbid("manage tokens");
    if (p.size() == 2) {
      if (req.method == "POST") return CreateToken(req);
      return Only("GET", req, [&] { return ListTokens(); });
    }
    auto id = ParseId(p[2], "token id");
    if (!id) return ProblemFor(id.error());
    if (p.size() == 4 && p[3] == "revoke") return Only("POST", req, [&] { return RevokeToken(*id); });
  }
  return Problem(404, "Not Found", "no route for " + req.method + " " + req.target);
}

HttpResponse ControlPlaneImpl::TooManyRequests(Timestamp retry_after_ms) {
  ++rate_limited_;
  const Timestamp seconds = (retry_after_ms + 999) / 1000;
  HttpResponse r = Problem(429, "Too Many Requests",
                           "this token's request rate limit is exhausted; retry after " +
                               std::to_string(retry_after_ms) + " ms");
  r.headers["Retry-After"] = std::to_string(std::max<Timestamp>(1, seconds));
  return r;
}

std::optional<Caller> ControlPlaneImpl::Authenticate(const HttpRequest& req) {
  const std::string header = req.Header("authorization");
  if (header.empty() && req.client_identity.starts_with("site:")) {
    // A client certificate the HTTP layer verified against --client-ca: "site:ID" is the agent
    // credential of site ID.
    const std::string site = req.client_identity.substr(5);
    if (!network_.SiteIndex(site)) return std::nullopt;
    return Caller{kPlatformTenant, "agent", 0, site, "cert/" + req.client_identity};
  }
  if (!header.starts_with("Bearer ")) return std::nullopt;
  const std::string hash = Sha256Hex(header.substr(7));
  std::shared_lock lock(tokens_mutex_);
  auto it = tokens_.find(hash);
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}

namespace {

Result<void> WriteSecretFile(const std::string& path, const std::string& secret) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return MakeError(ErrorCode::kUnavailable, path + ": cannot write: " + std::strerror(errno));
  const std::string line = secret + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return MakeError(ErrorCode::kUnavailable, path + ": cannot write: " + std::strerror(errno));
  }
  return {};
}

}  // namespace

Result<void> ControlPlaneImpl::LoadTokens(const std::string& admin_token_file) {
  std::string secret;
  auto loaded = committer_->Run([&](Transaction& tx) -> Result<void> {
    SW_TRY(all, tx.ListTokens());
    if (all.empty()) {
      SW_TRY(exists, tx.TenantExists("system"));
      if (!exists) SW_CHECK(tx.CreateTenant("system", clock_.Now()));
      secret = NewTokenSecret();
      StoredToken admin{0, "system", "admin", "bootstrap admin", Sha256Hex(secret), clock_.Now(), false, ""};
      SW_TRY(id, tx.CreateToken(admin));
      admin.id = id;
      all.push_back(admin);
      SW_CHECK(tx.AppendAudit(clock_.Now(), "server", "token.create", "token/" + std::to_string(id), "bootstrap admin"));
    }
    for (const StoredToken& t : all) {
      if (!t.revoked) tokens_[t.hash] = CallerOf(t);
    }
    return {};
  });
  if (!loaded) return loaded;
  if (!secret.empty() && !admin_token_file.empty()) SW_CHECK(WriteSecretFile(admin_token_file, secret));
  return {};
}


Result<void> ControlPlaneImpl::IssueAgentTokens(const std::string& dir) {
  for (const std::string& site : served_) {
    const std::string path = dir + "/" + site + "/agent.token";
    std::string secret;
    std::ifstream(path) >> secret;
    if (!secret.empty()) {
      std::shared_lock lock(tokens_mutex_);
      auto it = tokens_.find(Sha256Hex(secret));
      if (it != tokens_.end() && it->second.IsAgentOf(site)) continue;
    }
    secret = NewTokenSecret();
    StoredToken token{0, kPlatformTenant, "agent", "agent of " + site, Sha256Hex(secret), clock_.Now(), false, site};
    auto created = committer_->Run([&](Transaction& tx) -> Result<void> {
      SW_TRY(id, tx.CreateToken(token));
      token.id = id;
      SW_CHECK(tx.AppendAudit(clock_.Now(), "server", "token.create", "token/" + std::to_string(id), "system/agent@" + site));
      return {};
    });
    if (!created) return created;
    SW_CHECK(WriteSecretFile(path, secret));
    std::unique_lock lock(tokens_mutex_);
    tokens_[token.hash] = CallerOf(token);
  }
  return {};
}

// Jobs that were accepted but not finished go back to the engine after a restart: queued ones
// as new submissions, placed and running ones as already running at their site (their tasks
// were dispatched and must not run twice; the agents' reports finish them).
Result<void> ControlPlaneImpl::Recover() {
  SW_TRY(tx, store_->Begin());
  for (const StoredSite& site : tx->ListSites().value_or(std::vector<StoredSite>{})) {
    {
      std::lock_guard lock(receipt_keys_mutex_);
      receipt_keys_[site.id] = site.receipt_key;
    }
    // A site whose agent was live before the restart gets one lease period to come back.
    if (Serves(site.id) && network_.SiteIndex(site.id) &&
        leases_.Renew(site.id, site.agent, "", clock_.Now()) == SiteLeases::Renewal::kCameUp) {
      (void)scheduler_->Apply(SiteStatus{*network_.SiteIndex(site.id), true}, clock_.Now());
    }
  }
  uint64_t after = 0;
  while (true) {
    SW_TRY(page, tx->ListJobs(JobFilter{"", "", after, 1000}));
    if (page.empty()) break;
    for (const StoredJob& j : page) {
      after = j.id;
      if (!IsFinalJobState(j.state)) SW_CHECK(RecoverJob(*tx, j));
    }
  }
  tx->Rollback();
  return {};
}

Result<void> ControlPlaneImpl::RecoverJob(Transaction&, const StoredJob& j) {
  // Stored input is checked again, not trusted: a job that no longer parses (stored by an
  // older version, or edited) is quarantined rather than handed to the engine.
  auto parsed = ParseJobFile(j.spec, "job " + std::to_string(j.id), models_);
  if (!parsed) {
    Quarantine(j.id, "its stored job file no longer parses: " + parsed.error().message);
    return {};
  }
  JobSpec spec = parsed->spec;
  spec.id = j.id;
  spec.tenant = j.tenant;
  spec.submit_ms = j.submitted_ms;
  RememberCommand(j.id, parsed->command);
  auto site = network_.SiteIndex(j.site);
  if ((j.state == "placed" || j.state == "running") && site) {
    events_.push_back(RestoreJob{spec, *site});
  } else {
    events_.push_back(SubmitJob{spec});
  }
  return {};
}

void ControlPlaneImpl::Enqueue(Event e) {
  {
    std::lock_guard lock(loop_mutex_);
    events_.push_back(std::move(e));
  }
  loop_wake_.notify_one();
}

void ControlPlaneImpl::EnqueueRequeue(uint64_t id) {
  {
    std::lock_guard lock(loop_mutex_);
    requeue_.push_back(id);
  }
  loop_wake_.notify_one();
}

void ControlPlaneImpl::Loop() {
  auto last_lease_check = std::chrono::steady_clock::time_point{};
  while (true) {
    std::optional<Event> event;
    std::vector<uint64_t> requeue;
    {
      std::unique_lock lock(loop_mutex_);
      loop_wake_.wait_for(lock, std::chrono::milliseconds(100),
                          [&] { return stopping_ || !events_.empty() || !requeue_.empty(); });
      if (stopping_) return;
      if (!events_.empty()) {
        event = std::move(events_.front());
        events_.pop_front();
      }
      requeue.swap(requeue_);
    }
    if (event) Apply(*event);
    for (uint64_t id : requeue) RequeueInEngine(id, clock_.Now());
    // Deferred jobs whose hour has come (checked at least every 100 ms).
    if (next_wake_ && clock_.Now() >= *next_wake_) Apply(Wake{});
    // Starts held for a spot notice.
    if (!delayed_starts_.empty()) {
      const Timestamp now = clock_.Now();
      std::vector<std::pair<Timestamp, Command>> due;
      std::erase_if(delayed_starts_, [&](const auto& d) {
        if (d.first > now) return false;
        due.push_back(d);
        return true;
      });
      for (const auto& d : due) RecordStart(d.second, now);
    }
    // The market clears once a slot (or when an admin asks).
    if (meter_ && (clock_.Now() >= next_clearing_ms_ || clear_requested_.exchange(false))) {
      ClearMarket(clock_.Now());
      next_clearing_ms_ = clock_.Now() + market_slot_ms_;
    }
    // Leases are checked every 100 ms, not after every event of a burst.
    if (const auto now = std::chrono::steady_clock::now(); now - last_lease_check >= std::chrono::milliseconds(100)) {
      last_lease_check = now;
      CheckLeases();
    }
  }
}

void ControlPlaneImpl::Apply(const Event& event) {
  std::string what;
  try {
    ApplyEvent(event);
    return;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  // An event the loop cannot process must not end the process (nor, after a restart, do so
  // again): a submission is quarantined, anything else is logged and counted.
  ++handler_errors_;
  std::fprintf(stderr, "suanwang server: scheduling loop: internal error: %s\n", what.c_str());
  if (const auto* s = std::get_if<SubmitJob>(&event)) Quarantine(s->job.id, "the scheduler could not process it (" + what + ")");
  if (const auto* r = std::get_if<RestoreJob>(&event)) Quarantine(r->job.id, "the scheduler could not restore it (" + what + ")");
}

void ControlPlaneImpl::Quarantine(uint64_t id, const std::string& why) {
  ForgetJob(id);
  const Timestamp now = clock_.Now();
  const std::string reason = "quarantined: " + SanitizedUtf8(why);
  (void)committer_->Submit([=, this](Transaction& tx) -> Result<void> {
    SW_TRY(job, tx.GetJob(id));
    if (IsFinalJobState(job.state)) return {};
    SW_CHECK(tx.UpdateJob(id, job.version, "rejected", job.site, reason, now));
    SW_CHECK(tx.AppendAudit(now, "server", "job.quarantine", "job/" + std::to_string(id), reason));
    return {};
  });
}

void ControlPlaneImpl::ApplyEvent(const Event& event) {
  const Timestamp now = clock_.Now();
  if (const auto* s = std::get_if<SubmitJob>(&event)) {
    std::lock_guard lock(jobs_mutex_);
    specs_[s->job.id] = s->job;
  } else if (const auto* r = std::get_if<RestoreJob>(&event)) {
    std::lock_guard lock(jobs_mutex_);
    specs_[r->job.id] = r->job;
  }
  Result<std::vector<Command>> commands = [&] {
    std::lock_guard lock(models_mutex_);
    return scheduler_->Apply(event, now);
  }();
  queued_ = scheduler_->queued();
  running_ = scheduler_->running();
  next_wake_ = scheduler_->next_wake();
  if (std::holds_alternative<JobFinished>(event)) ForgetJob(std::get<JobFinished>(event).job);
  if (std::holds_alternative<CancelJob>(event)) ForgetJob(std::get<CancelJob>(event).job);
  if (!commands) {
    if (const auto* s = std::get_if<SubmitJob>(&event)) {
      Record(s->job.id, "rejected", "", commands.error().message, now);
      ForgetJob(s->job.id);
    }
    return;
  }
  RecordCommands(*commands, now);
}

// Writes what the engine decided: placements (with their signed dispatches), queue reasons,
// rejections, preemptions (the victim is requeued).
void ControlPlaneImpl::RecordCommands(const std::vector<Command>& commands, Timestamp now) {
  std::map<size_t, int64_t> notice_at;  // site -> notice given to spot work preempted there now
  for (const Command& c : commands) {
    switch (c.kind) {
      case CommandKind::kStart:
        // A job that preempted spot work starts once the victims' notice is over (and a second
        // for their SIGKILL): the engine holds their resources for it meanwhile.
        if (auto it = notice_at.find(*c.site); it != notice_at.end()) {
          delayed_starts_.push_back({now + (it->second + 1) * 1000, c});
          Record(c.job, "queued", "", "placed at " + network_.sites[*c.site].id + "; starts when the notice of the spot work it preempted ends (" +
                                          std::to_string(it->second) + " s)", now);
          break;
        }
        RecordStart(c, now);
        break;
      case CommandKind::kQueue: Record(c.job, "queued", "", c.reason, now); break;
      case CommandKind::kReject:
        Record(c.job, "rejected", "", c.reason, now);
        ForgetJob(c.job);
        break;
      case CommandKind::kPreempt: {
        std::optional<JobSpec> spec;
        {
          std::lock_guard lock(jobs_mutex_);
          if (auto it = specs_.find(c.job); it != specs_.end()) spec = it->second;
        }
        // Spot work gets the notice its site's spot offers promise.
        int64_t notice_s = 0;
        if (spec && spec->spot && c.site) {
          std::lock_guard lock(market_mutex_);
          if (*c.site < site_notice_s_.size()) notice_s = site_notice_s_[*c.site];
        }
        if (notice_s > 0) notice_at[*c.site] = std::max(notice_at[*c.site], notice_s);
        const std::string reason = notice_s > 0 ? c.reason + "; notice " + std::to_string(notice_s) + " s" : c.reason;
        (void)committer_->Submit([=, this](Transaction& tx) -> Result<void> {
          SW_TRY(job, tx.GetJob(c.job));
          if (job.state != "placed" && job.state != "running") return {};
          return Requeue(tx, job, reason, now, notice_s);
        });
        if (spec) Enqueue(SubmitJob{*spec});
        break;
      }
    }
  }
}

// Writes a decision, unless the job reached a final state meanwhile (e.g. cancelled) or holds
// a site (only Requeue takes a job back from its site). Does not wait for the commit:
// decisions queue behind each other in the group committer (one writer, first in first out),
// so they land in order and share commits.
void ControlPlaneImpl::Record(uint64_t id, std::string state, std::string site, std::string reason, Timestamp now) {
  (void)committer_->Submit([=, this](Transaction& tx) -> Result<void> {
    SW_TRY(job, tx.GetJob(id));
    if (IsFinalJobState(job.state) || job.state == "placed" || job.state == "running") return {};
    SW_CHECK(tx.UpdateJob(id, job.version, state, site, reason, now));
    SW_CHECK(tx.AppendAudit(now, "scheduler", "job." + state, "job/" + std::to_string(id), site));
    return {};
  });
}

// A placement: the job, one task row per gang member (the next attempt) and one signed "run"
// command per task commit together.
namespace {

// {"site": S, "total": T, "terms": [{"name", "value", "weight"}], "runner_up": {...} | null}
// Written by hand, not through nlohmann::json: it runs for every placement, and a json
// object per term cost the submit rate measurably (docs/BENCHMARKS.md §4).
void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) >= 0x20) out += ch;
  }
  out += '"';
}

void AppendCost(std::string& out, const Network& network, const std::pair<size_t, CostBreakdown>& cost) {
  char num[96];
  out += "{\"site\":";
  AppendJsonString(out, network.sites[cost.first].id);
  std::snprintf(num, sizeof num, ",\"total\":%.17g,\"terms\":[", cost.second.total);
  out += num;
  for (size_t i = 0; i < cost.second.terms.size(); ++i) {
    const CostTerm& t = cost.second.terms[i];
    out += i ? ",{\"name\":" : "{\"name\":";
    AppendJsonString(out, t.name);
    std::snprintf(num, sizeof num, ",\"value\":%.17g,\"weight\":%.17g}", t.value, t.weight);
    out += num;
  }
  out += "]}";
}

std::string DecisionJson(const Command& c, const Network& network) {
  if (c.costs.empty()) return "";
  std::string out;
  out.reserve(1024);
  AppendCost(out, network, c.costs[0]);
  out.pop_back();  // reopen the object for runner_up
  out += ",\"runner_up\":";
  if (c.costs.size() > 1) {
    AppendCost(out, network, c.costs[1]);
  } else {
    out += "null";
  }
  out += "}";
  return out;
}

}  // namespace

void ControlPlaneImpl::RecordStart(const Command& c, Timestamp now) {
  const size_t site_index = *c.site;
  const std::string decision = DecisionJson(c, network_);
  const std::string site = network_.sites[site_index].id;
  std::vector<std::string> nodes;
  for (const Placement& p : c.placements) nodes.push_back(scheduler_->site_state(site_index).spec(p.node).name);
  std::vector<std::string> argv;
  TaskShape shape;
  {
    std::lock_guard lock(jobs_mutex_);
    if (auto it = argv_.find(c.job); it != argv_.end()) argv = it->second;
    if (auto it = specs_.find(c.job); it != specs_.end()) shape = it->second.task;
  }
  (void)committer_->Submit([=, this](Transaction& tx) -> Result<void> {
    SW_TRY(job, tx.GetJob(c.job));
    if (IsFinalJobState(job.state) || job.state == "placed" || job.state == "running") return {};
    SW_TRY(previous, tx.ListTasks(c.job));
    uint64_t attempt = 1;
    for (const StoredTask& t : previous) attempt = std::max(attempt, t.attempt + 1);
    SW_CHECK(tx.PlaceJob(c.job, job.version, site, c.reason, decision, now));
    for (size_t t = 0; t < c.placements.size(); ++t) {
      StoredTask task;
      task.job_id = c.job;
      task.task = static_cast<int>(t);
      task.attempt = attempt;
      task.site = site;
      task.state = "dispatched";
      task.updated_ms = now;
      task.dispatched_ms = now;
      SW_CHECK(tx.PutTask(task));
      const std::string payload = RunPayload(c.job, t, c.placements.size(), attempt, job.tenant, nodes[t],
                                               c.placements[t], shape, argv);
      SW_CHECK(AppendDispatch(tx, *signer_, site, c.job, payload, now));
    }
    SW_CHECK(tx.AppendAudit(now, "scheduler", "job.placed", "job/" + std::to_string(c.job), site));
    return {};
  });
}

const std::vector<std::pair<std::string, std::string>>& ApiRoutes() {
  static const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/healthz"},
      {"GET", "/metrics"},
      {"POST", "/v1/jobs"},
      {"GET", "/v1/jobs"},
      {"GET", "/v1/jobs/{id}"},
      {"POST", "/v1/jobs/{id}/cancel"},
      {"GET", "/v1/jobs/{id}/logs"},
      {"POST", "/v1/tenants"},
      {"GET", "/v1/tenants"},
      {"POST", "/v1/tokens"},
      {"GET", "/v1/tokens"},
      {"POST", "/v1/tokens/{id}/revoke"},
      {"GET", "/v1/reports/energy"},
      {"GET", "/v1/usage"},
      {"POST", "/v1/offers"},
      {"GET", "/v1/offers"},
      {"POST", "/v1/offers/{id}/withdraw"},
      {"POST", "/v1/offers/{id}/reserve"},
      {"GET", "/v1/prices"},
      {"GET", "/v1/bids"},
      {"GET", "/v1/statements/{site}"},
      {"POST", "/v1/market/clear"},
      {"GET", "/v1/invoices/{tenant}"},
      {"POST", "/v1/tenants/{tenant}/topup"},
      {"GET", "/v1/sites"},
      {"GET", "/v1/sites/{site}"},
      {"GET", "/v1/sites/{site}/dispatches"},
      {"POST", "/v1/sites/{site}/heartbeat"},
      {"POST", "/v1/sites/{site}/reports"},
      {"POST", "/v1/sites/{site}/release"},
      {"POST", "/v1/sites/{site}/receipt-key"},
  };
  return routes;
}

Result<std::unique_ptr<ControlPlane>> ControlPlane::Open(const ControlPlaneOptions& options, const Clock& clock) {
  auto plane = std::make_unique<ControlPlaneImpl>(clock, options.lease_ms);
  if (auto ok = plane->Init(options); !ok) return std::unexpected(ok.error());
  return std::unique_ptr<ControlPlane>(std::move(plane));
}

}  // namespace suanwang
