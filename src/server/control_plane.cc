#include "server/control_plane.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <unordered_map>
#include <mutex>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <thread>

#include "api/job_codec.h"
#include "api/job_json.h"
#include "engine/scheduler.h"
#include "server/dispatch_log.h"
#include "server/rate_limiter.h"
#include "sim/files.h"
#include "store/group_commit.h"

namespace suanwang {
namespace {

bool IsFinal(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "cancelled" || state == "rejected";
}

// "/v1/jobs/12/cancel" -> {"v1", "jobs", "12", "cancel"}; query split off.
std::vector<std::string> PathParts(const std::string& target, std::map<std::string, std::string>& query) {
  const auto q = target.find('?');
  const std::string path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string rest = target.substr(q + 1);
    size_t start = 0;
    while (start <= rest.size()) {
      size_t amp = rest.find('&', start);
      if (amp == std::string::npos) amp = rest.size();
      std::string pair = rest.substr(start, amp - start);
      const auto eq = pair.find('=');
      if (!pair.empty()) query[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
      start = amp + 1;
    }
  }
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

Result<uint64_t> ParseId(const std::string& text, const std::string& what) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, what + " '" + text + "' is not a positive integer");
  }
  return std::stoull(text);
}

// ?after=N&limit=M of the list endpoints: after defaults to 0, limit to 100 (1..1000).
struct Page {
  uint64_t after = 0;
  size_t limit = 100;
};

Result<Page> ParsePage(const std::map<std::string, std::string>& query) {
  Page page;
  if (auto it = query.find("after"); it != query.end()) {
    SW_TRY(after, ParseId(it->second, "after"));
    page.after = after;
  }
  if (auto it = query.find("limit"); it != query.end()) {
    auto limit = ParseId(it->second, "limit");
    if (!limit || *limit < 1 || *limit > 1000) {
      return MakeError(ErrorCode::kInvalidArgument, "limit '" + it->second + "' must be an integer in 1..1000");
    }
    page.limit = *limit;
  }
  return page;
}

struct Caller {
  std::string tenant;
  std::string role;
  uint64_t token_id = 0;
  bool Sees(const std::string& tenant_of_thing) const { return role != "user" || tenant_of_thing == tenant; }
  bool Is(std::initializer_list<const char*> roles) const {
    for (const char* r : roles) {
      if (role == r) return true;
    }
    return false;
  }
};

bool ValidRole(const std::string& r) { return r == "admin" || r == "operator" || r == "user"; }

class ControlPlaneImpl final : public ControlPlane {
 public:
  ControlPlaneImpl(const Clock& clock) : clock_(clock) {}

  ~ControlPlaneImpl() override {
    {
      std::lock_guard lock(loop_mutex_);
      stopping_ = true;
    }
    loop_wake_.notify_all();
    if (loop_.joinable()) loop_.join();
    committer_.reset();
  }

  Result<void> Init(const ControlPlaneOptions& o) {
    auto network = LoadNetworkFile(o.network_path);
    if (!network) return std::unexpected(network.error());
    network_ = std::move(*network);
    auto store = OpenStore(o.store_url);
    if (!store) return std::unexpected(store.error());
    store_ = std::move(*store);
    SchedulerConfig config;
    config.node_policy = o.node_policy;
    auto scheduler = Scheduler::Create(network_, models_, config, PolicyContext{});
    if (!scheduler) return std::unexpected(scheduler.error());
    scheduler_ = std::move(*scheduler);
    committer_ = std::make_unique<GroupCommitter>(*store_);
    limiter_ = std::make_unique<RateLimiter>(o.rate_limit_per_s, o.rate_limit_burst);
    SigningKey key = GenerateSigningKey();
    if (!o.signing_key_file.empty()) {
      SW_TRY(loaded, LoadOrCreateSigningKey(o.signing_key_file));
      key = loaded;
    }
    SW_TRY(signer, DispatchSigner::Create(key.secret_key_hex));
    signer_.emplace(std::move(signer));
    SW_CHECK(LoadTokens(o.admin_token_file));
    SW_CHECK(Recover());
    loop_ = std::thread([this] { Loop(); });
    return {};
  }

