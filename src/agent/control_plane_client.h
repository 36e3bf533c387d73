// The site agent's view of the server: fetch the site's signed commands, hold the site's lease,
// send task reports. The HTTP implementation is what runs; tests of the agent's logic may use
// an in-memory one (the HTTP one is exercised by the integration tests against a real server).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/site_protocol.h"
#include "common/error.h"
#include "common/time.h"
#include "security/dispatch_signing.h"

namespace suanwang {

class ControlPlaneClient {
 public:
  virtual ~ControlPlaneClient() = default;
  // Commands with seq > after, in order; when there are none yet, the server may hold the call
  // for up to `wait_ms` until one arrives. Errors: kUnavailable (no answer, or a 5xx),
  // kPermissionDenied (401/403), kInvalidArgument (another 4xx; the problem's detail).
  virtual Result<std::vector<SignedCommand>> FetchDispatches(uint64_t after, size_t limit, Timestamp wait_ms) = 0;
  // Renews the site's lease; returns its length and where the site's dispatch log ends.
  // Errors as above.
  virtual Result<HeartbeatAnswer> SendHeartbeat(const Heartbeat& heartbeat) = 0;
  // Errors as above; on success the server has committed every report.
  virtual Result<void> SendReports(const ReportBatch& batch) = 0;
  // The longest the next calls may take (connect, send, wait for the answer) before they fail
  // with kUnavailable.
  virtual void SetTimeout(Timestamp ms) = 0;
};

// Talks HTTP to `url` (e.g. http://127.0.0.1:8080) with a bearer token (none when empty), for
// one site. Its sockets are close-on-exec (the agent forks tasks while it holds a connection).
std::unique_ptr<ControlPlaneClient> MakeHttpControlPlaneClient(const std::string& url, const std::string& token,
                                                               const std::string& site);

// For an https `url`: the server is verified against `ca_file` ("" : the system's CAs), its
// certificate and host name; the agent presents the client certificate when one is given.
struct ControlPlaneTls {
  std::string ca_file;
  std::string client_cert_file, client_key_file;
};
// Errors: kInvalidArgument when the client certificate or key cannot be loaded, or one is given
// without the other, or TLS files are given for an http:// URL.
Result<std::unique_ptr<ControlPlaneClient>> MakeHttpControlPlaneClient(const std::string& url, const std::string& token,
                                                                       const std::string& site, const ControlPlaneTls& tls);

}  // namespace suanwang
