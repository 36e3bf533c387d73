// Pieces of an API request every handler needs: the path split into parts, the query, ids,
// pagination, and who is calling.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "api/http_types.h"
#include "common/error.h"

namespace suanwang {

// "/v1/jobs/12/cancel?x=1" -> {"v1", "jobs", "12", "cancel"}, query {"x": "1"}.
std::vector<std::string> PathParts(const std::string& target, std::map<std::string, std::string>& query);

// Errors: kInvalidArgument naming `what` when `text` is not a positive integer.
Result<uint64_t> ParseId(const std::string& text, const std::string& what);

// ?after=N&limit=M of the list endpoints: after defaults to 0, limit to 100 (1..1000).
struct Page {
  uint64_t after = 0;
  size_t limit = 100;
};
Result<Page> ParsePage(const std::map<std::string, std::string>& query);

// The platform's own tenant: its admins and operators are the only ones who see every tenant.
inline constexpr const char* kPlatformTenant = "system";

struct Caller {
  std::string tenant;
  std::string role;  // admin, operator, provider, user, agent
  uint64_t token_id = 0;  // 0: not a token (a client certificate)
  std::string site;       // role agent: the one site it acts for
  // What authenticated it, for leases and rate limits: "token/ID" or "cert/IDENTITY".
  std::string credential;
  // Admins, and operators of the platform's tenant, see every tenant's things; everyone else
  // (an operator bound to another tenant too) sees their own tenant's.
  bool SeesEverything() const { return role == "admin" || (role == "operator" && tenant == kPlatformTenant); }
  // The agent credential of `site_id`.
  bool IsAgentOf(const std::string& site_id) const { return role == "agent" && site == site_id; }
  bool Sees(const std::string& tenant_of_thing) const { return SeesEverything() || tenant_of_thing == tenant; }
  bool Is(std::initializer_list<const char*> roles) const {
    for (const char* r : roles) {
      if (role == r) return true;
    }
    return false;
  }
};

bool ValidRole(const std::string& role);

// An optional non-negative integer query parameter (ms, ids); `fallback` when absent.
// Errors: kInvalidArgument naming the parameter.
Result<int64_t> QueryInt(const std::map<std::string, std::string>& query, const char* key, int64_t fallback);

// Runs `f` when the request's method is `method`, else answers 405 with Allow.
template <class F>
HttpResponse Only(const char* method, const HttpRequest& req, F&& f);

HttpResponse MethodNotAllowed(const char* method, const HttpRequest& req);

template <class F>
HttpResponse Only(const char* method, const HttpRequest& req, F&& f) {
  if (req.method != method) return MethodNotAllowed(method, req);
  return f();
}

}  // namespace suanwang