  HttpResponse Handle(const HttpRequest& req) override {
    ++http_requests_;
    std::map<std::string, std::string> query;
    const std::vector<std::string> p = PathParts(req.target, query);
    if (p.size() == 1 && p[0] == "healthz") return Only("GET", req, [&] { return Json(200, "{\"status\":\"ok\"}"); });
    std::optional<Caller> caller = Authenticate(req);
    if (!caller) {
      HttpResponse r = Problem(401, "Unauthorized", "missing, unknown or revoked token: send 'Authorization: Bearer <token>'");
      r.headers["WWW-Authenticate"] = "Bearer";
      return r;
    }
    const Caller& who = *caller;
    if (auto verdict = limiter_->Take(std::to_string(who.token_id), clock_.Now()); !verdict.allowed) {
      return TooManyRequests(verdict.retry_after_ms);
    }
    auto forbid = [&](const std::string& what) {
      return Problem(403, "Forbidden", "role '" + who.role + "' may not " + what);
    };
    if (p.size() == 1 && p[0] == "metrics") {
      if (!who.Is({"admin", "operator"})) return forbid("read metrics");
      return Only("GET", req, [&] { return Metrics(); });
    }
    if (p.size() >= 2 && p[0] == "v1" && p[1] == "jobs") {
      if (p.size() == 2) {
        if (req.method == "POST") return Submit(req, who);
        return Only("GET", req, [&] { return List(query, who); });
      }
      auto id = ParseId(p[2], "job id");
      if (!id) return ProblemFor(id.error());
      if (p.size() == 3) return Only("GET", req, [&] { return Get(*id, who); });
      if (p.size() == 4 && p[3] == "cancel") return Only("POST", req, [&] { return Cancel(*id, who); });
    }
    if (p.size() == 4 && p[0] == "v1" && p[1] == "sites" && p[3] == "dispatches") {
      if (!who.Is({"admin", "operator"})) return forbid("read a site's dispatches");
      return Only("GET", req, [&] { return ListDispatches(p[2], query); });
    }
    if (p.size() == 2 && p[0] == "v1" && p[1] == "tenants") {
      if (req.method == "POST") return who.Is({"admin"}) ? CreateTenant(req) : forbid("create tenants");
      if (!who.Is({"admin", "operator"})) return forbid("list tenants");
      return Only("GET", req, [&] { return ListTenants(); });
    }
    if (p.size() >= 2 && p[0] == "v1" && p[1] == "tokens") {
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

 private:
  HttpResponse TooManyRequests(Timestamp retry_after_ms) {
    ++rate_limited_;
    const Timestamp seconds = (retry_after_ms + 999) / 1000;
    HttpResponse r = Problem(429, "Too Many Requests",
                             "this token's request rate limit is exhausted; retry after " +
                                 std::to_string(retry_after_ms) + " ms");
    r.headers["Retry-After"] = std::to_string(std::max<Timestamp>(1, seconds));
    return r;
  }

  template <class F>
  HttpResponse Only(const char* method, const HttpRequest& req, F&& f) {
    if (req.method != method) {
      HttpResponse r = Problem(405, "Method Not Allowed", req.method + " is not allowed here; use " + method);
      r.headers["Allow"] = method;
      return r;
    }
    return f();
  }

  // Checks what the network must know about; errors name the field.
  Result<void> CheckAgainstNetwork(const JobSpec& job) const {
    auto bad = [](const std::string& field, const std::string& why) {
      return MakeError(ErrorCode::kInvalidArgument, "request body:1: field '" + field + "': " + why);
    };
    if (!job.origin.empty() && !network_.PlaceIndex(job.origin)) {
      return bad("origin", "'" + job.origin + "' is not a place of network '" + network_.name + "'");
    }
    if (!job.data_place.empty() && !network_.PlaceIndex(job.data_place)) {
      return bad("data.place", "'" + job.data_place + "' is not a place of the network");
    }
    for (const std::string& hub : job.allowed_hubs) {
      if (!network_.HubIndex(hub)) return bad("allowed_hubs", "'" + hub + "' is not a hub of the network");
    }
    return {};
  }

  HttpResponse Submit(const HttpRequest& req, const Caller& who) {
    Result<JobRequest> parsed = [&] {
      std::lock_guard lock(models_mutex_);
      return ParseJobFile(req.body, "request body", models_);
    }();
    if (!parsed) return ProblemFor(parsed.error());
    if (auto ok = CheckAgainstNetwork(parsed->spec); !ok) return ProblemFor(ok.error());
    const std::string tenant = who.tenant;
    const std::string key = req.Header("idempotency-key");
    const Timestamp now = clock_.Now();
    StoredJob row{0, tenant, parsed->spec.name, req.body, "queued", "", "submitted", now, now, 1, key};
    std::optional<StoredJob> existing;
    auto committed = committer_->Run([&](Transaction& tx) -> Result<void> {
      if (!key.empty()) {
        SW_TRY(found, tx.FindByIdempotencyKey(tenant, key));
        if (found) {
          existing = std::move(found);
          return {};
        }
      }
      SW_TRY(id, tx.InsertJob(row));
      row.id = id;
      SW_CHECK(tx.AppendAudit(now, tenant, "job.submit", "job/" + std::to_string(id), row.name));
      return {};
    });
    if (!committed) return ProblemFor(committed.error());
    if (existing) return Json(200, JobJson(*existing));
    ++jobs_submitted_;
    JobSpec spec = parsed->spec;
    spec.id = row.id;
    spec.tenant = tenant;
    spec.submit_ms = now;
    RememberCommand(row.id, parsed->command);
    Enqueue(SubmitJob{spec});
    return Json(201, JobJson(row));
  }

  HttpResponse Get(uint64_t id, const Caller& who) {
    auto tx = store_->Begin();
    if (!tx) return ProblemFor(tx.error());
    auto job = (*tx)->GetJob(id);
    if (!job) return ProblemFor(job.error());
    // Another tenant's job is indistinguishable from no job.
    if (!who.Sees(job->tenant)) return Problem(404, "Not Found", "job " + std::to_string(id) + " not found");
    return Json(200, JobJson(*job));
  }

  HttpResponse List(const std::map<std::string, std::string>& query, const Caller& who) {
    JobFilter filter;
    if (who.role == "user") {
      filter.tenant = who.tenant;
    } else if (auto it = query.find("tenant"); it != query.end()) {
      filter.tenant = it->second;
    }
    if (auto it = query.find("state"); it != query.end()) filter.state = it->second;
    auto page = ParsePage(query);
    if (!page) return ProblemFor(page.error());
    filter.after_id = page->after;
    filter.limit = page->limit;
    auto tx = store_->Begin();
    if (!tx) return ProblemFor(tx.error());
    auto jobs = (*tx)->ListJobs(filter);
    if (!jobs) return ProblemFor(jobs.error());
    const uint64_t next = jobs->size() == filter.limit ? jobs->back().id : 0;
    return Json(200, JobListJson(*jobs, next));
  }

  HttpResponse ListDispatches(const std::string& site, const std::map<std::string, std::string>& query) {
    if (!network_.SiteIndex(site)) return Problem(404, "Not Found", "site '" + site + "' is not in the network");
    auto page = ParsePage(query);
    if (!page) return ProblemFor(page.error());
    auto tx = store_->Begin();
    if (!tx) return ProblemFor(tx.error());
    auto dispatches = (*tx)->ReadDispatches(site, page->after, page->limit);
    if (!dispatches) return ProblemFor(dispatches.error());
    return Json(200, DispatchListJson(*dispatches, page->after));
  }

  HttpResponse Cancel(uint64_t id, const Caller& who) {
    const Timestamp now = clock_.Now();
    StoredJob after;
    auto committed = committer_->Run([&](Transaction& tx) -> Result<void> {
      SW_TRY(job, tx.GetJob(id));
      if (!who.Sees(job.tenant)) return MakeError(ErrorCode::kNotFound, "job " + std::to_string(id) + " not found");
      if (IsFinal(job.state)) {
        return MakeError(ErrorCode::kConflict, "job " + std::to_string(id) + " is already " + job.state);
      }
      SW_TRY(version, tx.UpdateJob(id, job.version, "cancelled", job.site, "cancelled by the user", now));
      if (!job.site.empty()) SW_CHECK(AppendDispatch(tx, *signer_, job.site, id, KillPayload(id), now));
      SW_CHECK(tx.AppendAudit(now, who.tenant + "/" + who.role, "job.cancel", "job/" + std::to_string(id), ""));
      after = job;
      after.state = "cancelled";
      after.reason = "cancelled by the user";
      after.version = version;
      after.updated_ms = now;
      return {};
    });
    if (!committed) return ProblemFor(committed.error());
    Enqueue(CancelJob{id});
    return Json(200, JobJson(after));
  }

  std::optional<Caller> Authenticate(const HttpRequest& req) {
    const std::string header = req.Header("authorization");
    if (!header.starts_with("Bearer ")) return std::nullopt;
    const std::string hash = Sha256Hex(header.substr(7));
    std::shared_lock lock(tokens_mutex_);
    auto it = tokens_.find(hash);
    if (it == tokens_.end()) return std::nullopt;
    return it->second;
  }

  // Loads every valid token; creates the first admin token when there is none at all.
  Result<void> LoadTokens(const std::string& admin_token_file) {
    std::string secret;
    auto loaded = committer_->Run([&](Transaction& tx) -> Result<void> {
      SW_TRY(all, tx.ListTokens());
      if (all.empty()) {
        SW_TRY(exists, tx.TenantExists("system"));
        if (!exists) SW_CHECK(tx.CreateTenant("system", clock_.Now()));
        secret = NewTokenSecret();
        StoredToken admin{0, "system", "admin", "bootstrap admin", Sha256Hex(secret), clock_.Now(), false};
        SW_TRY(id, tx.CreateToken(admin));
        admin.id = id;
        all.push_back(admin);
        SW_CHECK(tx.AppendAudit(clock_.Now(), "server", "token.create", "token/" + std::to_string(id), "bootstrap admin"));
      }
      for (const StoredToken& t : all) {
        if (!t.revoked) tokens_[t.hash] = Caller{t.tenant, t.role, t.id};
      }
      return {};
    });
    if (!loaded) return loaded;
    if (!secret.empty() && !admin_token_file.empty()) {
      {
        std::ofstream out(admin_token_file, std::ios::trunc);
        out << secret << "\n";
        if (!out) return MakeError(ErrorCode::kUnavailable, admin_token_file + ": cannot write the admin token");
      }
      chmod(admin_token_file.c_str(), 0600);
    }
    return {};
  }

  HttpResponse CreateTenant(const HttpRequest& req) {
    std::string id;
    try {
      id = nlohmann::json::parse(req.body).at("id").get<std::string>();
    } catch (const nlohmann::json::exception&) {
      return Problem(400, "Bad Request", "expected {\"id\": \"tenant-name\"}");
    }
    if (id.empty() || id.size() > 64 || id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
      return Problem(400, "Bad Request", "tenant id '" + id + "' must be 1-64 of a-z 0-9 - _");
    }
    auto done = committer_->Run([&](Transaction& tx) -> Result<void> {
      SW_CHECK(tx.CreateTenant(id, clock_.Now()));
      SW_CHECK(tx.AppendAudit(clock_.Now(), "admin", "tenant.create", "tenant/" + id, ""));
      return {};
    });
    if (!done) return ProblemFor(done.error());
    return Json(201, nlohmann::json{{"id", id}}.dump());
  }

  HttpResponse ListTenants() {
    auto tx = store_->Begin();
    if (!tx) return ProblemFor(tx.error());
    auto tenants = (*tx)->ListTenants();
    if (!tenants) return ProblemFor(tenants.error());
    return Json(200, nlohmann::json{{"tenants", *tenants}}.dump());
  }

  HttpResponse CreateToken(const HttpRequest& req) {
    std::string tenant, role, name;
    try {
      auto body = nlohmann::json::parse(req.body);
      tenant = body.at("tenant").get<std::string>();
      role = body.at("role").get<std::string>();
      name = body.value("name", "");
    } catch (const nlohmann::json::exception&) {
      return Problem(400, "Bad Request", "expected {\"tenant\": ..., \"role\": \"admin|operator|user\", \"name\": ...}");
    }
    if (!ValidRole(role)) return Problem(400, "Bad Request", "role '" + role + "' is not admin, operator or user");
    const std::string secret = NewTokenSecret();
    StoredToken token{0, tenant, role, name, Sha256Hex(secret), clock_.Now(), false};
    auto done = committer_->Run([&](Transaction& tx) -> Result<void> {
      SW_TRY(id, tx.CreateToken(token));
      token.id = id;
      SW_CHECK(tx.AppendAudit(clock_.Now(), "admin", "token.create", "token/" + std::to_string(id), tenant + "/" + role));
      return {};
    });
    if (!done) return ProblemFor(done.error());
    {
      std::unique_lock lock(tokens_mutex_);
      tokens_[token.hash] = Caller{tenant, role, token.id};
    }
    return Json(201, nlohmann::json{{"id", token.id}, {"tenant", tenant}, {"role", role}, {"name", name},
                                    {"token", secret}}.dump());
  }

  HttpResponse ListTokens() {
    auto tx = store_->Begin();
    if (!tx) return ProblemFor(tx.error());
    auto tokens = (*tx)->ListTokens();
    if (!tokens) return ProblemFor(tokens.error());
    nlohmann::json list = nlohmann::json::array();
    for (const StoredToken& t : *tokens) {
      list.push_back({{"id", t.id}, {"tenant", t.tenant}, {"role", t.role}, {"name", t.name},
                      {"created_ms", t.created_ms}, {"revoked", t.revoked}});
    }
    return Json(200, nlohmann::json{{"tokens", list}}.dump());
  }

  HttpResponse RevokeToken(uint64_t id) {
    std::string hash;
    auto done = committer_->Run([&](Transaction& tx) -> Result<void> {
      SW_TRY(all, tx.ListTokens());
      for (const StoredToken& t : all) {
        if (t.id == id) hash = t.hash;
      }
      SW_CHECK(tx.RevokeToken(id));
      SW_CHECK(tx.AppendAudit(clock_.Now(), "admin", "token.revoke", "token/" + std::to_string(id), ""));
      return {};
    });
    if (!done) return ProblemFor(done.error());
    {
      std::unique_lock lock(tokens_mutex_);
      tokens_.erase(hash);
    }
    return Json(200, nlohmann::json{{"id", id}, {"revoked", true}}.dump());
  }

  HttpResponse Metrics() {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    auto metric = [&](const char* name, const char* type, const char* help, uint64_t value) {
      r.body += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
                std::to_string(value) + "\n";
    };
    metric("suanwang_http_requests_total", "counter", "HTTP requests handled.", http_requests_.load());
    metric("suanwang_http_rate_limited_total", "counter", "Requests refused by a token's rate limit (429).",
           rate_limited_.load());
    metric("suanwang_jobs_submitted_total", "counter", "Jobs accepted (committed).", jobs_submitted_.load());
    metric("suanwang_store_commits_total", "counter", "Durable commits of the group committer.", committer_->commits());
    metric("suanwang_scheduler_queued_jobs", "gauge", "Jobs waiting in the engine's queue.", queued_.load());
    metric("suanwang_scheduler_running_jobs", "gauge", "Jobs the engine has placed.", running_.load());
    return r;
  }

  // Jobs that were accepted but not finished go back to the engine after a restart.
  Result<void> Recover() {
    auto tx = store_->Begin();
    if (!tx) return std::unexpected(tx.error());
    uint64_t after = 0;
    while (true) {
      SW_TRY(page, (*tx)->ListJobs(JobFilter{"", "", after, 1000}));
      if (page.empty()) break;
      for (const StoredJob& j : page) {
        after = j.id;
        if (IsFinal(j.state)) continue;
        auto parsed = ParseJobFile(j.spec, "job " + std::to_string(j.id), models_);
        if (!parsed) continue;  // validated at submit; a later schema change would land here
        JobSpec spec = parsed->spec;
        spec.id = j.id;
        spec.tenant = j.tenant;
        spec.submit_ms = j.submitted_ms;
        RememberCommand(j.id, parsed->command);
        events_.push_back(SubmitJob{spec});
      }
    }
    (*tx)->Rollback();
    return {};
  }

  void RememberCommand(uint64_t id, std::vector<std::string> argv) {
    std::lock_guard lock(argv_mutex_);
    argv_[id] = std::move(argv);
  }

  // One signed "run" command per task of a job the engine started.
  std::vector<std::string> RunPayloads(const Command& c) {
    std::vector<std::string> argv;
    {
      std::lock_guard lock(argv_mutex_);
      if (auto it = argv_.find(c.job); it != argv_.end()) argv = it->second;
    }
    std::vector<std::string> payloads;
    const TaskShape& shape = specs_[c.job].task;
    for (size_t t = 0; t < c.placements.size(); ++t) {
      payloads.push_back(RunPayload(c.job, t, c.placements[t], shape, argv));
    }
    return payloads;
  }

  void Enqueue(Event e) {
    {
      std::lock_guard lock(loop_mutex_);
      events_.push_back(std::move(e));
    }
    loop_wake_.notify_one();
  }

  void Loop() {
    while (true) {
      Event event;
      {
        std::unique_lock lock(loop_mutex_);
        loop_wake_.wait(lock, [&] { return stopping_ || !events_.empty(); });
        if (stopping_) return;
        event = std::move(events_.front());
        events_.pop_front();
      }
      const Timestamp now = clock_.Now();
      Result<std::vector<Command>> commands = [&] {
        std::lock_guard lock(models_mutex_);
        if (const auto* s = std::get_if<SubmitJob>(&event)) specs_[s->job.id] = s->job;
        return scheduler_->Apply(event, now);
      }();
      queued_ = scheduler_->queued();
      running_ = scheduler_->running();
      if (!commands) {
        if (const auto* s = std::get_if<SubmitJob>(&event)) Record(s->job.id, "rejected", "", commands.error().message, now);
        continue;
      }
      for (const Command& c : *commands) {
        const std::string site = c.site ? network_.sites[*c.site].id : "";
        switch (c.kind) {
          case CommandKind::kStart: Record(c.job, "placed", site, c.reason, now, RunPayloads(c)); break;
          case CommandKind::kQueue: Record(c.job, "queued", "", c.reason, now); break;
          case CommandKind::kReject: Record(c.job, "rejected", "", c.reason, now); break;
          case CommandKind::kPreempt:
            Record(c.job, "queued", "", c.reason, now);
            if (specs_.contains(c.job)) Enqueue(SubmitJob{specs_[c.job]});
            break;
        }
      }
    }
  }

  // Writes a decision, unless the job reached a final state meanwhile (e.g. cancelled). Does
  // not wait for the commit: decisions queue behind each other in the group committer (one
  // writer, first in first out), so they land in order and share commits.
  // A placement and its signed dispatches commit together.
  void Record(uint64_t id, std::string state, std::string site, std::string reason, Timestamp now,
              std::vector<std::string> dispatches = {}) {
    (void)committer_->Submit([=, this](Transaction& tx) -> Result<void> {
      SW_TRY(job, tx.GetJob(id));
      if (IsFinal(job.state)) return {};
      // Placed before a restart: its tasks were dispatched already and must not run twice, so
      // the stored placement stands (reconciling the engine with the agents' reports is next).
      if (state == "placed" && (job.state == "placed" || job.state == "running")) return {};
      SW_CHECK(tx.UpdateJob(id, job.version, state, site, reason, now));
      for (const std::string& payload : dispatches) {
        SW_CHECK(AppendDispatch(tx, *signer_, site, id, payload, now));
      }
      SW_CHECK(tx.AppendAudit(now, "scheduler", "job." + state, "job/" + std::to_string(id), site));
      return {};
    });
  }

  const Clock& clock_;
  Network network_;
  std::mutex models_mutex_;  // guards models_ and the scheduler's use of it
  GpuModelTable models_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<Scheduler> scheduler_;
  std::map<JobId, JobSpec> specs_;
  std::mutex loop_mutex_;
  std::condition_variable loop_wake_;
  std::deque<Event> events_;
  bool stopping_ = false;
  std::thread loop_;
  std::atomic<uint64_t> http_requests_{0}, rate_limited_{0}, jobs_submitted_{0}, queued_{0}, running_{0};
  std::unique_ptr<RateLimiter> limiter_;
  std::optional<DispatchSigner> signer_;
  std::mutex argv_mutex_;
  std::map<JobId, std::vector<std::string>> argv_;  // each live job's command, for its dispatches
  std::shared_mutex tokens_mutex_;
  std::unordered_map<std::string, Caller> tokens_;  // SHA-256 of the secret -> who
};

}  // namespace

const std::vector<std::pair<std::string, std::string>>& ApiRoutes() {
  static const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/healthz"},
      {"GET", "/metrics"},
      {"POST", "/v1/jobs"},
      {"GET", "/v1/jobs"},
      {"GET", "/v1/jobs/{id}"},
      {"POST", "/v1/jobs/{id}/cancel"},
      {"POST", "/v1/tenants"},
      {"GET", "/v1/tenants"},
      {"POST", "/v1/tokens"},
      {"GET", "/v1/tokens"},
      {"POST", "/v1/tokens/{id}/revoke"},
      {"GET", "/v1/sites/{site}/dispatches"},
  };
  return routes;
}

Result<std::unique_ptr<ControlPlane>> ControlPlane::Open(const ControlPlaneOptions& options, const Clock& clock) {
  auto plane = std::make_unique<ControlPlaneImpl>(clock);
  if (auto ok = plane->Init(options); !ok) return std::unexpected(ok.error());
  return std::unique_ptr<ControlPlane>(std::move(plane));
}

}  // namespace suanwang
