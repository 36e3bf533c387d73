// Runs tasks as child processes of the agent: one working directory and process group each,
// stdout/stderr to files, CPU, memory and process limits (cgroup v2 where a parent group is
// delegated to the agent, else cgroup v1, else RLIMIT_NPROC).
// Each task runs under a small keeper process (the group leader, the pid reported) that
// records how the task ended in WORKDIR/exit_status, so an agent that restarted while the task
// ran (and is no longer its parent) can still learn its exit code and usage.
//
// Layout: WORKDIR = work_root/TASK_ID (0700, the agent's) holds stdout and stderr (0600, opened
// by the agent and handed to the task as fds 1 and 2), exit_status and the claim; the task runs
// in WORKDIR/work (0700, the task's user), which is also its HOME. The task never gets a path
// it can write to that the agent (root) later reads or writes through.
//
// Confined (options.users set; the agent must be root, see agent/confinement.h), the keeper
// joins the task's cgroups, enters a mount namespace of its own (/ made rslave) with fresh
// tmpfs mounts on /tmp, /var/tmp and /dev/shm (0700, the task's user), and the task then drops
// to its tenant's uid and gid with no supplementary groups and PR_SET_NO_NEW_PRIVS, with only
// fds 0 (/dev/null), 1 and 2 open. Unconfined, the task runs as the agent's own user.
#pragma once

#include <sys/resource.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agent/cgroup.h"
#include "agent/cgroup_v1.h"
#include "agent/confinement.h"
#include "agent/executor.h"
#include "agent/tenant_users.h"
#include "common/clock.h"

namespace suanwang {

struct LocalExecutorOptions {
  std::string work_root;                    // task working directories are work_root/TASK_ID
  std::optional<std::string> cgroup_parent;  // cgroup v2 directory; when set, limits are cgroup2
  // Each task runs as its tenant's user (the spec's tenant is then required); must outlive the
  // executor. Null: unconfined, tasks run as the agent's own user.
  TenantUsers* users = nullptr;
  // How limits are enforced without a cgroup v2 parent: kCgroup1 or kRlimit (or kNone).
  LimitEnforcement limits = LimitEnforcement::kNone;
  int64_t pids_max = 256;  // processes (threads count too) per task; with kRlimit per tenant user
};

inline constexpr const char* kKeeperStatusFile = "exit_status";

// How a task ended, as its keeper wrote it down.
struct KeeperStatus {
  int exit_code = 0;
  int signal = 0;
  double cpu_seconds = 0;
  int64_t peak_memory_kib = 0;
};

// The keeper's record in `workdir`, if the task ended and it was written.
std::optional<KeeperStatus> ReadKeeperStatus(const std::string& workdir);

class LocalExecutor final : public Executor {
 public:
  // `clock` must outlive the executor. Tasks still running when it is destroyed are killed
  // (SIGKILL to their process groups) and reaped.
  LocalExecutor(LocalExecutorOptions options, const Clock& clock);
  ~LocalExecutor() override;

  Result<TaskStarted> Start(const TaskSpec& spec) override;
  Result<void> Kill(const std::string& task_id, Timestamp grace_ms) override;
  std::vector<TaskExit> Poll() override;
  std::vector<std::string> Running() const override;
  // The handle is "PID:START_TICKS" of the task's keeper (field 22 of /proc/PID/stat tells a
  // reused pid apart). An adopted task is not the executor's child: it is watched through /proc
  // and its end read from the keeper's record.
  bool Adopt(const std::string& task_id, const std::string& handle, const std::string& workdir) override;

 private:
  struct Adopted {
    int pid = 0;                 // 0: already ended
    uint64_t start_ticks = 0;
    std::string workdir;
    Timestamp adopted_ms = 0;
    std::optional<Timestamp> kill_deadline_ms;
  };
  struct Task {
    int pid = 0;
    Timestamp started_ms = 0;
    std::optional<Timestamp> kill_deadline_ms;  // SIGKILL after this; set by Kill()
    std::optional<TaskCgroup> cgroup;
    std::optional<TaskCgroupV1> cgroup_v1;
  };
  TaskExit Finish(const std::string& task_id, Task& task, int status, const ::rusage& usage);

  LocalExecutorOptions options_;
  const Clock& clock_;
  std::map<std::string, Task> tasks_;
  std::map<std::string, Adopted> adopted_;
};

// Field 22 of /proc/PID/stat (start time in clock ticks since boot), 0 when there is no such
// process.
uint64_t ProcStartTicks(int pid);

}  // namespace suanwang
