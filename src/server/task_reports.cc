#include "server/task_reports.h"

#include <algorithm>
#include <cstring>

namespace suanwang {

bool IsFinalJobState(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "cancelled" || state == "rejected";
}

bool IsFinalTaskState(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "killed" || state == "lost";
}

std::string DescribeExit(const TaskReport& r) {
  if (r.event == TaskEvent::kStartFailed) return "could not start: " + r.error;
  if (r.out_of_memory) return "out of memory (its memory limit ended it)";
  if (r.killed) return r.error.empty() ? "killed on request" : "killed: " + r.error;
  if (!r.error.empty()) return r.error;
  if (r.signal != 0) return "killed by signal " + std::to_string(r.signal) + " (" + strsignal(r.signal) + ")";
  return "exit code " + std::to_string(r.exit_code);
}

std::string WallTimeProblem(const std::vector<StoredTask>& tasks, const std::string& site, const TaskReport& report,
                            Timestamp now) {
  auto row = std::find_if(tasks.begin(), tasks.end(), [&](const StoredTask& t) { return t.task == report.task; });
  if (row == tasks.end() || row->attempt != report.attempt || row->site != site || row->dispatched_ms <= 0) return "";
  const Timestamp since_dispatch = std::max<Timestamp>(0, now - row->dispatched_ms);
  const Timestamp bound = since_dispatch + 1000 + since_dispatch / 100;
  if (report.wall_ms <= bound) return "";
  return "wall_ms " + std::to_string(report.wall_ms) + " is longer than the " + std::to_string(since_dispatch) +
         " ms since the server dispatched attempt " + std::to_string(report.attempt) + " (at most " +
         std::to_string(bound) + " ms with the clocks' drift)";
}

ReportEffect ApplyTaskReport(const StoredJob& job, const std::vector<StoredTask>& tasks, const std::string& site,
                             const TaskReport& report, Timestamp now) {
  ReportEffect effect;
  auto row = std::find_if(tasks.begin(), tasks.end(), [&](const StoredTask& t) { return t.task == report.task; });
  if (row == tasks.end() || row->attempt != report.attempt || row->site != site || IsFinalTaskState(row->state) ||
      (report.event == TaskEvent::kStarted && row->state == "running")) {
    effect.stale = true;
    return effect;
  }
  StoredTask& t = effect.task;
  t = *row;
  t.updated_ms = now;
  if (report.event == TaskEvent::kStarted) {
    t.state = "running";
    if (job.state == "placed") {
      effect.job_state = "running";
      effect.job_reason = "task " + std::to_string(report.task) + " started at " + site;
    }
    return effect;
  }
  if (report.fenced) {
    t.state = "lost";
    t.reason = DescribeExit(report);
    t.stdout_tail = report.stdout_tail;
    t.stderr_tail = report.stderr_tail;
    effect.requeue = !IsFinalJobState(job.state);
    return effect;
  }
  const bool ok = report.event == TaskEvent::kExited && !report.killed && !report.out_of_memory &&
                  report.signal == 0 && report.exit_code == 0;
  t.state = ok ? "succeeded" : report.killed ? "killed" : "failed";
  t.exit_code = report.exit_code;
  t.signal = report.signal;
  const bool ran = report.event == TaskEvent::kExited;
  t.cpu_ms = ran ? report.cpu_ms : 0;
  t.peak_memory_kib = ran ? report.peak_memory_kib : 0;
  t.wall_ms = ran ? report.wall_ms : 0;
  t.stdout_tail = report.stdout_tail;
  t.stderr_tail = report.stderr_tail;
  t.reason = ok ? "" : DescribeExit(report);
  if (IsFinalJobState(job.state)) return effect;
  if (!ok) {
    effect.job_state = "failed";
    effect.job_reason = "task " + std::to_string(report.task) + ": " + t.reason;
    effect.job_ended = true;
    effect.kill_others = std::any_of(tasks.begin(), tasks.end(), [&](const StoredTask& other) {
      return other.task != report.task && !IsFinalTaskState(other.state);
    });
    return effect;
  }
  const bool all_done = std::all_of(tasks.begin(), tasks.end(), [&](const StoredTask& other) {
    return other.task == report.task || other.state == "succeeded";
  });
  if (all_done) {
    effect.job_state = "succeeded";
    effect.job_reason = tasks.size() == 1 ? "exit code 0" : "all " + std::to_string(tasks.size()) + " tasks exited 0";
    effect.job_ended = true;
  }
  return effect;
}

}  // namespace suanwang
