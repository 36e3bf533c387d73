#include "cli/client_commands.h"

#include <httplib.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/http_client.h"
#include "sim/files.h"

namespace suanwang {
namespace {

using json = nlohmann::json;

// `body_name`: what the request body was read from (a job file): the server calls it
// "request body" in its messages; the user knows it by its name.
int ExitFor(const httplib::Result& r, const std::string& url, const std::string& body_name = "") {
  if (!r) {
    const bool tls = r.error() == httplib::Error::SSLConnection || r.error() == httplib::Error::SSLServerVerification;
    std::fprintf(stderr, "error: cannot reach the server at %s: %s (%s)\n", url.c_str(),
                 httplib::to_string(r.error()).c_str(),
                 tls ? "verify it against its CA: --ca FILE, SUANWANG_CA or ca: in the config file"
                     : "set SUANWANG_URL or --url");
    return 3;
  }
  if (r->status < 400) return 0;
  std::string detail = r->body;
  try {
    json problem = json::parse(r->body);
    detail = problem.value("detail", r->body);
    if (problem.contains("invalid-params")) {
      for (const auto& p : problem["invalid-params"]) {
        detail += "\n  field " + p.value("name", "?") + ": " + p.value("reason", "?");
      }
    }
  } catch (const json::exception&) {
  }
  if (!body_name.empty()) {
    for (size_t at = detail.find("request body"); at != std::string::npos; at = detail.find("request body", at + body_name.size())) {
      detail.replace(at, 12, body_name);
    }
  }
  std::fprintf(stderr, "error: %d: %s\n", r->status, detail.c_str());
  return r->status >= 500 ? 1 : 2;
}

std::string Yaml(const json& j, int indent = 0) {
  std::string pad(static_cast<size_t>(indent), ' '), out;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (v.is_structured() && !v.empty()) {
        out += pad + k + ":\n" + Yaml(v, indent + 2);
      } else {
        out += pad + k + ": " + (v.is_string() ? json(v).dump() : v.dump()) + "\n";
      }
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      std::string item = Yaml(v, indent + 2);
      if (item.size() > static_cast<size_t>(indent) + 2) item.replace(static_cast<size_t>(indent), 2, "- ");
      out += item;
    }
  } else {
    out += pad + j.dump() + "\n";
  }
  return out;
}

void PrintJobs(const json& jobs, const std::string& output) {
  if (output == "json") {
    std::printf("%s\n", jobs.dump(2).c_str());
    return;
  }
  if (output == "yaml") {
    std::printf("%s", Yaml(jobs).c_str());
    return;
  }
  std::printf("%-8s %-24s %-10s %-10s %s\n", "ID", "NAME", "STATE", "SITE", "REASON");
  for (const auto& j : jobs) {
    std::string reason = j.value("reason", "");
    if (reason.size() > 70) reason = reason.substr(0, 67) + "...";
    std::printf("%-8llu %-24s %-10s %-10s %s\n", j["id"].get<unsigned long long>(), j.value("name", "").c_str(),
                j.value("state", "").c_str(), j["site"].is_null() ? "-" : j["site"].get<std::string>().c_str(),
                reason.c_str());
  }
}

void PrintJobDetail(const json& job) {
  std::printf("job %llu  %s  (tenant %s)\n", job["id"].get<unsigned long long>(), job.value("name", "").c_str(),
              job.value("tenant", "").c_str());
  std::printf("state    %s\n", job.value("state", "").c_str());
  std::printf("site     %s\n", job["site"].is_null() ? "-" : job["site"].get<std::string>().c_str());
  std::printf("reason   %s\n", job.value("reason", "").c_str());
  if (job.contains("energy") && job["energy"].value("it_kwh", 0.0) > 0) {
    const json& e = job["energy"];
    const double it = e.value("it_kwh", 0.0), facility = e.value("facility_kwh", 0.0);
    std::printf("energy   %.4g kWh IT, %.4g kWh facility (PUE %.3f), %.4g kg CO2e, %.4g CNY, %.4g GPU-h\n", it,
                facility, it > 0 ? facility / it : 0.0, e.value("carbon_kg", 0.0), e.value("energy_cny", 0.0),
                e.value("gpu_hours", 0.0));
  }
  if (!job.contains("tasks") || job["tasks"].empty()) return;
  std::printf("\n%-5s %-8s %-11s %-5s %8s %9s %8s  %s\n", "TASK", "ATTEMPT", "STATE", "EXIT", "CPU_S", "PEAK_MIB",
              "WALL_S", "REASON");
  for (const auto& t : job["tasks"]) {
    std::printf("%-5d %-8llu %-11s %-5d %8.3f %9.1f %8.3f  %s\n", t.value("task", 0),
                t.value("attempt", 0ull), t.value("state", "").c_str(), t.value("exit_code", 0),
                t.value("cpu_seconds", 0.0), t.value("peak_memory_mib", 0.0), t.value("wall_seconds", 0.0),
                t.value("reason", "").c_str());
  }
}

