// `suanwang up`: the embedded default. One command starts the server (SQLite in --home) and a
// local agent for each of three demo sites of the default network, in different hubs; prints
// the URL and an admin token; stops everything cleanly on Ctrl-C (SIGINT) or SIGTERM.
#pragma once

#include <string>
#include <vector>

#include "cli/server_command.h"

namespace suanwang {

struct UpOptions {
  ServerOptions server;  // --home, --listen, --store, --network, --policy, --lease-ms
  // Sites that get a local agent (and are the only ones that run work).
  std::vector<std::string> sites = {"sh-edge", "zjk-1", "zw-1"};
  int64_t poll_ms = 5;
  int64_t wait_ms = 100;
  // With a Slurm cluster reachable (SLURM_CONF; scripts/slurm-start starts a local one): this
  // site's agent submits its tasks to Slurm instead of running local processes.
  std::string slurm_site;  // empty: every site local
  // HTTPS with a local CA kept in HOME (HOME/ca.pem; keys and certificates under HOME/tls/)
  // unless this is set.
  bool insecure_http = false;
  bool unconfined = false;  // passed to every agent: tasks run as this user (needed when not root)
};

int RunUp(const UpOptions& options);

}  // namespace suanwang
