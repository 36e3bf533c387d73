// What the Slurm executor leaves for Slurm to run, and what it reads back: the task's batch
// script (run.sh), a gang's script (one Slurm job whose step runs one task per rank, each in
// its own working directory), the sbatch command lines, and the exit record and heartbeat a
// task leaves.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/executor.h"
#include "agent/tenant_users.h"
#include "common/error.h"
#include "common/time.h"

namespace suanwang {

// Every task's run.sh, on its own or as a rank of a gang, runs in the task's working directory:
// it claims the directory (agent/task_claim.h; a task its agent gave up runs nothing), sends
// its output to `stdout` and `stderr` there, runs the program and writes how it ended to
// kSlurmExitFile: "exited CODE" then the shell's `times` (so the record holds the CPU time of
// the program). The record outranks the controller's view, which a restart may have set back.
inline constexpr const char* kSlurmExitFile = "exit_status";
// The Slurm job name a task was submitted under, and for an element of a job array its index
// ("NAME" or "NAME INDEX"), in its working directory, for Adopt.
inline constexpr const char* kSlurmJobNameFile = "slurm_job_name";
// While its program runs, a task's run.sh rewrites kSlurmHeartbeatFile in its working
// directory every kSlurmHeartbeatS seconds (a subshell that stops with the script): the agent
// can tell a script still running on its node from a dead one when the controller has
// forgotten its job.
inline constexpr const char* kSlurmHeartbeatFile = "alive";
inline constexpr int kSlurmHeartbeatS = 10;

struct SlurmExitRecord {
  int exit_code = 0;
  double cpu_seconds = 0;   // user + system time of the program and its children
  Timestamp elapsed_ms = 0; // from the claim to the record: the time the task ran
};
std::optional<SlurmExitRecord> ReadSlurmExitRecord(const std::string& workdir);
// When the task's heartbeat file was last written (the file system's clock), 0 when it has none.
Timestamp SlurmHeartbeatMs(const std::string& workdir);

// Writes WORKDIR/run.sh for the task and WORKDIR/kSlurmJobNameFile (array_index < 0: not in an
// array). With `user` (a confining agent, which submits as root), the script itself stays root
// (it writes the claim, the output and the exit record in WORKDIR, the agent's alone) and runs
// only the program as that user: in WORKDIR/work (its HOME), through util-linux's `setpriv`
// (numeric uid and gid, no supplementary groups, no new privileges), so the program can neither
// forge its record nor reach the agent's files. Without `user` the program runs in WORKDIR as
// the submitting user. Errors: kUnavailable.
Result<void> WriteTaskScript(const TaskSpec& spec, const std::string& workdir, const std::string& job_name,
                             int array_index = -1, const std::optional<TenantUser>& user = std::nullopt);

// Writes the gang's script into its first task's directory (workdirs in rank order):
// gang.sh runs one srun step of workdirs.size() tasks; rank R runs workdirs[R]/run.sh.
// Returns the script's path. Errors: kUnavailable.
Result<std::string> WriteGangScript(const std::vector<std::string>& workdirs);

// Writes the script of a job array into its first task's directory (workdirs by array index):
// element I runs workdirs[I]/run.sh. Returns the script's path. Errors: kUnavailable.
Result<std::string> WriteArrayScript(const std::vector<std::string>& workdirs);

struct SbatchRequest {
  std::string job_name;
  std::string workdir;      // --chdir, and where Slurm's own output goes
  std::string script;
  int tasks = 1;            // > 1: a gang, --ntasks; its tasks' limits are per task
  int array = 0;            // > 0: a job array of that many tasks of their own (--array=0-(array-1))
  const TaskSpec* shape = nullptr;  // cpu_milli, memory_mib, gpus (per task)
  std::string partition;
};
// The sbatch command line: --parsable, --no-requeue (whether a task runs again is suanwang's
// call), the name, whole CPUs per task, memory (per node for one task, per CPU for a gang),
// GPUs (--gres for one task, --gpus-per-task for a gang); --array for an array.
std::vector<std::string> SbatchCommand(const SbatchRequest& request);

}  // namespace suanwang