// The engine's placement decision: each cost term for the chosen site and the runner-up.
void PrintDecision(const json& job) {
  const json& d = job.contains("decision") ? job["decision"] : json(nullptr);
  std::printf("job %llu  %s: %s\n", job["id"].get<unsigned long long>(), job.value("state", "").c_str(),
              job.value("reason", "").c_str());
  if (d.is_null()) {
    std::printf("no placement decision recorded (the job has not been placed)\n");
    return;
  }
  const bool runner = d.contains("runner_up") && !d["runner_up"].is_null();
  std::printf("\n%-14s %14s %10s", "TERM", d.value("site", "").c_str(), "WEIGHT");
  if (runner) std::printf(" %14s", d["runner_up"].value("site", "").c_str());
  std::printf("\n");
  for (size_t i = 0; i < d["terms"].size(); ++i) {
    const json& t = d["terms"][i];
    std::printf("%-14s %14.6g %10.4g", t.value("name", "").c_str(), t.value("value", 0.0), t.value("weight", 0.0));
    if (runner && i < d["runner_up"]["terms"].size()) std::printf(" %14.6g", d["runner_up"]["terms"][i].value("value", 0.0));
    std::printf("\n");
  }
  std::printf("%-14s %14.6g %10s", "total (cost)", d.value("total", 0.0), "");
  if (runner) std::printf(" %14.6g", d["runner_up"].value("total", 0.0));
  std::printf("\nchosen: %s (lowest total cost among eligible sites with room)\n", d.value("site", "").c_str());
}

void Print(const json& j, const std::string& output) {
  if (output == "yaml") {
    std::printf("%s", Yaml(j).c_str());
  } else {
    std::printf("%s\n", j.dump(2).c_str());
  }
}

bool ValidOutput(const std::string& o) {
  if (o == "table" || o == "json" || o == "yaml") return true;
  std::fprintf(stderr, "error: -o '%s': expected table, json or yaml\n", o.c_str());
  return false;
}

}  // namespace

int RunSubmit(const ClientOptions& o, const std::string& file, const std::string& key) {
  if (!ValidOutput(o.output)) return 2;
  // The server takes at most 1 MiB of job file; a larger file (or a device) is refused here.
  auto text = ReadTextFile(file, size_t{1} << 20);
  if (!text) {
    std::fprintf(stderr, "error: %s\n", text.error().message.c_str());
    return 2;
  }
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto client = MakeClient(e);
  httplib::Headers headers;
  if (!key.empty()) headers.emplace("Idempotency-Key", key);
  const bool is_json = file.ends_with(".json");
  auto r = client->Post("/v1/jobs", headers, *text, is_json ? "application/json" : "application/yaml");
  if (int code = ExitFor(r, e.url, file); code != 0) return code;
  PrintJobs(json::array({json::parse(r->body)}), o.output);
  return 0;
}

int RunJobs(const ClientOptions& o, const std::string& state, bool all) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto client = MakeClient(e);
  json jobs = json::array();
  std::string after = "0";
  do {
    std::string path = "/v1/jobs?limit=1000&after=" + after;
    if (!state.empty()) path += "&state=" + state;
    auto r = client->Get(path);
    if (int code = ExitFor(r, e.url); code != 0) return code;
    json page = json::parse(r->body);
    for (auto& j : page["jobs"]) jobs.push_back(j);
    after = page["next_after"].is_null() ? "" : std::to_string(page["next_after"].get<unsigned long long>());
  } while (all && !after.empty());
  PrintJobs(jobs, o.output);
  return 0;
}

