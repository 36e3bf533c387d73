// The control plane: the HTTP API over the store, hosting the engine in one scheduling loop.
//
// A submitted job is validated, committed (group commit) with an audit entry, and only then
// acknowledged (201) and handed to the scheduling loop, which applies the engine and records
// each decision (placed at a site / queued / rejected, with the reason) back in the store.
// After a restart, jobs not in a final state are handed to the engine again.
//
// Every request but GET /healthz carries "Authorization: Bearer <token>" (agents may present a
// client certificate "site:ID" instead). Roles:
//   user      submits into its own tenant; sees and cancels only its tenant's jobs (others'
//             look absent: 404);
//   operator  sees and cancels every tenant's jobs, reads /metrics and tenants;
//   admin     all of that, and creates tenants and tokens, revokes tokens;
//   agent     one site's agent credential: the site protocol of that site, nothing else (no
//             other role may speak it). Admins and operators belong to tenant "system".
// Token secrets are random, shown once when created, and stored as SHA-256 hashes. On first
// start (no token at all) the server creates tenant "system" with an admin token and writes it
// to `admin_token_file`.
//
// Routes: GET /healthz, GET /metrics, POST|GET /v1/jobs, GET /v1/jobs/{id},
// POST /v1/jobs/{id}/cancel, GET /v1/jobs/{id}/logs, POST|GET /v1/tenants, POST|GET /v1/tokens,
// POST /v1/tokens/{id}/revoke, GET /v1/sites, GET /v1/sites/{site}, and for agents (admin or
// operator tokens) GET /v1/sites/{site}/dispatches, POST /v1/sites/{site}/heartbeat,
// POST /v1/sites/{site}/reports. Errors are RFC 9457 problem documents.
// Each token has a request rate limit (RateLimiter); over it: 429 with Retry-After.
//
// Sites and agents: every placement appends one signed "run" command per task to the site's
// dispatch log in the same transaction (with a task row, attempt n+1); cancelling a placed job
// appends a signed "kill". An agent holds its site's lease by heartbeats; its reports move
// tasks and jobs on (running, succeeded, failed; see task_reports.h). A site whose lease runs
// out is down: nothing new goes there, and its jobs are requeued with their tasks marked lost
// and a signed kill left in its log, so a returning agent stops them first (fencing: reports
// of the old attempt are ignored). With `served_sites`, only those sites run work, each only
// while an agent holds its lease; without, every site is up until a lease it had runs out.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/http_types.h"
#include "common/clock.h"
#include "common/error.h"
#include "engine/network/cost_model.h"

namespace suanwang {

struct ControlPlaneOptions {
  std::string store_url;
  std::string network_path;
  std::string node_policy = "fgd-lookahead";
  // The data folder with catalogs/{accelerators,power}.yaml: the energy model that accounts
  // each task's energy, carbon and cost, and feeds the cost model's energy terms. Empty: no
  // energy accounting.
  std::string data_dir;
  CostWeights cost_weights;  // the engine's site choice (engine/network/cost_model.h)
  std::string admin_token_file;  // where the first admin token is written (mode 0600)
  // When set (suanwang up): each served site gets its own agent credential, written to
  // DIR/SITE/agent.token (0600) unless a valid one is there already.
  std::string agent_token_dir;
  // Requests per second each API token may make on average, and at once; 0: no limit. Over the
  // limit a request gets 429 with Retry-After and changes nothing.
  double rate_limit_per_s = 0;
  double rate_limit_burst = 0;
  // The server's Ed25519 dispatch key (created with a .pub beside it on first start); empty:
  // a fresh key per process (tests).
  std::string signing_key_file;
  // How long a heartbeat keeps a site's lease.
  Timestamp lease_ms = 10000;
  // Sites that run work (each while its agent holds the lease); empty: every site.
  std::vector<std::string> served_sites;
  // How often the market clears (offers against the live jobs' bids, per hub and class).
  double market_slot_s = 3600;
};

// Every route the API serves as (method, path template); docs/openapi.yaml must list exactly
// these (tests/integration/server_test.cc checks both the list and the live server).
const std::vector<std::pair<std::string, std::string>>& ApiRoutes();

class ControlPlane {
 public:
  // Errors: those of OpenStore and LoadNetworkFile; kInvalidArgument for an unknown policy.
  static Result<std::unique_ptr<ControlPlane>> Open(const ControlPlaneOptions& options, const Clock& clock);
  virtual ~ControlPlane() = default;
  // Thread-safe.
  virtual HttpResponse Handle(const HttpRequest& request) = 0;
  // Whether a request may send its body, judged on its header alone (HttpServerOptions::
  // pre_body_check): the 401 Handle would answer for a request without a valid credential,
  // else nullopt. Quick and non-blocking (a hash and a shared lock). Thread-safe.
  virtual std::optional<HttpResponse> Admit(const HttpRequest& head) = 0;
};

}  // namespace suanwang
