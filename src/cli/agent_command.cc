#include "cli/agent_command.h"

#include "security/key_file.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/confinement.h"
#include "agent/local_executor.h"
#include "agent/tenant_users.h"
#include "agent/resources.h"
#include "agent/site_agent.h"
#include "agent/slurm_executor.h"
#include "cli/cli_util.h"

namespace suanwang {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The flag when given, else the environment variable when set, else `otherwise`.
std::string Setting(const std::string& flag, const char* env, const std::string& otherwise) {
  if (!flag.empty()) return flag;
  const char* value = std::getenv(env);
  return value && *value ? value : otherwise;
}

}  // namespace

bool MayRunTenantsWork(bool unconfined, const char* who) {
  if (unconfined || CanConfineTasks()) return true;
  std::fprintf(stderr,
               "error: %s cannot run tenants' tasks under their own users: it is not root (nor holds CAP_SETUID, "
               "CAP_SETGID, CAP_CHOWN and CAP_SYS_ADMIN). Start it as root, or pass --unconfined to run every task "
               "as this user (no isolation between tenants and the agent).\n",
               who);
  return false;
}

int RunAgent(const AgentOptions& o) {
  if (o.executor != "local" && o.executor != "slurm") {
    std::fprintf(stderr, "error: --executor '%s': expected local or slurm\n", o.executor.c_str());
    return 2;
  }
  const std::string home = Setting(o.home, "SUANWANG_HOME", ".suanwang");
  const std::string url = Setting(o.url, "SUANWANG_URL", FirstLine(home + "/url"));
  const std::string key_path = !o.server_key.empty() ? o.server_key : home + "/dispatch.key.pub";
  const std::string state_dir = !o.state_dir.empty() ? o.state_dir : home + "/agents/" + o.site;
  // The site's own agent credential (a server with --sites writes one per site there); an
  // admin's or operator's token cannot act as a site's agent.
  const std::string token = Setting(o.token, "SUANWANG_TOKEN", FirstLine(home + "/agents/" + o.site + "/agent.token"));
  // Read once: no child inherits it (sbatch passes its whole environment on to the job).
  ::unsetenv("SUANWANG_TOKEN");
  if (url.empty()) {
    std::fprintf(stderr, "error: no server URL: pass --url, set SUANWANG_URL, or start the server with --home %s\n", home.c_str());
    return 2;
  }
  const std::string public_key = FirstLine(key_path);
  if (public_key.empty()) {
    std::fprintf(stderr, "error: --server-key '%s': cannot read the server's public key (the server writes it to HOME/dispatch.key.pub)\n",
                 key_path.c_str());
    return 2;
  }
  const bool confined = !o.unconfined;
  if (!MayRunTenantsWork(o.unconfined, "the agent")) return 2;
  auto uid_range = ParseUidRange(o.task_uids);
  if (!uid_range) return Fail(uid_range.error());
  // The state (receipt key, state file) and the task directories are the agent's alone.
  std::error_code ec;
  std::filesystem::create_directories(state_dir + "/tasks", ec);
  for (const std::string& dir : {state_dir, state_dir + "/tasks"}) {
    if (!ec) std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  }
  if (ec) {
    std::fprintf(stderr, "error: state directory '%s': %s\n", state_dir.c_str(), ec.message().c_str());
    return 2;
  }
  auto runner = MakeProcessRunner();
  std::unique_ptr<TenantUsers> users;
  if (confined) users = std::make_unique<TenantUsers>(*uid_range, *runner, ::geteuid());
  std::string resources = DiscoverResources();
  if (o.executor == "slurm") {
    auto discovered = DiscoverSlurmResources(*runner, o.slurm_partition, o.slurm_queue_depth);
    if (!discovered) return Fail(discovered.error());
    resources = *discovered;
  }
  if (!o.resources.empty()) {
    auto declared = ReadDeclaredResources(o.resources);
    if (!declared) return Fail(declared.error());
    resources = *declared;
  }
  char host[256] = {};
  gethostname(host, sizeof host - 1);

  SystemClock clock;
  std::unique_ptr<Executor> executor;
  std::string limits_why;
  const auto cgroup_parent = TaskCgroup::ParentFromEnvironment();
  const LimitEnforcement limits =
      o.executor == "slurm" ? LimitEnforcement::kNone : DetectLimitEnforcement(cgroup_parent, confined, &limits_why);
  if (o.executor == "slurm") {
    SlurmExecutorOptions slurm;
    slurm.work_root = std::filesystem::absolute(state_dir + "/tasks").string();
    slurm.partition = o.slurm_partition;
    slurm.start_grace_ms = static_cast<Timestamp>(o.slurm_start_grace_s * 1000);
    // Sites sharing a cluster keep their tags apart.
    slurm.job_prefix = o.slurm_job_prefix.empty() ? "sw-" + o.site + "-" : o.slurm_job_prefix;
    slurm.users = users.get();
    executor = std::make_unique<SlurmExecutor>(slurm, *runner, clock);
  } else {
    LocalExecutorOptions local;
    local.work_root = state_dir + "/tasks";
    local.cgroup_parent = cgroup_parent;
    local.users = users.get();
    local.limits = limits;
    local.pids_max = o.task_pids;
    executor = std::make_unique<LocalExecutor>(local, clock);
  }
  ControlPlaneTls tls;
  tls.ca_file = Setting(o.ca, "SUANWANG_CA", std::filesystem::exists(home + "/ca.pem") ? home + "/ca.pem" : "");
  tls.client_cert_file = o.client_cert;
  tls.client_key_file = o.client_key;
  if (!tls.ca_file.empty() && !std::filesystem::exists(tls.ca_file)) {
    std::fprintf(stderr, "error: --ca '%s': no such file\n", tls.ca_file.c_str());
    return 2;
  }
  auto made = MakeHttpControlPlaneClient(url, token, o.site, tls);
  if (!made) return Fail(made.error());
  auto server = std::move(*made);
  SiteAgentOptions options;
  options.site = o.site;
  options.agent_id = std::string(host) + "/" + std::to_string(::getpid());
  options.state_path = state_dir + "/state.json";
  // Slurm enforces its own limits (its cgroup plugins); the agent reports what it applies itself.
  const std::string limits_name = o.executor == "slurm" ? "slurm" : LimitEnforcementName(limits);
  options.resources_json = WithConfinement(resources, confined ? "uid" : "unconfined", limits_name);
  // The agent's own key: it signs the usage it measures (security/usage_receipt.h).
  auto receipt_key = LoadOrCreateSigningKey(state_dir + "/receipt.key");
  if (!receipt_key) return Fail(receipt_key.error());
  options.receipt_public_hex = receipt_key->public_key_hex;
  options.receipt_secret_hex = receipt_key->secret_key_hex;
  options.poll_ms = o.poll_ms;
  options.wait_ms = o.wait_ms;
  options.heartbeat_ms = o.heartbeat_ms;
  const std::string prefix = "suanwang agent " + o.site + ": ";
  auto log = [&](const std::string& line) {
    std::fprintf(stderr, "%s%s\n", prefix.c_str(), line.c_str());
    std::fflush(stderr);
  };
  auto agent = SiteAgent::Create(options, public_key, *server, *executor, clock, log);
  if (!agent) return Fail(agent.error());

  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  log("serving site " + o.site + " for " + url + " with the " + o.executor + " executor (state in " + state_dir + ")");
  log(std::string("tasks run ") +
      (confined ? "as their tenants' users (uids " + o.task_uids + ")" : "UNCONFINED, as the agent's own user") +
      "; limits: " + limits_name + (limits_why.empty() ? "" : " (" + limits_why + ")"));
  while (!g_stop) {
    const Timestamp wait = (*agent)->Step();
    for (Timestamp slept = 0; slept < wait && !g_stop; slept += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<Timestamp>(10, wait - slept)));
    }
  }
  (*agent)->StopAll("the agent is shutting down");
  // Give the tasks their grace to end and the server their reports, for a few seconds at most.
  for (int i = 0; i < 60 && !(*agent)->state().tasks.empty(); ++i) {
    (*agent)->Step();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  (*agent)->Step();
  log("stopped");
  return 0;
}

}  // namespace suanwang