int RunJob(const ClientOptions& o, const std::string& id, bool explain) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto r = MakeClient(e)->Get("/v1/jobs/" + id);
  if (int code = ExitFor(r, e.url); code != 0) return code;
  json job = json::parse(r->body);
  if (explain && o.output == "table") {
    PrintDecision(job);
  } else if (explain) {
    PrintJobs(job.contains("decision") ? job["decision"] : json(nullptr), o.output);
  } else if (o.output == "table") {
    PrintJobDetail(job);
  } else {
    PrintJobs(job, o.output);
  }
  return 0;
}

int RunReportEnergy(const ClientOptions& o) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto r = MakeClient(e)->Get("/v1/reports/energy");
  if (int code = ExitFor(r, e.url); code != 0) return code;
  json report = json::parse(r->body);
  if (o.output != "table") {
    Print(report, o.output);
    return 0;
  }
  auto table = [](const char* title, const json& rows, const char* key) {
    std::printf("%s\n%-12s %6s %9s %10s %10s %6s %10s %9s %9s %6s\n", title, key, "TASKS", "GPU_H", "IT_KWH",
                "FAC_KWH", "PUE", "KG_CO2E", "KG/GPU_H", "CNY", "GREEN");
    for (const auto& row : rows) {
      std::printf("%-12s %6llu %9.3f %10.4f %10.4f %6.3f %10.4f %9.4f %9.3f %5.1f%%\n",
                  row.value(key, std::string("")).c_str(), row.value("tasks", 0ull), row.value("gpu_hours", 0.0),
                  row.value("it_kwh", 0.0), row.value("facility_kwh", 0.0), row.value("pue", 0.0),
                  row.value("carbon_kg", 0.0), row.value("carbon_kg_per_gpu_hour", 0.0), row.value("energy_cny", 0.0),
                  100 * row.value("green_share", 0.0));
    }
    std::printf("\n");
  };
  table("BY SITE", report["sites"], "site");
  table("BY HUB", report["hubs"], "hub");
  table("BY TENANT", report["tenants"], "tenant");
  table("NETWORK", json::array({report["total"]}), "scope");
  if (!report["heat_forecast"].empty()) {
    std::printf("IT HEAT FORECAST (kW, from running jobs; now, +1 h, ... +5 h)\n");
    for (const auto& h : report["heat_forecast"]) {
      std::string hours;
      for (const auto& kw : h["it_heat_kw_by_hour"]) {
        char buf[16];
        std::snprintf(buf, sizeof buf, " %7.2f", kw.get<double>());
        hours += buf;
      }
      const double cap = h.value("capacity_kw", 0.0);
      std::printf("%-12s%s   cooling %s\n", h.value("site", "").c_str(), hours.c_str(),
                  cap > 0 ? (std::to_string(static_cast<int>(cap)) + " kW").c_str() : "not limited");
    }
  }
  return 0;
}

int RunCancel(const ClientOptions& o, const std::string& id) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto r = MakeClient(e)->Post("/v1/jobs/" + id + "/cancel", "", "text/plain");
  if (int code = ExitFor(r, e.url); code != 0) return code;
  PrintJobs(json::array({json::parse(r->body)}), o.output);
  return 0;
}

int RunLogs(const ClientOptions& o, const std::string& id, int task, const std::string& stream) {
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto r = MakeClient(e)->Get("/v1/jobs/" + id + "/logs?task=" + std::to_string(task) + "&stream=" + stream);
  if (int code = ExitFor(r, e.url); code != 0) return code;
  std::fwrite(r->body.data(), 1, r->body.size(), stdout);
  return 0;
}

int RunSites(const ClientOptions& o) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto r = MakeClient(e)->Get("/v1/sites");
  if (int code = ExitFor(r, e.url); code != 0) return code;
  json sites = json::parse(r->body)["sites"];
  if (o.output != "table") {
    Print(sites, o.output);
    return 0;
  }
  std::printf("%-12s %-10s %-12s %-6s %-5s %6s %10s %12s  %-18s %s\n", "SITE", "PLACE", "HUB", "SERVED", "UP", "NODES",
              "GPUS_FREE", "CORES_FREE", "CONFINEMENT", "AGENT");
  for (const auto& s : sites) {
    char gpus[32], cores[32];
    std::snprintf(gpus, sizeof gpus, "%g/%g", s.value("gpus_free", 0.0), s.value("gpus", 0.0));
    std::snprintf(cores, sizeof cores, "%g/%g", s.value("cpu_cores_free", 0.0), s.value("cpu_cores", 0.0));
    // What the agent registered: how tasks are kept apart and how their limits hold, e.g. "uid/cgroup1".
    std::string confinement = "-";
    if (const auto res = s.find("resources"); res != s.end() && res->is_object() && res->contains("confinement")) {
      auto text = [&](const char* key) {
        const auto v = res->find(key);
        return v != res->end() && v->is_string() ? v->get<std::string>() : std::string("?");
      };
      confinement = text("confinement") + "/" + text("limits");
    }
    std::printf("%-12s %-10s %-12s %-6s %-5s %6d %10s %12s  %-18s %s\n", s.value("id", "").c_str(),
                s.value("place", "").c_str(), s.value("hub", "").c_str(), s.value("served", false) ? "yes" : "no",
                s.value("up", false) ? "yes" : "no", s.value("nodes", 0), gpus, cores, confinement.c_str(),
                s["agent"].is_null() ? "-" : s["agent"].get<std::string>().c_str());
  }
  return 0;
}

