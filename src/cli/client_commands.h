// The user commands: submit, jobs, job, cancel, logs, sites, tenants, tokens. They talk to a
// server's API.
// Exit codes: 0 success; 1 the server failed (5xx); 2 the request was refused (4xx) or the
// input is bad; 3 the server cannot be reached.
#pragma once

#include <cstdint>
#include <string>

namespace suanwang {

struct ClientOptions {
  std::string url, token;      // default: $SUANWANG_URL / $SUANWANG_TOKEN
  std::string ca;              // CA file for https (default: see cli/http_client.h)
  std::string output = "table";  // table | json | yaml
};

int RunSubmit(const ClientOptions& options, const std::string& file, const std::string& idempotency_key);
int RunJobs(const ClientOptions& options, const std::string& state, bool all);
// `explain`: the engine's placement decision (cost terms of the chosen site and runner-up).
int RunJob(const ClientOptions& options, const std::string& id, bool explain = false);
// `suanwang report energy`: GET /v1/reports/energy as tables (or json/yaml).
int RunReportEnergy(const ClientOptions& options);
// `suanwang usage`: GET /v1/usage (optionally one tenant's or one job's).
int RunUsage(const ClientOptions& options, const std::string& tenant, const std::string& job);
// `suanwang invoice TENANT`: GET /v1/invoices/TENANT for [from_ms, to_ms) (to 0: now).
int RunInvoice(const ClientOptions& options, const std::string& tenant, int64_t from_ms, int64_t to_ms);
// `suanwang topup TENANT CNY`: POST /v1/tenants/TENANT/topup (admins).
int RunTopUp(const ClientOptions& options, const std::string& tenant, double cny, const std::string& memo);
// `suanwang offers`: list the market's active offers (--all: also withdrawn/expired ones of
// the caller), post one (--site/--pool/--kind/--price...), or withdraw one (withdraw ID).
struct OfferArgs {
  std::string site, pool, kind = "spot", withdraw, reserve;
  double price = 0, min_price = 0;
  int64_t from_ms = 0, until_ms = 0, notice_s = 0;
  bool all = false;
};
int RunOffers(const ClientOptions& options, const OfferArgs& offer);
// `suanwang prices [--hub H]`: the published price of compute per hub, class and slot.
int RunPrices(const ClientOptions& options, const std::string& hub);
// `suanwang market clear`: asks the server for a clearing now (admins).
int RunMarketClear(const ClientOptions& options);
// `suanwang bids`: the caller's live jobs and the max price each bids.
int RunBids(const ClientOptions& options);
// `suanwang statement SITE`: a provider's earnings from one site.
int RunStatement(const ClientOptions& options, const std::string& site);
int RunCancel(const ClientOptions& options, const std::string& id);
// Prints the end of a task's output (stdout or stderr) as the server holds it.
int RunLogs(const ClientOptions& options, const std::string& id, int task, const std::string& stream);
int RunSites(const ClientOptions& options);
// Empty `create`: lists tenants; else creates that tenant.
int RunTenants(const ClientOptions& options, const std::string& create);
int RunTokens(const ClientOptions& options);
int RunTokenCreate(const ClientOptions& options, const std::string& tenant, const std::string& role,
                   const std::string& name, const std::string& site = "");
int RunTokenRevoke(const ClientOptions& options, const std::string& id);

}  // namespace suanwang
