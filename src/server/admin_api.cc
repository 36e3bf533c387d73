// Tenants, tokens and metrics: the administrative part of the API.
#include <nlohmann/json.hpp>

#include "server/control_plane_impl.h"
#include "server/energy_report.h"

namespace suanwang {

HttpResponse ControlPlaneImpl::CreateTenant(const HttpRequest& req) {
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
  return Json(201, nlohmann::json{{"id", id}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ControlPlaneImpl::ListTenants() {
  auto tx = store_->Begin();
  if (!tx) return ProblemFor(tx.error());
  auto tenants = (*tx)->ListTenants();
  if (!tenants) return ProblemFor(tenants.error());
  return Json(200, nlohmann::json{{"tenants", *tenants}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ControlPlaneImpl::EnergyReport(const Caller& who) {
  auto tx = store_->Begin();
  if (!tx) return ProblemFor(tx.error());
  auto sums = (*tx)->SumEnergy();
  if (!sums) return ProblemFor(sums.error());
  const bool operators = who.SeesEverything();
  if (!operators) std::erase_if(*sums, [&](const EnergySum& e) { return e.tenant != who.tenant; });
  std::vector<HeatForecast> heat;
  if (operators && energy_) {
    const Timestamp now = clock_.Now();
    std::lock_guard lock(models_mutex_);
    for (size_t i = 0; i < network_.sites.size(); ++i) {
      heat.push_back(HeatForecast{network_.sites[i].id, energy_->site(i).cooling_capacity_kw,
                                  scheduler_->HeatForecastKw(i, now, 6)});
    }
  }
  return Json(200, EnergyReportJson(network_, energy_.get(), *sums, heat));
}

HttpResponse ControlPlaneImpl::CreateToken(const HttpRequest& req) {
  std::string tenant, role, name, site;
  try {
    auto body = nlohmann::json::parse(req.body);
    role = body.at("role").get<std::string>();
    tenant = body.value("tenant", role == "agent" ? std::string(kPlatformTenant) : std::string());
    name = body.value("name", "");
    site = body.value("site", "");
  } catch (const nlohmann::json::exception&) {
    return Problem(400, "Bad Request",
                   "expected {\"tenant\": ..., \"role\": \"admin|operator|provider|user|agent\", \"name\": ..., "
                   "\"site\": ... (agents)}");
  }
  if (!ValidRole(role)) return Problem(400, "Bad Request", "role '" + role + "' is not admin, operator, provider, user or agent");
  if (name.size() > 200) return Problem(400, "Bad Request", "field 'name': longer than 200 bytes");
  // Admins and operators see and act on every tenant: such a credential belongs to the
  // platform. A token that claimed to be one tenant's operator would either be that powerful
  // or be a user by another name; it is refused rather than half-privileged.
  if ((role == "admin" || role == "operator") && tenant != kPlatformTenant) {
    return Problem(400, "Bad Request", "field 'tenant': role '" + role + "' is the platform's and is bound to tenant '" +
                                           kPlatformTenant + "'; a tenant's own people get role user or provider");
  }
  if (role == "agent") {
    if (!network_.SiteIndex(site)) return Problem(400, "Bad Request", "field 'site': '" + site + "' is not a site of the network");
    if (tenant != kPlatformTenant) return Problem(400, "Bad Request", "field 'tenant': agent credentials belong to tenant 'system'");
  } else if (!site.empty()) {
    return Problem(400, "Bad Request", "field 'site': only agent credentials are bound to a site");
  }
  const std::string secret = NewTokenSecret();
  StoredToken token{0, tenant, role, name, Sha256Hex(secret), clock_.Now(), false, site};
  auto done = committer_->Run([&](Transaction& tx) -> Result<void> {
    SW_TRY(id, tx.CreateToken(token));
    token.id = id;
    SW_CHECK(tx.AppendAudit(clock_.Now(), "admin", "token.create", "token/" + std::to_string(id),
                            tenant + "/" + role + (site.empty() ? "" : "@" + site)));
    return {};
  });
  if (!done) return ProblemFor(done.error());
  {
    std::unique_lock lock(tokens_mutex_);
    tokens_[token.hash] = CallerOf(token);
  }
  nlohmann::json out{{"id", token.id}, {"tenant", tenant}, {"role", role}, {"name", name}, {"token", secret}};
  if (!site.empty()) out["site"] = site;
  return Json(201, out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ControlPlaneImpl::ListTokens() {
  auto tx = store_->Begin();
  if (!tx) return ProblemFor(tx.error());
  auto tokens = (*tx)->ListTokens();
  if (!tokens) return ProblemFor(tokens.error());
  nlohmann::json list = nlohmann::json::array();
  for (const StoredToken& t : *tokens) {
    list.push_back({{"id", t.id}, {"tenant", t.tenant}, {"role", t.role}, {"name", t.name},
                    {"created_ms", t.created_ms}, {"revoked", t.revoked}, {"site", t.site}});
  }
  return Json(200, nlohmann::json{{"tokens", list}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ControlPlaneImpl::RevokeToken(uint64_t id) {
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
  return Json(200, nlohmann::json{{"id", id}, {"revoked", true}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ControlPlaneImpl::Metrics() {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4";
  auto metric = [&](const char* name, const char* type, const char* help, uint64_t value) {
    r.body += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
              std::to_string(value) + "\n";
  };
  metric("suanwang_http_requests_total", "counter", "HTTP requests handled.", http_requests_.load());
  metric("suanwang_internal_errors_total", "counter",
         "Requests and scheduling events that failed with an internal error (answered 500, or quarantined).",
         handler_errors_.load());
  metric("suanwang_http_rate_limited_total", "counter", "Requests refused by a token's rate limit (429).",
         rate_limited_.load());
  metric("suanwang_jobs_submitted_total", "counter", "Jobs accepted (committed).", jobs_submitted_.load());
  metric("suanwang_store_commits_total", "counter", "Durable commits of the group committer.", committer_->commits());
  metric("suanwang_scheduler_queued_jobs", "gauge", "Jobs waiting in the engine's queue.", queued_.load());
  metric("suanwang_scheduler_running_jobs", "gauge", "Jobs the engine has placed.", running_.load());
  metric("suanwang_task_reports_accepted_total", "counter", "Agents' task reports that changed a task.",
         reports_accepted_.load());
  metric("suanwang_task_reports_stale_total", "counter",
         "Agents' task reports ignored as stale or repeated (older attempt, other site, task already ended).",
         reports_stale_.load());
  metric("suanwang_sites_lost_total", "counter", "Times a site's lease ran out and its jobs were requeued.",
         sites_lost_.load());
  return r;
}

}  // namespace suanwang
