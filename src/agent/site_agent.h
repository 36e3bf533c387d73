// A site agent's logic: holds the site's lease by heartbeats, fetches the site's signed
// commands in order, verifies each against the pinned server key (tampered, unsigned, replayed,
// reordered and misrouted ones are refused and logged with the reason), runs and kills tasks
// through an Executor, and reports starts and exits until the server acknowledges them.
//
// Durable: the last accepted sequence number, the tasks started and the unsent reports live in
// a state file (agent_state.h), so a restarted agent neither loses a report nor starts a task
// twice. Tasks that outlived a restart of the agent are taken back by the executor from their
// handle (Executor::Adopt) and reported when they end.
//
// Fencing: when the agent cannot renew its lease before it runs out, it kills every task it
// runs (SIGKILL, no grace) a tenth of the lease before the lease ends, counted from when the
// last successful heartbeat was sent (the server counts from when it arrived), and no call to
// the server may block past that moment. The server requeues a site's jobs only once the lease
// has run out on its side, so a task never runs at two sites at once, as long as the agent
// process itself is alive (a stopped or killed agent's tasks run on until it returns; it then
// applies the server's kill for them before anything else).
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>

#include "agent/agent_state.h"
#include "agent/control_plane_client.h"
#include "agent/executor.h"
#include "common/clock.h"
#include "common/rng.h"

namespace suanwang {

struct SiteAgentOptions {
  std::string site;
  std::string agent_id;         // e.g. "host/pid"
  std::string state_path;       // the state file
  std::string resources_json = "{}";
  // The agent's usage-receipt key pair (hex): it signs the usage of every task that exits;
  // empty secret: reports go unsigned (the control plane then refuses to bill them).
  std::string receipt_public_hex;
  std::string receipt_secret_hex;
  Timestamp poll_ms = 5;         // between rounds while the server answers
  // How long the server may hold a fetch of commands when there are none (a long poll). Bounds
  // how late the agent notices a task's exit, too.
  Timestamp wait_ms = 100;
  size_t batch_limit = 20;         // commands fetched and applied per round
  Timestamp heartbeat_ms = 1000;
  Timestamp kill_grace_ms = 5000;
  Timestamp max_backoff_ms = 5000;  // longest wait between tries while the server is away
};

struct SiteAgentCounters {
  uint64_t accepted = 0;   // dispatches accepted
  uint64_t rejected = 0;   // dispatches refused (bad signature, sequence, site)
  uint64_t started = 0;
  uint64_t exited = 0;
  uint64_t fenced = 0;     // tasks stopped because the lease ran out
};

class SiteAgent {
 public:
  using Log = std::function<void(const std::string&)>;

  // Loads the state file and finds the tasks a previous run left. Errors: those of
  // LoadAgentState and SaveAgentState; kInvalidArgument for a malformed public key.
  static Result<std::unique_ptr<SiteAgent>> Create(SiteAgentOptions options, const std::string& public_key_hex,
                                                   ControlPlaneClient& server, Executor& executor, const Clock& clock,
                                                   Log log);

  // One round: heartbeat when due, fetch and apply commands, collect exits, fence if the lease
  // ran out, send reports. Returns how long to wait before the next round (ms).
  Timestamp Step();

  // Stops every task (as on fencing) and sends what can be sent; for a clean shutdown.
  void StopAll(const std::string& why);

  const AgentState& state() const { return state_; }
  const SiteAgentCounters& counters() const { return counters_; }
  bool lease_live() const;

 private:
  SiteAgent(SiteAgentOptions options, DispatchVerifier verifier, ControlPlaneClient& server, Executor& executor,
            const Clock& clock, Log log);
  void Adopt();
  bool Heartbeat(Timestamp now);
  bool FetchAndApply();
  Result<std::vector<SignedCommand>> FetchBatch(Timestamp wait);
  void StartTasks(const std::vector<RunCommand>& runs);
  void ApplyKill(uint64_t job, int64_t notice_s = 0);
  void Collect();
  void Fence(Timestamp now);
  Timestamp FenceAt() const;  // 0: no lease held yet
  void LimitCallTime(Timestamp held_ms = 0);
  void Kill(const std::string& key, AgentTask& task, Timestamp grace_ms);
  bool Flush();
  void Save();
  Timestamp Backoff();

  SiteAgentOptions options_;
  DispatchVerifier verifier_;
  std::string public_key_hex_;
  ControlPlaneClient& server_;
  Executor& executor_;
  const Clock& clock_;
  Log log_;
  Rng rng_;
  AgentState state_;
  SiteAgentCounters counters_;
  Timestamp next_heartbeat_ms_ = 0;
  Timestamp lease_until_ms_ = 0;   // 0: never held
  Timestamp lease_ms_ = 0;
  bool fenced_ = false;            // the tasks were killed for this lapse of the lease
  int failures_ = 0;               // consecutive rounds the server did not answer
};

}  // namespace suanwang
