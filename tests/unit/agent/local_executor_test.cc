// LocalExecutor on real child processes: output capture, exit codes, process groups, kills with
// grace, usage, and every error Start documents.
#include "agent/local_executor.h"
#include "agent/task_claim.h"
#include "agent/cgroup_v1.h"
#include "agent/tenant_users.h"
#include "agent/command_runner.h"
#include "testlib/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace suanwang {
namespace {


class LocalExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("sw-exec-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  TaskSpec Spec(std::string id, std::vector<std::string> argv) {
    TaskSpec spec;
    spec.task_id = std::move(id);
    spec.argv = std::move(argv);
    return spec;
  }

  // Polls until `id` ends (real time, at most 10 s); keeps the other tasks' exits for later.
  TaskExit WaitFor(LocalExecutor& executor, const std::string& id) {
    for (int i = 0; i < 1000; ++i) {
      for (auto& exit : executor.Poll()) ended_.emplace(exit.task_id, exit);
      if (auto it = ended_.find(id); it != ended_.end()) {
        TaskExit exit = it->second;
        ended_.erase(it);
        return exit;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "task " << id << " did not end within 10 s";
    return {};
  }

  std::map<std::string, TaskExit> ended_;
  std::filesystem::path root_;
  SystemClock clock_;
};

TEST_F(LocalExecutorTest, RunsTaskInItsOwnDirectoryAndCapturesOutput) {
  LocalExecutor executor({root_.string(), std::nullopt}, clock_);
  TaskSpec spec = Spec("job-1.0", {"sh", "-c", "echo out $SUANWANG_TASK_ID $GREETING; echo err >&2; pwd"});
  spec.env = {{"GREETING", "hello"}};
  auto started = executor.Start(spec);
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_EQ(started->workdir, (root_ / "job-1.0").string());
  EXPECT_FALSE(started->limits_enforced);
  EXPECT_GT(started->pid, 0);
  EXPECT_EQ(executor.Running(), std::vector<std::string>{"job-1.0"});

  const TaskExit exit = WaitFor(executor, "job-1.0");
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_EQ(exit.signal, 0);
  EXPECT_FALSE(exit.killed_by_request);
  EXPECT_EQ(suanwang::testing::ReadFile(started->workdir + "/stdout"),
            "out job-1.0 hello\n" + started->workdir + "/work\n");
  EXPECT_EQ(suanwang::testing::ReadFile(started->workdir + "/stderr"), "err\n");
  EXPECT_TRUE(executor.Running().empty());
  EXPECT_TRUE(executor.Poll().empty());
}

TEST_F(LocalExecutorTest, ReportsExitCodeAndSignal) {
  LocalExecutor executor({root_.string(), std::nullopt}, clock_);
  ASSERT_TRUE(executor.Start(Spec("fails", {"sh", "-c", "exit 3"})));
  ASSERT_TRUE(executor.Start(Spec("crashes", {"sh", "-c", "kill -SEGV $$"})));
  EXPECT_EQ(WaitFor(executor, "fails").exit_code, 3);
  const TaskExit crashed = WaitFor(executor, "crashes");
  EXPECT_EQ(crashed.signal, SIGSEGV);
  EXPECT_FALSE(crashed.killed_by_request);
}

TEST_F(LocalExecutorTest, TheKeeperRecordsHowTheTaskEnded) {
  LocalExecutor executor(LocalExecutorOptions{root_.string(), std::nullopt}, clock_);
  ASSERT_TRUE(executor.Start(Spec("seven", {"sh", "-c", "exit 7"})));
  ASSERT_TRUE(executor.Start(Spec("killed", {"sh", "-c", "kill -9 $$"})));
  std::vector<TaskExit> exits = {WaitFor(executor, "seven"), WaitFor(executor, "killed")};
  auto seven = ReadKeeperStatus(root_ / "seven");
  ASSERT_TRUE(seven);
  EXPECT_EQ(seven->exit_code, 7);
  EXPECT_EQ(seven->signal, 0);
  EXPECT_GT(seven->peak_memory_kib, 0);
  auto killed = ReadKeeperStatus(root_ / "killed");
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->signal, 9);
  // The keeper ends the way its task did, so the executor sees the same.
  EXPECT_EQ(exits[0].exit_code, 7);
  EXPECT_EQ(exits[1].signal, 9);
  EXPECT_FALSE(ReadKeeperStatus(root_ / "never-started"));
}

// An agent that died between starting a task and saving its handle: the restarted agent finds
// the task through the claim its keeper made, or claims the directory so it never starts.
TEST_F(LocalExecutorTest, AStartingTaskIsFoundThroughItsKeepersClaimOrNeverStarts) {
  LocalExecutor executor(LocalExecutorOptions{root_.string(), std::nullopt}, clock_);
  ASSERT_TRUE(executor.Start(Spec("started", {"sh", "-c", "exit 4"})));
  EXPECT_EQ(WaitFor(executor, "started").exit_code, 4);
  LocalExecutor restarted(LocalExecutorOptions{root_.string(), std::nullopt}, clock_);
  ASSERT_TRUE(restarted.Adopt("started", "", ""));
  EXPECT_EQ(WaitFor(restarted, "started").exit_code, 4);
  EXPECT_FALSE(restarted.Adopt("never", "", ""));
  EXPECT_EQ(ClaimOwner((root_ / "never").string()), kAgentOwner);
  EXPECT_EQ(ClaimForAgent((root_ / "never").string()), ClaimOutcome::kAgentHolds);  // again: still the agent's
  EXPECT_EQ(ClaimForAgent((root_ / "started").string()), ClaimOutcome::kTaskHolds);
}

TEST_F(LocalExecutorTest, ReportsUsage) {
  LocalExecutor executor({root_.string(), std::nullopt}, clock_);
  ASSERT_TRUE(executor.Start(
      Spec("burn", {"sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"})));
  const TaskExit exit = WaitFor(executor, "burn");
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_GT(exit.usage.cpu_seconds, 0.05);
  EXPECT_GT(exit.usage.peak_memory_kib, 100);
  EXPECT_GE(exit.usage.wall_ms, static_cast<Timestamp>(exit.usage.cpu_seconds * 1000 * 0.5));
}

TEST_F(LocalExecutorTest, KillSendsTermThenKillAfterGrace) {
  ManualClock manual(1'000'000);
  LocalExecutor executor({root_.string(), std::nullopt}, manual);
  // Ignores SIGTERM: only the SIGKILL after the grace period ends it.
  ASSERT_TRUE(executor.Start(Spec("stubborn", {"sh", "-c", "trap '' TERM; echo ready; sleep 30"})));
  ASSERT_TRUE(executor.Start(Spec("polite", {"sleep", "30"})));
  const std::string ready = (root_ / "stubborn" / "stdout").string();
  for (int i = 0; i < 500 && suanwang::testing::ReadFile(ready).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(executor.Kill("stubborn", 5'000));
  ASSERT_TRUE(executor.Kill("polite", 5'000));
  const TaskExit polite = WaitFor(executor, "polite");
  EXPECT_EQ(polite.signal, SIGTERM);
  EXPECT_TRUE(polite.killed_by_request);
  EXPECT_EQ(executor.Running(), std::vector<std::string>{"stubborn"});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(executor.Poll().empty()) << "ended before its grace period";
  manual.Advance(5'000);
  const TaskExit stubborn = WaitFor(executor, "stubborn");
  EXPECT_EQ(stubborn.signal, SIGKILL);
  EXPECT_TRUE(stubborn.killed_by_request);
  EXPECT_EQ(executor.Kill("stubborn", 0).error().code, ErrorCode::kNotFound);
}

TEST_F(LocalExecutorTest, KillsWhatTheTaskLeftInItsProcessGroup) {
  LocalExecutor executor({root_.string(), std::nullopt}, clock_);
  ASSERT_TRUE(executor.Start(Spec("leaves-child", {"sh", "-c", "sleep 30 & echo $! > child.pid"})));
  EXPECT_EQ(WaitFor(executor, "leaves-child").exit_code, 0);
  const int child = std::stoi(suanwang::testing::ReadFile((root_ / "leaves-child" / "work" / "child.pid").string()));
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    const std::string stat = suanwang::testing::ReadFile("/proc/" + std::to_string(child) + "/stat");
    // Gone, or a zombie waiting for a reaper outside our control.
    gone = stat.empty() || stat.find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "background child " << child << " of the task still runs";
}

TEST_F(LocalExecutorTest, StartErrorsNameTheProblemAndLeaveNothingRunning) {
  LocalExecutor executor({root_.string(), std::nullopt}, clock_);
  auto missing = executor.Start(Spec("t", {"no-such-program-xyz"}));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("no-such-program-xyz"), std::string::npos);

  EXPECT_EQ(executor.Start(Spec("t", {})).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(executor.Start(Spec("", {"true"})).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(executor.Start(Spec("../escape", {"true"})).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(executor.Start(Spec(".hidden", {"true"})).error().code, ErrorCode::kInvalidArgument);

  // A file that exists but cannot be executed by the kernel: exec fails in the child.
  const auto script = root_ / "not-a-binary";
  std::filesystem::create_directories(root_);
  std::ofstream(script) << "\x7f" "ELF garbage";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  auto bad_exec = executor.Start(Spec("t", {script.string()}));
  ASSERT_FALSE(bad_exec);
  EXPECT_EQ(bad_exec.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(bad_exec.error().message.find("not-a-binary"), std::string::npos);
  EXPECT_TRUE(executor.Running().empty());

  ASSERT_TRUE(executor.Start(Spec("dup", {"sleep", "30"})));
  EXPECT_EQ(executor.Start(Spec("dup", {"true"})).error().code, ErrorCode::kConflict);
  EXPECT_EQ(executor.Running(), std::vector<std::string>{"dup"});
}

TEST_F(LocalExecutorTest, DestructionKillsRunningTasks) {
  int pid = 0;
  {
    LocalExecutor executor({root_.string(), std::nullopt}, clock_);
    auto started = executor.Start(Spec("long", {"sleep", "30"}));
    ASSERT_TRUE(started);
    pid = started->pid;
  }
  EXPECT_NE(::kill(pid, 0), 0) << "task survived its executor";
}

// Confinement needs root (the CI runs as root): each tenant's task as its own user, in a
// private working directory and /tmp, with fds 0-2 only and cgroup v1 limits where mounted.
class ConfinedExecutorTest : public LocalExecutorTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "confinement needs root";
    LocalExecutorTest::SetUp();
    runner_ = MakeProcessRunner();
    users_ = std::make_unique<TenantUsers>(UidRange{}, *runner_, ::geteuid());
  }
  LocalExecutorOptions Options(LimitEnforcement limits = LimitEnforcement::kNone, int64_t pids = 256) {
    LocalExecutorOptions o;
    o.work_root = root_.string();
    o.users = users_.get();
    o.limits = limits;
    o.pids_max = pids;
    return o;
  }
  TaskSpec TenantSpec(std::string id, std::string tenant, std::string script) {
    TaskSpec spec = Spec(std::move(id), {"sh", "-c", std::move(script)});
    spec.tenant = std::move(tenant);
    return spec;
  }
  std::unique_ptr<CommandRunner> runner_;
  std::unique_ptr<TenantUsers> users_;
};

TEST_F(ConfinedExecutorTest, ATaskRunsAsItsTenantsUserWithFdsZeroToTwoOnly) {
  LocalExecutor executor(Options(), clock_);
  auto alice = users_->ForTenant("ut-alice");
  ASSERT_TRUE(alice) << alice.error().message;
  auto bob = users_->ForTenant("ut-bob");
  ASSERT_TRUE(bob) << bob.error().message;
  EXPECT_NE(alice->uid, 0u);
  EXPECT_NE(alice->uid, bob->uid);
  auto started = executor.Start(TenantSpec(
      "a", "ut-alice", "id -u; id -G; stat -c '%a %u' .; ls /proc/$$/fd | tr '\\n' ' '; echo; cat ../stdout || echo denied"));
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_EQ(WaitFor(executor, "a").exit_code, 0);
  EXPECT_EQ(suanwang::testing::ReadFile(started->workdir + "/stdout"),
            std::to_string(alice->uid) + "\n" + std::to_string(alice->gid) + "\n700 " + std::to_string(alice->uid) +
                "\n0 1 2 \ndenied\n");
  struct stat st{};
  ASSERT_EQ(::stat((started->workdir + "/stdout").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_uid, 0u);
  // Another tenant's task reaches neither alice's directory nor the agent's files.
  auto other = executor.Start(TenantSpec("b", "ut-bob", "cat " + started->workdir + "/work/x 2>/dev/null || echo no1; ls " +
                                                          root_.string() + " 2>/dev/null || echo no2"));
  ASSERT_TRUE(other) << other.error().message;
  WaitFor(executor, "b");
  EXPECT_EQ(suanwang::testing::ReadFile(other->workdir + "/stdout"), "no1\nno2\n");
}

TEST_F(ConfinedExecutorTest, EachTaskHasItsOwnTmp) {
  LocalExecutor executor(Options(), clock_);
  ASSERT_TRUE(executor.Start(TenantSpec("w", "ut-alice", "echo secret > /tmp/left; ls -A /tmp")));
  WaitFor(executor, "w");
  EXPECT_EQ(suanwang::testing::ReadFile((root_ / "w" / "stdout").string()), "left\n");
  EXPECT_FALSE(std::filesystem::exists("/tmp/left"));
  ASSERT_TRUE(executor.Start(TenantSpec("r", "ut-alice", "ls -A /tmp; echo end")));
  WaitFor(executor, "r");
  EXPECT_EQ(suanwang::testing::ReadFile((root_ / "r" / "stdout").string()), "end\n");
}

TEST_F(ConfinedExecutorTest, ATaskWithoutATenantIsRefused) {
  LocalExecutor executor(Options(), clock_);
  auto started = executor.Start(Spec("x", {"true"}));
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ConfinedExecutorTest, Cgroup1LimitsMemoryAndProcesses) {
  if (!TaskCgroupV1::Probe()) GTEST_SKIP() << "no writable cgroup v1 memory, pids and cpu controllers";
  LocalExecutor executor(Options(LimitEnforcement::kCgroup1, 50), clock_);
  TaskSpec hog = TenantSpec("hog", "ut-alice", "x=$(head -c 400000000 /dev/zero | tr '\\0' a); echo ${#x}");
  hog.memory_mib = 64;
  hog.cpu_milli = 1000;
  auto started = executor.Start(hog);
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_TRUE(started->limits_enforced);
  const TaskExit exit = WaitFor(executor, "hog");
  EXPECT_TRUE(exit.out_of_memory);
  EXPECT_LE(exit.usage.peak_memory_kib, 65 * 1024);
  ASSERT_TRUE(executor.Start(TenantSpec(
      "forks", "ut-alice", "n=0; for i in $(seq 100); do (sleep 2) 2>/dev/null & done; sleep 0.5; ls /proc | grep -c '^[0-9]' >/dev/null; "
                           "cat /sys/fs/cgroup/pids/pids.max >/dev/null 2>&1; wait")));
  const TaskExit forks = WaitFor(executor, "forks");
  const std::string err = suanwang::testing::ReadFile((root_ / "forks" / "stderr").string());
  EXPECT_NE(err.find("fork"), std::string::npos) << "100 processes ran under pids.max 50: " << err;
  (void)forks;
}

TEST(TaskCgroupTest, RefusesADirectoryWithoutCgroupControllers) {
  const auto dir = std::filesystem::temp_directory_path() / ("sw-nocg-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto group = TaskCgroup::Create(dir.string(), "task-x", 500, 64);
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(group.error().message.find(dir.string()), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "task-x"));
  std::filesystem::remove_all(dir);
}

// Runs only where an operator delegated a cgroup v2 subtree (SUANWANG_CGROUP_PARENT); this CI
// machine has cgroup v1, so the limit path is exercised wherever v2 exists.
TEST(TaskCgroupTest, MemoryLimitEndsATaskThatExceedsIt) {
  const auto parent = TaskCgroup::ParentFromEnvironment();
  if (!parent) GTEST_SKIP() << "SUANWANG_CGROUP_PARENT is not set (no delegated cgroup v2)";
  SystemClock clock;
  const auto root = std::filesystem::temp_directory_path() / ("sw-cg-" + std::to_string(::getpid()));
  LocalExecutor executor({root.string(), parent}, clock);
  TaskSpec spec;
  spec.task_id = "hog";
  spec.argv = {"sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#x}"};
  spec.memory_mib = 32;
  spec.cpu_milli = 500;
  auto started = executor.Start(spec);
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_TRUE(started->limits_enforced);
  for (int i = 0; i < 3000; ++i) {
    for (const auto& exit : executor.Poll()) {
      EXPECT_TRUE(exit.out_of_memory || exit.exit_code != 0 || exit.signal != 0);
      EXPECT_LE(exit.usage.peak_memory_kib, 33 * 1024);
      std::filesystem::remove_all(root);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "memory hog was not stopped";
}

}  // namespace
}  // namespace suanwang
