// The control plane: the HTTP API over the store, hosting the engine in one scheduling loop.
//
// A submitted job is validated, committed (group commit) with an audit entry, and only then
// acknowledged (201) and handed to the scheduling loop, which applies the engine and records
// each decision (placed at a site / queued / rejected, with the reason) back in the store.
// After a restart, jobs not in a final state are handed to the engine again.
//
// Routes: GET /healthz, GET /metrics, POST /v1/jobs, GET /v1/jobs, GET /v1/jobs/{id},
// POST /v1/jobs/{id}/cancel. Errors are RFC 9457 problem documents.
// Not yet here (the control-plane issue's remaining parts): tenants, tokens and roles (every
// request acts as tenant "default"), agents and dispatch, logs.
#pragma once

#include <memory>
#include <string>

#include "api/http_types.h"
#include "common/clock.h"
#include "common/error.h"

namespace suanwang {

struct ControlPlaneOptions {
  std::string store_url;
  std::string network_path;
  std::string node_policy = "fgd-lookahead";
};

class ControlPlane {
 public:
  // Errors: those of OpenStore and LoadNetworkFile; kInvalidArgument for an unknown policy.
  static Result<std::unique_ptr<ControlPlane>> Open(const ControlPlaneOptions& options, const Clock& clock);
  virtual ~ControlPlane() = default;
  // Thread-safe.
  virtual HttpResponse Handle(const HttpRequest& request) = 0;
};

}  // namespace suanwang
