// Runs tasks on a Slurm cluster: a task of its own is one batch job named PREFIX + task id; a
// gang is one batch job named PREFIX + gang whose one srun step runs a rank per task; tasks of
// their own with the same shape that start together are one job array (one sbatch, one
// controller round trip; element I runs the I-th task and is known as ARRAYID_I). Names are
// the tags that find jobs again after a restart of the agent. Each task has its own
// working directory (which the cluster's nodes must see at the same path) with stdout and
// stderr there; jobs are submitted with --no-requeue (whether a task runs again is suanwang's
// call). Each task records its program's exit next to its output (agent/slurm_batch.h); a task
// whose record is there has ended. The others are asked about with one squeue for all, at most every poll_ms,
// and an ended job's state with `scontrol show job`. Cancel is scancel (SIGTERM, then SIGKILL
// after the cluster's KillWait). It reads and writes nothing of Slurm's
// configuration: it needs only sbatch, squeue, scontrol and scancel on PATH and SLURM_CONF.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "agent/command_runner.h"
#include "agent/slurm_batch.h"
#include "agent/executor.h"
#include "common/clock.h"

namespace suanwang {

struct SlurmExecutorOptions {
  std::string work_root;           // task working directories are work_root/TASK_ID
  std::string partition;           // empty: the cluster's default
  std::string job_prefix = "sw-";  // job names are job_prefix + task id (or + gang)
  Timestamp poll_ms = 2000;        // squeue at most this often (a task's own exit record is read
                                   // every Poll; squeue catches the ends that leave none)
  Timestamp poll_ms_per_job = 10;  // ... and, with many jobs out, at most every this x their number:
                                   // a long squeue holds the controller's locks from starting jobs
  int parallel_submits = 1;        // sbatch calls in flight at once (StartMany; more contend in slurmctld)
  // A job whose script started but that Slurm no longer knows (a controller restarted from an
  // older state) may still run on its node: its exit record is awaited while its heartbeat
  // (slurm_batch.h) keeps changing, and this long after it last changed, before the task is
  // reported lost (and run again). More than a few heartbeat periods.
  Timestamp lost_grace_ms = 30000;
  Timestamp start_grace_ms = 60000;  // RUNNING in Slurm this long without its script having
                                     // started: given up (NeverStarted)
  int array_max = 1000;            // tasks of their own with the same shape that StartMany gets
                                   // together go as one job array of up to this many (1: never)
  // Each task's program runs as its tenant's user (the spec's tenant is then required; see
  // WriteTaskScript); must outlive the executor. Null: as the submitting user.
  TenantUsers* users = nullptr;
};

// What a Slurm job's state means for a task: still going, or ended (and how).
struct SlurmJobEnd {
  std::string state;  // Slurm's JobState
  int exit_code = 0;
  int signal = 0;
  bool cancelled = false;
  bool out_of_memory = false;
  std::string error;  // for ends that are not the program's own (node failure, time limit)
};
// Parses JobState, ExitCode (CODE:SIGNAL) and RunTime of `scontrol -o show job` output; nullopt
// while the job is pending or running. Errors: kInvalidArgument when the fields are missing.
Result<std::optional<SlurmJobEnd>> ParseScontrolJob(const std::string& line, Timestamp* run_ms);

// What the cluster has, from `sinfo`: {"source":"slurm","partition":P,"queue_depth":D,
// "partitions":[{"name","default","nodes","cpus","memory_mb","gres"}...]} (a line per partition
// and node configuration: node count, CPUs and memory per node, GRES). P is the partition the
// agent submits to ("": the default); D how many times over the control plane may fill the
// cluster (server/registered_pools.h). Errors: kUnavailable when sinfo cannot run or reach the
// controller.
Result<std::string> DiscoverSlurmResources(CommandRunner& runner, const std::string& partition, int queue_depth);

class SlurmExecutor final : public Executor {
 public:
  SlurmExecutor(SlurmExecutorOptions options, CommandRunner& runner, const Clock& clock);

  // Errors also: kUnavailable when sbatch refuses the job (its message is passed on); with
  // options.users, as LocalExecutor for a missing tenant or one without a user.
  Result<TaskStarted> Start(const TaskSpec& spec) override;
  // Up to `parallel_submits` sbatch at a time; one per gang whose tasks all came (the tasks of
  // a gang that came in part start one job each), one per array of same-shaped tasks.
  std::vector<Result<TaskStarted>> StartMany(const std::vector<TaskSpec>& specs) override;
  // A gang's tasks share one Slurm job: killing one cancels the job (once).
  Result<void> Kill(const std::string& task_id, Timestamp grace_ms) override;
  std::vector<TaskExit> Poll() override;
  std::vector<std::string> Running() const override;
  // The handle is the Slurm job id; with no handle (the agent stopped between sbatch and saving
  // it) the job is looked up by its name, else by the claim its script made (task_claim.h).
  bool Adopt(const std::string& task_id, const std::string& handle, const std::string& workdir) override;

 private:
  struct Job {
    std::string slurm_id;
    std::string name;  // the Slurm job's name: the task's tag, or its gang's
    std::string workdir;
    Timestamp started_ms = 0;
    bool kill_requested = false;
    int kill_sent = 0;  // 0 none, 1 scancel (TERM), 2 scancel --signal=KILL
    Timestamp running_since_ms = 0;  // when squeue first showed it RUNNING without its claim
    Timestamp forgotten_since_ms = 0;  // when Slurm first no longer knew it after its script started
    Timestamp heartbeat_mark = 0;      // the heartbeat file's time when last seen to change
    Timestamp heartbeat_seen_ms = 0;   // when (agent's clock) it was seen to change
  };
  TaskExit Lost(const std::string& task_id, const Job& job, std::string error) const;
  std::optional<TaskExit> NeverStarted(const std::string& task_id, Job& job, bool running, Timestamp now);
  std::optional<TaskExit> Collect(const std::string& task_id, Job& job, Timestamp now);
  // For a started job Slurm forgot: whether its heartbeat changed less than lost_grace_ms ago
  // (the first call, when it was found forgotten, counts as a change).
  bool StillBeating(Job& job, Timestamp now) const;
  // The task's own exit record. A program that died of SIGTERM or SIGKILL (exit 143/137) we did
  // not ask for is checked with scontrol: if Slurm cancelled its job, it was killed there.
  TaskExit Recorded(const std::string& task_id, const Job& job, const SlurmExitRecord& record);
  // Checks the task and writes its directory and run.sh; its working directory.
  Result<std::string> Prepare(const TaskSpec& spec, const std::string& job_name, int array_index);
  // What one sbatch submits: indices into StartMany's specs.
  struct Group {
    enum Kind { kOne, kGang, kArray } kind = kOne;
    std::vector<size_t> members;  // a gang in rank order; an array by element index
  };
  std::vector<Group> Groups(const std::vector<TaskSpec>& specs) const;
  // Writes the group's directories and scripts; its sbatch command line.
  Result<std::vector<std::string>> Submission(const std::vector<TaskSpec>& specs, const Group& group);
  std::string JobName(const std::vector<TaskSpec>& specs, const Group& group) const;
  // Records what sbatch answered for a task (array_index >= 0: that element of an array).
  Result<TaskStarted> Submitted(const TaskSpec& spec, const std::string& job_name, int array_index,
                                const Result<CommandOutput>& sbatch);

  SlurmExecutorOptions options_;
  CommandRunner& runner_;
  const Clock& clock_;
  std::map<std::string, Job> jobs_;
  Timestamp last_poll_ms_ = 0;
};

}  // namespace suanwang
