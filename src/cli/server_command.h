// `suanwang server`: the control plane over HTTP.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "server/control_plane.h"
#include "server/http_server.h"

namespace suanwang {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free one
  std::string home;                       // default: $SUANWANG_HOME or ./.suanwang
  std::string store;                      // default: sqlite://HOME/suanwang.db
  std::string network;                    // default: the shipped china-hubs network
  std::string policy = "fgd-lookahead";
  double rate_limit = 10000;     // requests/s per API token; 0: no limit
  double rate_limit_burst = 0;   // default: 2 x rate_limit
  int64_t lease_ms = 10000;      // how long a heartbeat keeps a site's lease
  std::vector<std::string> sites;  // sites that run work while their agent is live; empty: all
  std::string weights;             // cost weights "carbon=3600,latency=0.01" (others: defaults)
  double market_slot_s = 3600;     // how often the market clears
  // HTTPS with this certificate and key (PEM); without them plain HTTP, on a loopback address
  // only unless insecure_http.
  std::string tls_cert, tls_key;
  std::string client_ca;        // with TLS: verify client certificates against this CA (optional for clients)
  bool insecure_http = false;   // allow plain HTTP on a non-loopback --listen
  int max_connections_per_client = 1024;
};

// A server that listens (its HTTP loop not yet running).
struct RunningServer {
  std::string home;
  std::string url;
  std::string store_url;
  std::unique_ptr<ControlPlane> plane;
  std::unique_ptr<HttpServer> http;  // declared after plane: destroyed first
};

// --home, else $SUANWANG_HOME, else ./.suanwang.
std::string ServerHome(const std::string& flag);
// Opens the control plane and binds the listener. Errors: kInvalidArgument for a bad --listen
// or --home, for plain HTTP on a non-loopback --listen without insecure_http, for a TLS file that
// cannot be loaded, and those of ControlPlane::Open and HttpServer::Start.
Result<RunningServer> StartServer(const ServerOptions& options, const Clock& clock);
// Writes HOME/url atomically (once the server is ready to serve) / removes it.
void PublishUrl(const RunningServer& server);
void WithdrawUrl(const RunningServer& server);

// Serves until SIGINT or SIGTERM; writes HOME/url once ready. Exit code as the CLI's.
int RunServer(const ServerOptions& options);

}  // namespace suanwang
