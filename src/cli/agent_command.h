// `suanwang agent --site ID`: the site agent process.
#pragma once

#include <string>

namespace suanwang {

struct AgentOptions {
  std::string site;
  std::string url;         // default: $SUANWANG_URL, else HOME/url
  std::string token;       // default: $SUANWANG_TOKEN, else HOME/admin.token
  std::string home;        // suanwang home (default: $SUANWANG_HOME or ./.suanwang)
  std::string state_dir;   // default: HOME/agents/SITE (state file and task directories)
  std::string server_key;  // pinned server public key (default: HOME/dispatch.key.pub)
  std::string ca;           // CA to verify an https server (default: $SUANWANG_CA, else HOME/ca.pem if it exists)
  std::string client_cert, client_key;  // a client certificate for mutual TLS (optional)
  std::string resources;   // declared resources (JSON file); default: discovered
  std::string executor = "local";  // local | slurm
  std::string slurm_partition;     // --executor slurm: partition (default: the cluster's default)
  std::string slurm_job_prefix;    // --executor slurm: job names start with it (default: sw-SITE-)
  int slurm_queue_depth = 2;       // --executor slurm: the control plane may fill the cluster this many times over
  double slurm_start_grace_s = 60; // --executor slurm: RUNNING in Slurm this long with no sign of its script: given up
  int64_t poll_ms = 5;
  int64_t wait_ms = 100;
  int64_t heartbeat_ms = 1000;
  // Tasks run as the agent's own user, not confined: an explicit choice for machines where the
  // agent is not root (development, CI without root). Without it, such an agent refuses to start.
  bool unconfined = false;
  std::string task_uids = "61000-61999";  // uids of tenants' users (agent/tenant_users.h)
  int64_t task_pids = 256;                // processes per task (pids.max, RLIMIT_NPROC)
};

// Runs until SIGINT or SIGTERM, then stops its tasks and reports them. Exit code as the CLI's.
int RunAgent(const AgentOptions& options);

// Whether agents may run tenants' work in this process's place: it can confine them (root, or
// the capabilities to switch users: agent/confinement.h), or `unconfined` was chosen. When not,
// prints to stderr why, naming `who` and --unconfined, and returns false.
bool MayRunTenantsWork(bool unconfined, const char* who);

}  // namespace suanwang