int RunTenants(const ClientOptions& o, const std::string& create) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto client = MakeClient(e);
  auto r = create.empty() ? client->Get("/v1/tenants")
                          : client->Post("/v1/tenants", json{{"id", create}}.dump(), "application/json");
  if (int code = ExitFor(r, e.url); code != 0) return code;
  json answer = json::parse(r->body);
  if (o.output != "table") {
    Print(answer, o.output);
  } else if (!create.empty()) {
    std::printf("created tenant %s\n", create.c_str());
  } else {
    for (const auto& t : answer["tenants"]) std::printf("%s\n", t.get<std::string>().c_str());
  }
  return 0;
}

int RunTokens(const ClientOptions& o) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto r = MakeClient(e)->Get("/v1/tokens");
  if (int code = ExitFor(r, e.url); code != 0) return code;
  json tokens = json::parse(r->body)["tokens"];
  if (o.output != "table") {
    Print(tokens, o.output);
    return 0;
  }
  std::printf("%-6s %-16s %-9s %-8s %s\n", "ID", "TENANT", "ROLE", "REVOKED", "NAME");
  for (const auto& t : tokens) {
    std::printf("%-6llu %-16s %-9s %-8s %s\n", t.value("id", 0ull), t.value("tenant", "").c_str(),
                t.value("role", "").c_str(), t.value("revoked", false) ? "yes" : "no", t.value("name", "").c_str());
  }
  return 0;
}

int RunTokenCreate(const ClientOptions& o, const std::string& tenant, const std::string& role, const std::string& name,
                   const std::string& site) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  json ask{{"role", role}, {"name", name}};
  if (!tenant.empty()) ask["tenant"] = tenant;
  if (!site.empty()) ask["site"] = site;
  auto r = MakeClient(e)->Post("/v1/tokens", ask.dump(), "application/json");
  if (int code = ExitFor(r, e.url); code != 0) return code;
  json token = json::parse(r->body);
  if (o.output != "table") {
    Print(token, o.output);
  } else {
    std::printf("token %llu for %s (%s); the secret is shown only now:\n%s\n", token.value("id", 0ull),
                tenant.c_str(), role.c_str(), token.value("token", "").c_str());
  }
  return 0;
}

int RunTokenRevoke(const ClientOptions& o, const std::string& id) {
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto r = MakeClient(e)->Post("/v1/tokens/" + id + "/revoke", "", "text/plain");
  if (int code = ExitFor(r, e.url); code != 0) return code;
  std::printf("revoked token %s\n", id.c_str());
  return 0;
}

int RunUsage(const ClientOptions& o, const std::string& tenant, const std::string& job) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  std::string path = "/v1/usage";
  std::string sep = "?";
  if (!tenant.empty()) path += sep + "tenant=" + tenant, sep = "&";
  if (!job.empty()) path += sep + "job=" + job;
  auto r = MakeClient(e)->Get(path);
  if (int code = ExitFor(r, e.url); code != 0) return code;
  json answer = json::parse(r->body);
  if (o.output != "table") {
    Print(answer, o.output);
    return 0;
  }
  std::printf("%-8s %4s %7s %-10s %-12s %-6s %5s %6s %10s %12s %10s %10s\n", "JOB", "TASK", "ATTEMPT", "TENANT", "SITE",
              "GPU", "GPUS", "CORES", "WALL_S", "SCU_H", "KG_CO2E", "CNY");
  for (const auto& u : answer["usage"]) {
    const double wall_s = static_cast<double>(u.value("end_ms", 0LL) - u.value("start_ms", 0LL)) / 1000;
    std::printf("%-8llu %4d %7llu %-10s %-12s %-6s %5.2f %6.2f %10.1f %12.6f %10.4f %10s%s\n", u.value("job", 0ull),
                u.value("task", 0), u.value("attempt", 0ull), u.value("tenant", "").c_str(), u.value("site", "").c_str(),
                u.value("gpu_model", "-").empty() ? "-" : u.value("gpu_model", "").c_str(), u.value("gpus", 0.0),
                u.value("cores", 0.0), wall_s, u.value("scu_hours", 0.0), u.value("carbon_kg", 0.0),
                u.value("charge_cny", "").c_str(), u.value("energy_accounted", false) ? "" : "  (no energy model)");
  }
  std::printf("total: %.6f SCU-h, %s CNY\n", answer.value("scu_hours", 0.0), answer.value("charge_cny", "").c_str());
  return 0;
}

