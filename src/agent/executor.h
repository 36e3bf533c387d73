// The seam between a site agent and whatever runs its tasks: local processes today, Slurm later.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/time.h"

namespace suanwang {

// One task to run: what to execute and the limits it was placed with.
struct TaskSpec {
  std::string task_id;  // unique among the executor's tasks; also names the working directory
  // The job's tenant: a confining executor runs the task as that tenant's own user (required
  // there; an unconfined one ignores it).
  std::string tenant;
  std::vector<std::string> argv;                           // argv[0] resolved through PATH
  std::vector<std::pair<std::string, std::string>> env;   // added to PATH and SUANWANG_TASK_ID
  int64_t cpu_milli = 0;   // 0: no CPU limit
  int64_t memory_mib = 0;  // 0: no memory limit
  int gpus = 0;            // GPUs it was placed on (a share of one GPU counts as one)
  // Its gang: tasks with the same `gang` are parts of one all-or-nothing job. StartMany gets a
  // gang's tasks together; an executor may run them as one unit (Slurm: one job, N tasks).
  std::string gang;        // empty: a task of its own
  int gang_size = 1;
  int gang_index = 0;      // 0 .. gang_size-1
};

// Resources a finished task used.
struct TaskUsage {
  double cpu_seconds = 0;     // user + system time of the task and its waited-for children
  int64_t peak_memory_kib = 0;
  Timestamp wall_ms = 0;
};

// How a task ended.
struct TaskExit {
  std::string task_id;
  int exit_code = 0;     // valid when signal == 0
  int signal = 0;        // the signal that ended it, or 0
  bool killed_by_request = false;  // Kill() was called for it
  bool out_of_memory = false;      // the memory limit ended it (known only with cgroups)
  TaskUsage usage;
  std::string error;               // set when how it ended is not known (exit_code is then 255)
  bool lost = false;               // it did not fail: the system running it lost it (run it again)
};

// What the executor reports when a task starts.
struct TaskStarted {
  std::string task_id;
  int pid = 0;
  std::string workdir;          // holds `stdout` and `stderr` of the task
  bool limits_enforced = false; // CPU and memory limits hold (a cgroup); false with rlimit or none
  std::string handle;           // what Adopt needs to find the task again (executor-specific)
};

class Executor {
 public:
  virtual ~Executor() = default;

  // Starts a task. Errors: kInvalidArgument (empty argv or task id, a task id with '/' or
  // starting with '.', no tenant where the executor confines tasks), kPermissionDenied or
  // kUnavailable (no user for the tenant: agent/tenant_users.h), kConflict (a task with this id is running), kNotFound (argv[0] is not an
  // executable file), kUnavailable (working directory, fork or exec failed; the message says
  // which and why). Nothing is left running after an error.
  virtual Result<TaskStarted> Start(const TaskSpec& spec) = 0;

  // Starts several tasks; results in the order given (each as Start would answer); a gang's
  // tasks come together, all of them. Executors
  // whose starts are slow round trips (Slurm) overlap them.
  virtual std::vector<Result<TaskStarted>> StartMany(const std::vector<TaskSpec>& specs) {
    std::vector<Result<TaskStarted>> results;
    for (const TaskSpec& spec : specs) results.push_back(Start(spec));
    return results;
  }

  // Asks a running task to stop: SIGTERM to its process group, SIGKILL once `grace_ms` has
  // passed (enforced by Poll). Errors: kNotFound (no such running task).
  virtual Result<void> Kill(const std::string& task_id, Timestamp grace_ms) = 0;

  // Collects the tasks that ended since the last call, without blocking.
  virtual std::vector<TaskExit> Poll() = 0;

  // Ids of the tasks started (or adopted) and not yet returned by Poll.
  virtual std::vector<std::string> Running() const = 0;

  // Takes back a task that an earlier process of the agent started, from the handle Start
  // returned then, so that Kill and Poll cover it again. True when it was found (still running,
  // or ended with its end on record: Poll reports it); false when it left no trace.
  virtual bool Adopt(const std::string& task_id, const std::string& handle, const std::string& workdir) = 0;
};

}  // namespace suanwang
