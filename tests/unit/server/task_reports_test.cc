#include "server/task_reports.h"

#include <gtest/gtest.h>

namespace suanwang {
namespace {

StoredJob Job(std::string state) {
  StoredJob j;
  j.id = 5;
  j.state = std::move(state);
  j.site = "sh-edge";
  return j;
}

std::vector<StoredTask> Gang(int n, std::string state = "dispatched", uint64_t attempt = 1) {
  std::vector<StoredTask> tasks;
  for (int i = 0; i < n; ++i) {
    StoredTask t;
    t.job_id = 5;
    t.task = i;
    t.attempt = attempt;
    t.site = "sh-edge";
    t.state = state;
    tasks.push_back(t);
  }
  return tasks;
}

TaskReport Report(int task, TaskEvent event, int exit_code = 0) {
  TaskReport r;
  r.job = 5;
  r.task = task;
  r.event = event;
  r.exit_code = exit_code;
  r.cpu_ms = 120;
  r.wall_ms = 300;
  r.stdout_tail = "hello\n";
  return r;
}

TEST(TaskReportsTest, FirstStartMakesThePlacedJobRunning) {
  ReportEffect e = ApplyTaskReport(Job("placed"), Gang(2), "sh-edge", Report(1, TaskEvent::kStarted), 10);
  ASSERT_FALSE(e.stale);
  EXPECT_EQ(e.task.state, "running");
  EXPECT_EQ(e.task.task, 1);
  EXPECT_EQ(e.job_state, "running");
  EXPECT_FALSE(e.job_ended);
  // A second task's start leaves the running job as it is.
  e = ApplyTaskReport(Job("running"), Gang(2), "sh-edge", Report(0, TaskEvent::kStarted), 11);
  EXPECT_EQ(e.task.state, "running");
  EXPECT_EQ(e.job_state, "");
}

TEST(TaskReportsTest, JobSucceedsWhenTheLastTaskExitsZero) {
  auto tasks = Gang(2, "running");
  ReportEffect first = ApplyTaskReport(Job("running"), tasks, "sh-edge", Report(0, TaskEvent::kExited), 20);
  EXPECT_EQ(first.task.state, "succeeded");
  EXPECT_EQ(first.task.cpu_ms, 120);
  EXPECT_EQ(first.task.stdout_tail, "hello\n");
  EXPECT_EQ(first.job_state, "");
  tasks[0] = first.task;
  ReportEffect last = ApplyTaskReport(Job("running"), tasks, "sh-edge", Report(1, TaskEvent::kExited), 21);
  EXPECT_EQ(last.job_state, "succeeded");
  EXPECT_EQ(last.job_reason, "all 2 tasks exited 0");
  EXPECT_TRUE(last.job_ended);
  EXPECT_FALSE(last.kill_others);
}

TEST(TaskReportsTest, OneFailedTaskFailsTheGangAndStopsTheRest) {
  ReportEffect e = ApplyTaskReport(Job("running"), Gang(4, "running"), "sh-edge", Report(2, TaskEvent::kExited, 3), 30);
  EXPECT_EQ(e.task.state, "failed");
  EXPECT_EQ(e.task.reason, "exit code 3");
  EXPECT_EQ(e.job_state, "failed");
  EXPECT_EQ(e.job_reason, "task 2: exit code 3");
  EXPECT_TRUE(e.kill_others);
  EXPECT_TRUE(e.job_ended);

  TaskReport signalled = Report(0, TaskEvent::kExited);
  signalled.signal = 9;
  EXPECT_EQ(ApplyTaskReport(Job("running"), Gang(1, "running"), "sh-edge", signalled, 31).job_reason,
            "task 0: killed by signal 9 (Killed)");
  TaskReport failed_start = Report(0, TaskEvent::kStartFailed);
  failed_start.error = "'nosuch' is not an executable file";
  ReportEffect f = ApplyTaskReport(Job("placed"), Gang(1), "sh-edge", failed_start, 32);
  EXPECT_EQ(f.job_state, "failed");
  EXPECT_EQ(f.job_reason, "task 0: could not start: 'nosuch' is not an executable file");
  EXPECT_FALSE(f.kill_others);
}

TEST(TaskReportsTest, StaleAndDuplicateReportsChangeNothing) {
  // An older attempt (the job was requeued and placed again since).
  TaskReport old = Report(0, TaskEvent::kExited);
  old.attempt = 1;
  EXPECT_TRUE(ApplyTaskReport(Job("running"), Gang(1, "running", 2), "sh-edge", old, 40).stale);
  // Another site than the one the task was dispatched to.
  EXPECT_TRUE(ApplyTaskReport(Job("running"), Gang(1, "running"), "zw-1", Report(0, TaskEvent::kExited), 41).stale);
  // A task that ended already, and a task the job does not have.
  EXPECT_TRUE(ApplyTaskReport(Job("running"), Gang(1, "succeeded"), "sh-edge", Report(0, TaskEvent::kExited), 42).stale);
  EXPECT_TRUE(ApplyTaskReport(Job("running"), Gang(1, "running"), "sh-edge", Report(3, TaskEvent::kExited), 43).stale);
  // A repeated start.
  EXPECT_TRUE(ApplyTaskReport(Job("running"), Gang(1, "running"), "sh-edge", Report(0, TaskEvent::kStarted), 44).stale);
}

TEST(TaskReportsTest, ATaskFencedWithItsSitesLeaseIsLostAndTheJobRequeued) {
  TaskReport fenced = Report(1, TaskEvent::kExited);
  fenced.killed = true;
  fenced.fenced = true;
  fenced.signal = 9;
  fenced.error = "its agent could not renew the site's lease";
  ReportEffect e = ApplyTaskReport(Job("running"), Gang(2, "running"), "sh-edge", fenced, 60);
  ASSERT_FALSE(e.stale);
  EXPECT_EQ(e.task.state, "lost");
  EXPECT_EQ(e.task.reason, "killed: its agent could not renew the site's lease");
  EXPECT_TRUE(e.requeue);
  EXPECT_EQ(e.job_state, "");  // not failed: the requeue decides
  EXPECT_FALSE(ApplyTaskReport(Job("cancelled"), Gang(1, "running"), "sh-edge", fenced, 61).requeue);
}

TEST(TaskReportsTest, ACancelledJobKeepsItsStateButRecordsItsTasks) {
  TaskReport killed = Report(0, TaskEvent::kExited);
  killed.killed = true;
  killed.signal = 15;
  ReportEffect e = ApplyTaskReport(Job("cancelled"), Gang(1, "running"), "sh-edge", killed, 50);
  ASSERT_FALSE(e.stale);
  EXPECT_EQ(e.task.state, "killed");
  EXPECT_EQ(e.task.reason, "killed on request");
  EXPECT_EQ(e.job_state, "");
  EXPECT_FALSE(e.job_ended);
}

}  // namespace
}  // namespace suanwang