int RunInvoice(const ClientOptions& o, const std::string& tenant, int64_t from_ms, int64_t to_ms) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  std::string path = "/v1/invoices/" + tenant + "?from=" + std::to_string(from_ms);
  if (to_ms > 0) path += "&to=" + std::to_string(to_ms);
  auto r = MakeClient(e)->Get(path);
  if (int code = ExitFor(r, e.url); code != 0) return code;
  json inv = json::parse(r->body);
  if (o.output != "table") {
    Print(inv, o.output);
    return 0;
  }
  std::printf("INVOICE  tenant %s  period [%lld, %lld) ms\n", inv.value("tenant", "").c_str(), inv.value("from_ms", 0LL),
              inv.value("to_ms", 0LL));
  std::printf("%-8s %-10s %-28s %14s %14s  %s\n", "SEQ", "KIND", "TRANSACTION", "CHARGE", "PAYMENT", "MEMO");
  for (const auto& l : inv["lines"]) {
    std::printf("%-8llu %-10s %-28s %14s %14s  %s\n", l.value("seq", 0ull), l.value("kind", "").c_str(),
                l.value("txn", "").c_str(), l.value("debit_cny", "").c_str(), l.value("credit_cny", "").c_str(),
                l.value("memo", "").c_str());
  }
  std::printf("opening %s  charges %s  payments %s  closing %s CNY; %llu tasks, %.6f SCU-h, %.4f kg CO2e\n",
              inv.value("opening_cny", "").c_str(), inv.value("charges_cny", "").c_str(),
              inv.value("payments_cny", "").c_str(), inv.value("closing_cny", "").c_str(), inv.value("tasks", 0ull),
              inv.value("scu_hours", 0.0), inv.value("carbon_kg", 0.0));
  return 0;
}

int RunTopUp(const ClientOptions& o, const std::string& tenant, double cny, const std::string& memo) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto r = MakeClient(e)->Post("/v1/tenants/" + tenant + "/topup", json{{"cny", cny}, {"memo", memo}}.dump(),
                               "application/json");
  if (int code = ExitFor(r, e.url); code != 0) return code;
  json answer = json::parse(r->body);
  if (o.output != "table") {
    Print(answer, o.output);
  } else {
    std::printf("topped up %s: balance %s CNY (%s)\n", tenant.c_str(), answer.value("balance_cny", "").c_str(),
                answer.value("txn", "").c_str());
  }
  return 0;
}

