// What an agent's report about one task does to the task and to its job: pure rules, no I/O.
//
// A report counts only for the task's current attempt at the site it was dispatched to, and
// only once: reports of an older attempt (the job was requeued since), from another site, or
// about a task that already ended are stale and change nothing (agents resend until
// acknowledged, so duplicates are normal).
//
// Job outcome: the first task that fails (non-zero exit, a signal, out of memory, or it could
// not start) fails the whole gang, and the rest of it is killed; the job succeeds when every
// task exited 0. A job already in a final state (cancelled) keeps it; its tasks are still
// recorded. A task its agent killed because it could not renew the site's lease (fenced) did
// not fail: it is lost, and the job goes back to the queue. A task that could not start used
// nothing: whatever usage its report carries is not recorded.
#pragma once

#include <string>
#include <vector>

#include "api/site_protocol.h"
#include "store/store.h"

namespace suanwang {

struct ReportEffect {
  bool stale = false;
  StoredTask task;            // the task's new row, when not stale
  std::string job_state;      // the job's new state; empty: unchanged
  std::string job_reason;
  bool kill_others = false;   // a gang member failed while others may run: stop them
  bool job_ended = false;     // the job left the engine's running set: free its resources
  bool requeue = false;       // the task was lost with its site's lease (fenced): requeue the job
};

ReportEffect ApplyTaskReport(const StoredJob& job, const std::vector<StoredTask>& tasks, const std::string& site,
                             const TaskReport& report, Timestamp now);

// Why the server refuses `report`'s wall time, or "": a run cannot be longer than the time since
// the server dispatched the attempt (its own clock) plus a second and 1 % for the clocks' drift.
// Reports of other attempts or sites, and rows without a dispatch time, are not checked here.
std::string WallTimeProblem(const std::vector<StoredTask>& tasks, const std::string& site, const TaskReport& report,
                            Timestamp now);

// Why a task ended, for people: "exit code 3", "killed by signal 9 (Killed)", "out of memory".
std::string DescribeExit(const TaskReport& report);

bool IsFinalTaskState(const std::string& state);
bool IsFinalJobState(const std::string& state);  // succeeded, failed, cancelled, rejected

}  // namespace suanwang
