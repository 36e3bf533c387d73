// suanwang: one binary, subcommands. This file only parses the command line (CLI11 is
// included here and nowhere else) and hands off to one function per subcommand.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/agent_command.h"
#include "cli/up_command.h"
#include "cli/audit_command.h"
#include "cli/ledger_command.h"
#include "cli/bench_command.h"
#include "cli/bench_network_command.h"
#include "cli/bench_running_command.h"
#include "cli/bench_submit_command.h"
#include "cli/client_commands.h"
#include "cli/server_command.h"
#include "cli/sim_command.h"

int main(int argc, char** argv) {
  using namespace suanwang;
  CLI::App app{"suanwang (算网): schedule, meter and trade compute across a national network"};
  app.require_subcommand(1);

  auto* sim = app.add_subcommand("sim", "run the placement engine in virtual time");
  sim->require_subcommand(1);

  SimInflateOptions inflate;
  auto* inflate_cmd = sim->add_subcommand(
      "inflate", "FGD-paper inflation experiment: tasks arrive until demand reaches --target % of GPUs");
  inflate_cmd->add_option("--nodes", inflate.nodes, "node list CSV (openb format)")->required();
  inflate_cmd->add_option("--pods", inflate.pods, "task trace CSV; repeat for several workloads")->required();
  inflate_cmd->add_option("--policy", inflate.policies, "node policies, comma-separated")
      ->delimiter(',')
      ->required();
  inflate_cmd->add_option("--seeds", inflate.seeds, "seeds, e.g. 42-51 or 1,2,5")->capture_default_str();
  inflate_cmd->add_option("--target", inflate.target, "arrived GPU demand to reach, % of capacity")
      ->capture_default_str();
  inflate_cmd->add_option("--out", inflate.out, "output directory")->required();
  inflate_cmd->add_option("--jobs", inflate.jobs, "parallel runs (default: one per core)");
  inflate_cmd->add_flag("!--no-progress", inflate.progress, "no progress bar on stderr");

  auto* policies_cmd = sim->add_subcommand("policies", "list node policy names, one per line");

  SimExplainOptions explain;
  auto* explain_cmd = sim->add_subcommand(
      "explain", "where a job file would go on an empty network, and why (site costs, filters)");
  explain_cmd->add_option("job", explain.job, "job file (YAML or JSON)")->required();
  explain_cmd->add_option("--network", explain.network, "network YAML (default: data/networks/china-hubs.yaml)");
  explain_cmd->add_option("--policy", explain.policy, "node policy")->capture_default_str();

  SimReplayOptions replay;
  auto* replay_cmd = sim->add_subcommand(
      "replay", "jobs arrive and leave as a trace says, over a multi-site network");
  replay_cmd->add_option("--scenario", replay.scenario,
                         "green scenario YAML (data/scenarios/): replays its trace once per policy and compares them");
  replay_cmd->add_option("--max-jobs", replay.max_jobs, "with --scenario: only the trace's first N jobs (0: all)")
      ->capture_default_str();
  replay_cmd->add_option("--jobs", replay.jobs, "with --scenario: policies run in parallel (0: one per core)");
  replay_cmd->add_option("--network", replay.network, "network YAML (default: data/networks/china-hubs.yaml)");
  replay_cmd->add_option("--pods", replay.pods, "task trace CSV with creation_time/deletion_time (default: openb default)");
  replay_cmd->add_option("--nodes", replay.nodes, "node list CSV spread over the sites (default: the network's pools)");
  replay_cmd->add_option("--policy", replay.policy, "node policy")->capture_default_str();
  replay_cmd->add_option("--speedup", replay.speedup, "divide arrival times by this")->capture_default_str();
  replay_cmd->add_option("--seed", replay.seed, "seed")->capture_default_str();
  replay_cmd->add_flag("--preemption", replay.preemption, "let higher-priority jobs preempt");
  replay_cmd->add_option("--backfill-depth", replay.backfill_depth, "queued jobs tried per pass")->capture_default_str();
  replay_cmd->add_option("--out", replay.out, "output directory")->required();
  replay_cmd->add_flag("!--no-progress", replay.progress, "no progress bar on stderr");

  ServerOptions server;
  auto* server_cmd = app.add_subcommand("server", "the control plane: HTTP JSON API over a durable store");
  server_cmd->add_option("--listen", server.listen, "HOST:PORT (port 0: any free port)")->capture_default_str();
  server_cmd->add_option("--home", server.home, "state directory (default: $SUANWANG_HOME or ./.suanwang)");
  server_cmd->add_option("--store", server.store, "sqlite://PATH or postgres://... (default: sqlite in --home)");
  server_cmd->add_option("--network", server.network, "network YAML (default: data/networks/china-hubs.yaml)");
  server_cmd->add_option("--policy", server.policy, "node policy")->capture_default_str();
  server_cmd->add_option("--weights", server.weights,
                         "site-choice cost weights, e.g. carbon=3600,latency=0.01 (wait, transfer, latency, money, carbon)");
  server_cmd->add_option("--rate-limit", server.rate_limit, "requests per second per API token (0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  server_cmd->add_option("--rate-limit-burst", server.rate_limit_burst,
                         "requests a token may make at once (default: 2 x --rate-limit)")
      ->check(CLI::NonNegativeNumber);
  server_cmd->add_option("--lease-ms", server.lease_ms, "how long an agent's heartbeat keeps its site's lease")
      ->check(CLI::Range(int64_t{100}, int64_t{3600000}))
      ->capture_default_str();
  server_cmd->add_option("--market-slot", server.market_slot_s,
                         "seconds between clearings of the compute market (offers against the jobs' bids)")
      ->capture_default_str();
  server_cmd->add_option("--sites", server.sites,
                         "sites that run work, each while its agent holds the lease (default: every site)")
      ->delimiter(',');
  server_cmd->add_option("--tls-cert", server.tls_cert, "serve HTTPS with this certificate chain (PEM)");
  server_cmd->add_option("--tls-key", server.tls_key, "the private key of --tls-cert (PEM)");
  server_cmd->add_option("--client-ca", server.client_ca,
                         "with TLS: ask clients for a certificate and verify it against this CA (PEM); its subject "
                         "CN is the client's identity (agents: site:ID); clients without one use tokens");
  server_cmd->add_flag("--insecure-http", server.insecure_http,
                       "without --tls-cert: serve plain HTTP on a non-loopback --listen too (tokens in clear)");
  server_cmd->add_option("--max-connections-per-client", server.max_connections_per_client,
                         "open connections one client address may hold; more get 503")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  UpOptions up;
  auto* up_cmd = app.add_subcommand("up", "the embedded default: a server and local agents for three demo sites");
  up_cmd->add_option("--home", up.server.home, "state directory (default: $SUANWANG_HOME or ./.suanwang)");
  up_cmd->add_option("--listen", up.server.listen, "HOST:PORT (port 0: any free port)")->capture_default_str();
  up_cmd->add_option("--store", up.server.store, "sqlite://PATH or postgres://... (default: sqlite in --home)");
  up_cmd->add_option("--network", up.server.network, "network YAML (default: data/networks/china-hubs.yaml)");
  up_cmd->add_option("--policy", up.server.policy, "node policy")->capture_default_str();
  up_cmd->add_option("--weights", up.server.weights, "site-choice cost weights, e.g. carbon=3600,latency=0.01");
  up_cmd->add_option("--lease-ms", up.server.lease_ms, "how long an agent's heartbeat keeps its site's lease")
      ->check(CLI::Range(int64_t{100}, int64_t{3600000}))
      ->capture_default_str();
  up_cmd->add_option("--sites", up.sites, "sites that get a local agent")->delimiter(',')->capture_default_str();
  up_cmd->add_option("--agent-poll-ms", up.poll_ms, "the agents' pause between rounds")
      ->check(CLI::Range(int64_t{0}, int64_t{60000}))
      ->capture_default_str();
  bool up_slurm = false;
  up_cmd->add_flag("--slurm", up_slurm, "zw-1 (or --slurm-site) runs its tasks on the Slurm cluster of SLURM_CONF");
  up_cmd->add_flag("--unconfined", up.unconfined,
                   "start the agents with --unconfined: tasks run as this user (needed when up is not root)");
  up_cmd->add_option("--slurm-site", up.slurm_site, "the site whose agent submits to Slurm (implies --slurm)");
  up_cmd->add_option("--agent-wait-ms", up.wait_ms, "how long the server may hold an agent's poll (0: plain polling)")
      ->check(CLI::Range(int64_t{0}, int64_t{30000}))
      ->capture_default_str();
  up_cmd->add_flag("--insecure-http", up.insecure_http,
                   "plain HTTP instead of HTTPS with the local CA of HOME (HOME/ca.pem)");
  up_cmd->add_option("--max-connections-per-client", up.server.max_connections_per_client,
                     "open connections one client address may hold; more get 503")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  AgentOptions agent;
  auto* agent_cmd = app.add_subcommand("agent", "a site agent: runs the site's dispatched tasks and reports them");
  agent_cmd->add_option("--site", agent.site, "the site of the network this agent serves")->required();
  agent_cmd->add_option("--url", agent.url, "server URL (default: $SUANWANG_URL, else HOME/url)");
  agent_cmd->add_option("--token", agent.token, "operator or admin token (default: $SUANWANG_TOKEN, else HOME/admin.token)");
  agent_cmd->add_option("--home", agent.home, "suanwang home (default: $SUANWANG_HOME or ./.suanwang)");
  agent_cmd->add_option("--state-dir", agent.state_dir, "state file and task directories (default: HOME/agents/SITE)");
  agent_cmd->add_option("--server-key", agent.server_key, "the server's pinned public key (default: HOME/dispatch.key.pub)");
  agent_cmd->add_option("--resources", agent.resources, "declared resources (JSON file) instead of discovering them");
  agent_cmd->add_option("--executor", agent.executor, "how tasks run: local (processes here) or slurm (sbatch)")
      ->capture_default_str();
  agent_cmd->add_option("--slurm-partition", agent.slurm_partition, "with --executor slurm: the partition to submit to");
  agent_cmd->add_option("--slurm-job-prefix", agent.slurm_job_prefix,
                        "with --executor slurm: Slurm job names start with this (default: sw-SITE-)");
  agent_cmd->add_option("--slurm-queue-depth", agent.slurm_queue_depth,
                        "with --executor slurm: the control plane plans with the cluster's nodes this many times "
                        "over, so that Slurm's own queue stays full (1: exactly what it can run at once)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  agent_cmd->add_option("--slurm-start-grace", agent.slurm_start_grace_s,
                        "with --executor slurm: seconds a job may show RUNNING in Slurm before its script starts; "
                        "after that it is cancelled and its task runs again")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  agent_cmd->add_option("--poll-ms", agent.poll_ms, "pause between rounds (each round long-polls for commands)")
      ->check(CLI::Range(int64_t{0}, int64_t{60000}))
      ->capture_default_str();
  agent_cmd->add_option("--wait-ms", agent.wait_ms, "how long the server may hold a poll for commands (0: plain polling)")
      ->check(CLI::Range(int64_t{0}, int64_t{30000}))
      ->capture_default_str();
  agent_cmd->add_option("--ca", agent.ca,
                        "verify an https server against this CA file (default: $SUANWANG_CA, else HOME/ca.pem when it exists)");
  agent_cmd->add_option("--client-cert", agent.client_cert, "with https: authenticate with this client certificate (PEM)");
  agent_cmd->add_option("--client-key", agent.client_key, "the private key of --client-cert (PEM)");
  agent_cmd->add_flag("--unconfined", agent.unconfined,
                      "run tasks as the agent's own user, unconfined (needed when the agent is not root)");
  agent_cmd->add_option("--task-uids", agent.task_uids, "uid range for tenants' users, FIRST-LAST")
      ->capture_default_str();
  agent_cmd->add_option("--task-pids", agent.task_pids, "most processes per task (cgroup pids.max or RLIMIT_NPROC)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 22));
  agent_cmd->add_option("--heartbeat-ms", agent.heartbeat_ms, "wait between heartbeats")
      ->check(CLI::Range(int64_t{10}, int64_t{600000}))
      ->capture_default_str();

  auto* bench = app.add_subcommand("bench", "measure the engine's speed");
  bench->require_subcommand(1);
  BenchPlacementOptions placement;
  auto* placement_cmd = bench->add_subcommand("placement", "placement decisions per second on one core");
  placement_cmd->add_option("--nodes", placement.nodes, "generated cluster size (openb node mix)")
      ->capture_default_str();
  placement_cmd->add_option("--policy", placement.policy, "node policy")->capture_default_str();
  placement_cmd->add_option("--cluster", placement.cluster, "node list CSV instead of a generated cluster");
  placement_cmd->add_option("--pods", placement.pods, "task trace CSV (default: shipped openb default trace)");
  placement_cmd->add_option("--seconds", placement.seconds, "minimum timed duration")->capture_default_str();
  placement_cmd->add_option("--prefill", placement.prefill_percent, "GPU % allocated before timing")
      ->capture_default_str();
  placement_cmd->add_option("--seed", placement.seed, "seed")->capture_default_str();
  placement_cmd->add_flag("--json", placement.json, "print one JSON object");
  BenchNetworkOptions network_bench;
  placement_cmd->add_option("--scenario", network_bench.scenario,
                            "time network decisions (site choice + node placement) on a green scenario, "
                            "with and without the energy terms");
  placement_cmd->add_option("--max-jobs", network_bench.max_jobs, "with --scenario: the trace's first N jobs")
      ->capture_default_str();
  placement_cmd->add_option("--rounds", network_bench.rounds, "with --scenario: alternating rounds (medians)")
      ->capture_default_str();

  BenchSubmitOptions submit_bench;
  auto* submit_bench_cmd = bench->add_subcommand("submit", "durable submissions per second through the HTTP API");
  submit_bench_cmd->add_option("--clients", submit_bench.clients, "concurrent keep-alive clients")->capture_default_str();
  submit_bench_cmd->add_option("--jobs", submit_bench.jobs, "submissions in all")->capture_default_str();
  submit_bench_cmd->add_option("--url", submit_bench.url, "server URL (default: $SUANWANG_URL)");
  submit_bench_cmd->add_option("--token", submit_bench.token, "API token (default: $SUANWANG_TOKEN)");
  submit_bench_cmd->add_option("--ca", submit_bench.ca, "CA file to verify an https server (default: $SUANWANG_CA, the config's ca:)");
  submit_bench_cmd->add_option("--ids-out", submit_bench.ids_out, "write each acknowledged job id, one per line");
  submit_bench_cmd->add_flag("--json", submit_bench.json, "print one JSON object");

  BenchRunningOptions running_bench;
  auto* running_bench_cmd =
      bench->add_subcommand("running", "submit -> running latency through a server and its agents (e.g. suanwang up)");
  running_bench_cmd->add_option("--jobs", running_bench.jobs, "jobs, one after another")->capture_default_str();
  running_bench_cmd->add_option("--max-gap-ms", running_bench.max_gap_ms, "random pause 0..N ms before each submission")
      ->capture_default_str();
  running_bench_cmd->add_option("--seed", running_bench.seed, "seed of the pauses")->capture_default_str();
  running_bench_cmd->add_option("--url", running_bench.url, "server URL (default: $SUANWANG_URL)");
  running_bench_cmd->add_option("--token", running_bench.token, "API token (default: $SUANWANG_TOKEN)");
  running_bench_cmd->add_option("--ca", running_bench.ca, "CA file to verify an https server (default: $SUANWANG_CA, the config's ca:)");
  running_bench_cmd->add_flag("--json", running_bench.json, "print one JSON object");

  ClientOptions client;
  auto add_client_flags = [&](CLI::App* cmd) {
    cmd->add_option("--url", client.url, "server URL (default: $SUANWANG_URL)");
    cmd->add_option("--token", client.token, "API token (default: $SUANWANG_TOKEN)");
    cmd->add_option("--ca", client.ca, "CA file to verify an https server (default: $SUANWANG_CA, the config's ca:)");
    cmd->add_option("-o,--output", client.output, "table, json or yaml")->capture_default_str();
  };
  std::string submit_file, idempotency_key, job_id, state_filter;
  bool all_pages = false;
  auto* submit_cmd = app.add_subcommand("submit", "submit a job file (YAML or JSON) to the server");
  submit_cmd->add_option("file", submit_file, "job file")->required();
  submit_cmd->add_option("--idempotency-key", idempotency_key, "resubmitting with the same key returns the same job");
  add_client_flags(submit_cmd);
  auto* jobs_cmd = app.add_subcommand("jobs", "list jobs");
  jobs_cmd->add_option("--state", state_filter, "only jobs in this state");
  jobs_cmd->add_flag("--all", all_pages, "every page, not only the first 1000");
  add_client_flags(jobs_cmd);
  auto* job_cmd = app.add_subcommand("job", "show one job");
  job_cmd->add_option("id", job_id, "job id")->required();
  bool job_explain = false;
  job_cmd->add_flag("--explain", job_explain, "why the engine placed it there: each cost term, chosen site vs runner-up");
  add_client_flags(job_cmd);
  auto* report_cmd = app.add_subcommand("report", "network reports from the server");
  report_cmd->require_subcommand(1);
  auto* report_energy_cmd = report_cmd->add_subcommand(
      "energy", "energy, PUE, carbon and cost per site, hub and tenant; heat forecast against cooling");
  add_client_flags(report_energy_cmd);
  std::string usage_tenant, invoice_tenant, topup_tenant, topup_memo = "top-up", ledger_head;
  int64_t invoice_from = 0, invoice_to = 0;
  double topup_cny = 0;
  auto* usage_cmd = app.add_subcommand("usage", "metered usage per task attempt: SCU-hours, energy, carbon, charge");
  usage_cmd->add_option("--tenant", usage_tenant, "only this tenant's (operators and admins)");
  usage_cmd->add_option("--job", job_id, "only this job's");
  add_client_flags(usage_cmd);
  auto* invoice_cmd = app.add_subcommand("invoice", "a tenant's invoice for a period, from the ledger");
  invoice_cmd->add_option("tenant", invoice_tenant, "tenant id")->required();
  invoice_cmd->add_option("--from", invoice_from, "period start, ms since the epoch")->capture_default_str();
  invoice_cmd->add_option("--to", invoice_to, "period end (exclusive), ms since the epoch; default: now");
  add_client_flags(invoice_cmd);
  auto* topup_cmd = app.add_subcommand("topup", "pay money into a tenant's prepaid balance (admin)");
  topup_cmd->add_option("tenant", topup_tenant, "tenant id")->required();
  topup_cmd->add_option("cny", topup_cny, "amount in CNY")->required();
  topup_cmd->add_option("--memo", topup_memo, "what the payment is")->capture_default_str();
  add_client_flags(topup_cmd);
  OfferArgs offer_args;
  auto* offers_cmd = app.add_subcommand("offers", "the compute market's offers: list them, post one (providers), withdraw one");
  offers_cmd->add_flag("--all", offer_args.all, "also withdrawn and expired offers (yours)");
  add_client_flags(offers_cmd);
  auto* offers_create_cmd = offers_cmd->add_subcommand("create", "offer a pool's capacity (its site's owner, or an admin)");
  offers_create_cmd->add_option("--site", offer_args.site, "site id")->required();
  offers_create_cmd->add_option("--pool", offer_args.pool, "pool id")->required();
  offers_create_cmd->add_option("--kind", offer_args.kind, "on_demand, spot or reserved")->capture_default_str();
  offers_create_cmd->add_option("--price", offer_args.price, "CNY per SCU-hour")->required();
  offers_create_cmd->add_option("--min-price", offer_args.min_price, "spot: the lowest clearing price it sells at (default: --price)");
  offers_create_cmd->add_option("--from", offer_args.from_ms, "available from, ms since the epoch");
  offers_create_cmd->add_option("--until", offer_args.until_ms, "available until (exclusive), ms since the epoch; 0: open-ended");
  offers_create_cmd->add_option("--notice", offer_args.notice_s, "spot: seconds of notice before its work is preempted");
  add_client_flags(offers_create_cmd);
  auto* offers_withdraw_cmd = offers_cmd->add_subcommand("withdraw", "withdraw an offer");
  offers_withdraw_cmd->add_option("id", offer_args.withdraw, "offer id")->required();
  add_client_flags(offers_withdraw_cmd);
  auto* offers_reserve_cmd = offers_cmd->add_subcommand("reserve", "buy a reserved offer's whole window for your tenant");
  offers_reserve_cmd->add_option("id", offer_args.reserve, "offer id")->required();
  add_client_flags(offers_reserve_cmd);
  std::string prices_hub, statement_site;
  auto* prices_cmd = app.add_subcommand("prices", "the price of compute per hub, class and time slot");
  prices_cmd->add_option("--hub", prices_hub, "only this hub");
  add_client_flags(prices_cmd);
  auto* market_cmd = app.add_subcommand("market", "the compute market");
  market_cmd->require_subcommand(1);
  auto* market_clear_cmd = market_cmd->add_subcommand("clear", "clear the market now (admin)");
  add_client_flags(market_clear_cmd);
  auto* bids_cmd = app.add_subcommand("bids", "your live jobs and the max price each bids");
  add_client_flags(bids_cmd);
  auto* statement_cmd = app.add_subcommand("statement", "a provider's earnings from one of its sites");
  statement_cmd->add_option("site", statement_site, "site id")->required();
  add_client_flags(statement_cmd);
  auto* cancel_cmd = app.add_subcommand("cancel", "cancel a job");
  cancel_cmd->add_option("id", job_id, "job id")->required();
  add_client_flags(cancel_cmd);

  int log_task = 0;
  std::string log_stream = "stdout";
  auto* logs_cmd = app.add_subcommand("logs", "a task's output (the end of it, once the task ended)");
  logs_cmd->add_option("id", job_id, "job id")->required();
  logs_cmd->add_option("--task", log_task, "task number within the gang")->capture_default_str();
  logs_cmd->add_option("--stream", log_stream, "stdout or stderr")->capture_default_str();
  add_client_flags(logs_cmd);
  auto* sites_cmd = app.add_subcommand("sites", "the network's sites: up or down, capacity, agents");
  add_client_flags(sites_cmd);
  std::string tenant_create;
  auto* tenants_cmd = app.add_subcommand("tenants", "list tenants, or create one (admin)");
  auto* tenants_create_cmd = tenants_cmd->add_subcommand("create", "create a tenant");
  tenants_create_cmd->add_option("id", tenant_create, "tenant id (a-z 0-9 - _)")->required();
  add_client_flags(tenants_cmd);
  add_client_flags(tenants_create_cmd);
  std::string token_tenant, token_role = "user", token_name, token_id, token_site;
  auto* tokens_cmd = app.add_subcommand("tokens", "list API tokens, create or revoke one (admin)");
  auto* tokens_create_cmd = tokens_cmd->add_subcommand("create", "create a token; its secret is printed once");
  tokens_create_cmd->add_option("--tenant", token_tenant, "tenant the token acts for (agents: system)");
  tokens_create_cmd->add_option("--role", token_role, "admin, operator (tenant system), provider, user, or agent")
      ->capture_default_str();
  tokens_create_cmd->add_option("--site", token_site, "role agent: the one site the credential acts for");
  tokens_create_cmd->add_option("--name", token_name, "a label for people");
  auto* tokens_revoke_cmd = tokens_cmd->add_subcommand("revoke", "revoke a token");
  tokens_revoke_cmd->add_option("id", token_id, "token id")->required();
  add_client_flags(tokens_cmd);
  add_client_flags(tokens_create_cmd);
  add_client_flags(tokens_revoke_cmd);

  std::string audit_store, audit_home;
  auto* audit_cmd = app.add_subcommand("audit", "the audit log");
  audit_cmd->require_subcommand(1);
  auto* audit_verify_cmd = audit_cmd->add_subcommand("verify", "check the audit log's hash chain (exit 1 if altered)");
  audit_verify_cmd->add_option("--store", audit_store, "store URL (default: the SQLite store in --home)");
  audit_verify_cmd->add_option("--home", audit_home, "server home (default: $SUANWANG_HOME or ./.suanwang)");

  std::string ledger_store, ledger_home;
  auto* ledger_cmd = app.add_subcommand("ledger", "the billing ledger");
  ledger_cmd->require_subcommand(1);
  auto* ledger_verify_cmd = ledger_cmd->add_subcommand(
      "verify", "check that no ledger entry was edited or deleted and that it balances (exit 1 if not)");
  ledger_verify_cmd->add_option("--store", ledger_store, "store URL (default: the SQLite store in --home)");
  ledger_verify_cmd->add_option("--home", ledger_home, "server home (default: $SUANWANG_HOME or ./.suanwang)");
  ledger_verify_cmd->add_option("--head", ledger_head, "SEQ:HASH printed by an earlier verify: the chain must still pass through it");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*inflate_cmd) return RunSimInflate(inflate);
  if (*policies_cmd) return RunSimPolicies();
  if (*replay_cmd) return RunSimReplay(replay);
  if (*explain_cmd) return RunSimExplain(explain);
  if (*placement_cmd) {
    if (!network_bench.scenario.empty()) {
      network_bench.json = placement.json;
      return RunBenchNetworkPlacement(network_bench);
    }
    return RunBenchPlacement(placement);
  }
  if (*server_cmd) return RunServer(server);
  if (*agent_cmd) return RunAgent(agent);
  if (*up_cmd) {
    if (up_slurm && up.slurm_site.empty()) up.slurm_site = "zw-1";
    if (!MayRunTenantsWork(up.unconfined, "suanwang up (its agents)")) return 2;  // before a server starts
    return RunUp(up);
  }
  if (*submit_bench_cmd) return RunBenchSubmit(submit_bench);
  if (*running_bench_cmd) return RunBenchRunning(running_bench);
  if (*submit_cmd) return RunSubmit(client, submit_file, idempotency_key);
  if (*jobs_cmd) return RunJobs(client, state_filter, all_pages);
  if (*job_cmd) return RunJob(client, job_id, job_explain);
  if (*report_energy_cmd) return RunReportEnergy(client);
  if (*offers_create_cmd || *offers_withdraw_cmd || *offers_reserve_cmd || *offers_cmd) return RunOffers(client, offer_args);
  if (*prices_cmd) return RunPrices(client, prices_hub);
  if (*bids_cmd) return RunBids(client);
  if (*market_clear_cmd) return RunMarketClear(client);
  if (*statement_cmd) return RunStatement(client, statement_site);
  if (*usage_cmd) return RunUsage(client, usage_tenant, job_id);
  if (*invoice_cmd) return RunInvoice(client, invoice_tenant, invoice_from, invoice_to);
  if (*topup_cmd) return RunTopUp(client, topup_tenant, topup_cny, topup_memo);
  if (*ledger_verify_cmd) return RunLedgerVerify(ledger_store, ledger_home, ledger_head);
  if (*cancel_cmd) return RunCancel(client, job_id);
  if (*logs_cmd) return RunLogs(client, job_id, log_task, log_stream);
  if (*sites_cmd) return RunSites(client);
  if (*tenants_create_cmd) return RunTenants(client, tenant_create);
  if (*tenants_cmd) return RunTenants(client, "");
  if (*tokens_create_cmd) return RunTokenCreate(client, token_tenant, token_role, token_name, token_site);
  if (*tokens_revoke_cmd) return RunTokenRevoke(client, token_id);
  if (*tokens_cmd) return RunTokens(client);
  if (*audit_verify_cmd) return RunAuditVerify(audit_store, audit_home);
  return 2;
}