int RunOffers(const ClientOptions& o, const OfferArgs& offer) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto client = MakeClient(e);
  json body{{"site", offer.site}, {"pool", offer.pool}, {"kind", offer.kind}, {"price_cny_per_scu_h", offer.price},
            {"from_ms", offer.from_ms}, {"until_ms", offer.until_ms}, {"notice_s", offer.notice_s}};
  if (offer.min_price > 0) body["min_price_cny_per_scu_h"] = offer.min_price;
  httplib::Result r = !offer.reserve.empty()  ? client->Post("/v1/offers/" + offer.reserve + "/reserve", "", "text/plain")
                      : !offer.withdraw.empty() ? client->Post("/v1/offers/" + offer.withdraw + "/withdraw", "", "text/plain")
                      : !offer.site.empty()   ? client->Post("/v1/offers", body.dump(), "application/json")
                                              : client->Get(offer.all ? "/v1/offers?all=1" : "/v1/offers");
  if (int code = ExitFor(r, e.url); code != 0) return code;
  json answer = json::parse(r->body);
  if (o.output != "table") {
    Print(answer, o.output);
    return 0;
  }
  const json list = answer.contains("offers") ? answer["offers"] : json::array({answer});
  std::printf("%-6s %-10s %-12s %-8s %-10s %12s %12s %14s %14s %8s\n", "ID", "PROVIDER", "SITE", "POOL", "KIND", "PRICE",
              "MIN_PRICE", "FROM_MS", "UNTIL_MS", "NOTICE_S");
  for (const auto& x : list) {
    std::printf("%-6llu %-10s %-12s %-8s %-10s %12s %12s %14lld %14lld %8lld%s\n", x.value("id", 0ull),
                x.value("provider", "").c_str(), x.value("site", "").c_str(), x.value("pool", "").c_str(),
                x.value("kind", "").c_str(), x.value("price_cny_per_scu_h", "").c_str(),
                x.value("min_price_cny_per_scu_h", "").c_str(), x.value("from_ms", 0LL), x.value("until_ms", 0LL),
                x.value("notice_s", 0LL), x.value("withdrawn_ms", 0LL) ? "  (withdrawn)" : "");
  }
  return 0;
}

int RunPrices(const ClientOptions& o, const std::string& hub) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto r = MakeClient(e)->Get(hub.empty() ? "/v1/prices" : "/v1/prices?hub=" + hub);
  if (int code = ExitFor(r, e.url); code != 0) return code;
  json answer = json::parse(r->body);
  if (o.output != "table") {
    Print(answer, o.output);
    return 0;
  }
  std::printf("%-14s %-10s %-14s %12s %7s %12s %12s %12s\n", "SLOT_MS", "HUB", "CLASS", "CNY/SCU-H", "TRADED", "OFFERED",
              "SOLD", "DEMAND");
  for (const auto& p : answer["prices"]) {
    std::printf("%-14lld %-10s %-14s %12s %7s %12.1f %12.1f %12.1f\n", p.value("slot_ms", 0LL), p.value("hub", "").c_str(),
                p.value("class", "").c_str(), p.value("price_cny_per_scu_h", "").c_str(),
                p.value("traded", false) ? "yes" : "no", p.value("offered_scu", 0.0), p.value("sold_scu", 0.0),
                p.value("demand_scu", 0.0));
  }
  return 0;
}

int RunBids(const ClientOptions& o) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto r = MakeClient(e)->Get("/v1/bids");
  if (int code = ExitFor(r, e.url); code != 0) return code;
  json answer = json::parse(r->body);
  if (o.output != "table") {
    Print(answer, o.output);
    return 0;
  }
  std::printf("%-8s %-10s %-20s %14s\n", "JOB", "TENANT", "NAME", "MAX CNY/SCU-H");
  for (const auto& b : answer["bids"]) {
    std::printf("%-8llu %-10s %-20s %14.6f%s\n", b.value("job", 0ull), b.value("tenant", "").c_str(),
                b.value("name", "").c_str(), b.value("max_price_cny_per_scu_h", 0.0),
                b.value("at_list_price", false) ? "  (list price)" : "");
  }
  return 0;
}

int RunStatement(const ClientOptions& o, const std::string& site) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto r = MakeClient(e)->Get("/v1/statements/" + site);
  if (int code = ExitFor(r, e.url); code != 0) return code;
  json st = json::parse(r->body);
  if (o.output != "table") {
    Print(st, o.output);
    return 0;
  }
  std::printf("STATEMENT  site %s  provider %s\n", st.value("site", "").c_str(), st.value("provider", "").c_str());
  for (const auto& l : st["lines"]) {
    std::printf("%-8llu %-28s %14s  %s\n", l.value("seq", 0ull), l.value("txn", "").c_str(),
                l.value("earned_cny", "").c_str(), l.value("memo", "").c_str());
  }
  std::printf("opening %s  earned %s  closing %s CNY\n", st.value("opening_cny", "").c_str(),
              st.value("earned_cny", "").c_str(), st.value("closing_cny", "").c_str());
  return 0;
}

int RunMarketClear(const ClientOptions& o) {
  const Endpoint e = ResolveEndpoint(o.url, o.token, o.ca);
  auto r = MakeClient(e)->Post("/v1/market/clear", "", "text/plain");
  if (int code = ExitFor(r, e.url); code != 0) return code;
  std::printf("clearing requested; see suanwang prices\n");
  return 0;
}

}  // namespace suanwang
