// What a site agent must not forget across its own restarts, kept in one JSON file that is
// replaced atomically (write, fsync, rename): the last dispatch it accepted, the tasks it
// started (with the executor's handle, so a restarted agent can find them again), and the
// reports the server has not yet acknowledged.
//
// Order of writes makes "never twice" hold: a run command's task is saved as `starting`
// together with the new sequence number before the process is started, and with its pid after.
// An agent that dies in between finds the task `starting` and reports it lost instead of
// starting it again.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "api/site_protocol.h"
#include "common/error.h"

namespace suanwang {

struct AgentTask {
  uint64_t job = 0;
  int task = 0;
  uint64_t attempt = 1;
  std::string handle;            // the executor's handle (Executor::Adopt); empty while starting
  std::string workdir;
  int64_t started_ms = 0;
  bool kill_requested = false;
  bool fenced = false;           // killed because the lease could not be renewed
};

struct AgentState {
  // False until the agent's first heartbeat told it where the site's dispatch log ends: an
  // agent without history starts there (the server requeues what the site had), never at 1.
  bool synced = false;
  uint64_t last_seq = 0;
  std::map<std::string, AgentTask> tasks;  // by task key (TaskKey)
  std::vector<TaskReport> unsent;          // oldest first
};

// A missing file is an empty state. Errors: kInvalidArgument (file:field and reason) for a
// malformed file, kUnavailable when it cannot be read.
Result<AgentState> LoadAgentState(const std::string& path);
// Errors: kUnavailable (the message names the path and the reason).
Result<void> SaveAgentState(const std::string& path, const AgentState& state);

}  // namespace suanwang
