// `suanwang server`: the control plane over HTTP.
#pragma once

#include <string>
#include <vector>

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
};

// Serves until SIGINT or SIGTERM; writes HOME/url once ready. Exit code as the CLI's.
int RunServer(const ServerOptions& options);

}  // namespace suanwang
