// Signed dispatches as the control plane writes them: the server's key, the command payloads,
// and appending a signed command to a site's log inside the transaction that decided it (so a
// placement and its dispatch commit together or not at all, and a sequence number is never
// reused across restarts).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "common/time.h"
#include "engine/placement/cluster_state.h"
#include "model/resources.h"
#include "security/dispatch_signing.h"
#include "security/key_file.h"
#include "store/store.h"

namespace suanwang {

// A "run" command (api/site_protocol.h): start task `task` (attempt `attempt`) of a placed
// gang of `tasks` on the named node, for the job's `tenant` (the agent runs it as that tenant's user).
std::string RunPayload(uint64_t job, size_t task, size_t tasks, uint64_t attempt, const std::string& tenant,
                       const std::string& node, const Placement& placement, const TaskShape& shape,
                       const std::vector<std::string>& argv);
// A "kill" command: stop every task of the job at the site.
// `notice_s`: spot preemption's notice between SIGTERM and SIGKILL (0: the agent's grace).
std::string KillPayload(uint64_t job, int64_t notice_s = 0);

// Signs `payload` with the site's next sequence number and stores it. Errors: the store's.
Result<StoredDispatch> AppendDispatch(Transaction& tx, const DispatchSigner& signer, const std::string& site,
                                      uint64_t job, const std::string& payload, Timestamp now);

// {"dispatches":[{"site","seq","job","payload","signature","created_ms"}...],"next_after":N}
std::string DispatchListJson(const std::vector<StoredDispatch>& dispatches, uint64_t after_seq);

}  // namespace suanwang
