// Runs tasks on a Slurm cluster: each task is one batch job submitted with sbatch, named
// PREFIX + task id (the tag that finds it again after a restart of the agent), in its own
// working directory (which the cluster's nodes must see at the same path) with stdout and
// stderr there, submitted with --no-requeue (whether a task runs again is suanwang's call).
// The batch script records the program's exit next to its output; a task whose record is
// there has ended. The others are asked about with one squeue for all, at most every poll_ms,
// and an ended job's state with `scontrol show job`. Cancel is scancel (SIGTERM, then SIGKILL
// after the cluster's KillWait). It reads and writes nothing of Slurm's
// configuration: it needs only sbatch, squeue, scontrol and scancel on PATH and SLURM_CONF.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "agent/command_runner.h"
#include "agent/executor.h"
#include "common/clock.h"

namespace suanwang {

// The batch script writes "exited CODE" here (in the task's working directory) when the
// program ends; it outranks the controller's view, which a restart may have set back.
inline constexpr const char* kSlurmExitFile = "exit_status";
std::optional<int> ReadSlurmExitRecord(const std::string& workdir);

struct SlurmExecutorOptions {
  std::string work_root;           // task working directories are work_root/TASK_ID
  std::string partition;           // empty: the cluster's default
  std::string job_prefix = "sw-";  // job names are job_prefix + task id
  Timestamp poll_ms = 2000;        // squeue at most this often (a task's own exit record is read
                                   // every Poll; squeue catches the ends that leave none)
  int parallel_submits = 1;        // sbatch calls in flight at once (StartMany; more contend in slurmctld)
};

// What a Slurm job's state means for a task: still going, or ended (and how).
struct SlurmJobEnd {
  int exit_code = 0;
  int signal = 0;
  bool cancelled = false;
  bool out_of_memory = false;
  std::string error;  // for ends that are not the program's own (node failure, time limit)
};
// Parses JobState, ExitCode (CODE:SIGNAL) and RunTime of `scontrol -o show job` output; nullopt
// while the job is pending or running. Errors: kInvalidArgument when the fields are missing.
Result<std::optional<SlurmJobEnd>> ParseScontrolJob(const std::string& line, Timestamp* run_ms);

// What the cluster has, from `sinfo`: {"source":"slurm","partitions":[{"name","nodes","cpus",
// "memory_mb","gres"}...]} (per partition: node count, CPUs and memory per node, GRES).
// Errors: kUnavailable when sinfo cannot run or reach the controller.
Result<std::string> DiscoverSlurmResources(CommandRunner& runner);

class SlurmExecutor final : public Executor {
 public:
  SlurmExecutor(SlurmExecutorOptions options, CommandRunner& runner, const Clock& clock);

  // Errors also: kUnavailable when sbatch refuses the job (its message is passed on).
  Result<TaskStarted> Start(const TaskSpec& spec) override;
  // Up to `parallel_submits` sbatch at a time.
  std::vector<Result<TaskStarted>> StartMany(const std::vector<TaskSpec>& specs) override;
  Result<void> Kill(const std::string& task_id, Timestamp grace_ms) override;
  std::vector<TaskExit> Poll() override;
  std::vector<std::string> Running() const override;
  // The handle is the Slurm job id; with no handle (the agent stopped between sbatch and saving
  // it) the job is looked up by its name.
  bool Adopt(const std::string& task_id, const std::string& handle, const std::string& workdir) override;

 private:
  struct Job {
    std::string slurm_id;
    std::string workdir;
    Timestamp started_ms = 0;
    bool kill_requested = false;
  };
  std::optional<TaskExit> Collect(const std::string& task_id, const Job& job);
  TaskExit Recorded(const std::string& task_id, const Job& job, int exit_code) const;
  // Writes the task's directory and batch script; the sbatch command line.
  Result<std::vector<std::string>> Prepare(const TaskSpec& spec);
  // Records what sbatch answered.
  Result<TaskStarted> Submitted(const TaskSpec& spec, const Result<CommandOutput>& sbatch);

  SlurmExecutorOptions options_;
  CommandRunner& runner_;
  const Clock& clock_;
  std::map<std::string, Job> jobs_;
  Timestamp last_poll_ms_ = 0;
};

}  // namespace suanwang
