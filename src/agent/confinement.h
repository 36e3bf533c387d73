// What the agent can do to confine tenants' tasks on this machine, decided once at its start and
// reported in its registration (resources "confinement" and "limits", shown by `suanwang sites`).
#pragma once

#include <optional>
#include <string>

namespace suanwang {

// How CPU, memory and process-count limits are enforced, best first.
enum class LimitEnforcement {
  kCgroup2,  // a delegated cgroup v2 subtree ($SUANWANG_CGROUP_PARENT): cpu.max, memory.max, pids.max
  kCgroup1,  // the cgroup v1 memory, pids and cpu controllers (root)
  kRlimit,   // setrlimit only: RLIMIT_NPROC per tenant user; CPU and memory are not enforced
  kNone,     // nothing (an unconfined agent without cgroups)
};

const char* LimitEnforcementName(LimitEnforcement e);  // "cgroup2", "cgroup1", "rlimit", "none"

// Whether this process may run tasks as other users: root, or the capabilities it needs
// (CAP_SETUID, CAP_SETGID, CAP_CHOWN, CAP_SYS_ADMIN for the private /tmp) in its effective set.
bool CanConfineTasks();

// The best enforcement available: cgroup2 when `cgroup2_parent` is given, else cgroup1 when a
// probe group can be made in all three v1 controllers, else rlimit when `confined` (the limit
// then applies to the tenant's own uid, not the agent's), else none. `why` (if given) gets the
// reason each better one was passed over.
LimitEnforcement DetectLimitEnforcement(const std::optional<std::string>& cgroup2_parent, bool confined,
                                        std::string* why = nullptr);

}  // namespace suanwang
