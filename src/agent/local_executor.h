// Runs tasks as child processes of the agent: one working directory and process group each,
// stdout/stderr to files, cgroup v2 limits where a parent group is delegated to the agent.
// Each task runs under a small keeper process (the group leader, the pid reported) that
// records how the task ended in WORKDIR/exit_status, so an agent that restarted while the task
// ran (and is no longer its parent) can still learn its exit code and usage.
#pragma once

#include <sys/resource.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agent/cgroup.h"
#include "agent/executor.h"
#include "common/clock.h"

namespace suanwang {

struct LocalExecutorOptions {
  std::string work_root;                    // task working directories are work_root/TASK_ID
  std::optional<std::string> cgroup_parent;  // cgroup v2 directory; none: limits not enforced
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
