// The Slurm executor against captured Slurm output (tests/data/slurm/), replayed through the
// CommandRunner seam. The real cluster is exercised by tests/integration/slurm_test.cc.
#include "agent/slurm_executor.h"
#include "agent/task_claim.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace suanwang {
namespace {

std::string Data(const std::string& name) {
  std::ifstream in(std::string(SW_SOURCE_DIR) + "/tests/data/slurm/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A captured line with its JobName replaced (the captures ran under other names).
std::string Named(std::string line, const std::string& name) {
  const auto at = line.find("JobName=");
  const auto end = line.find(' ', at);
  return line.replace(at + 8, end - at - 8, name);
}

// Answers each command with the next canned output for its program; records every call.
class ReplayRunner final : public CommandRunner {
 public:
  Result<CommandOutput> Run(const std::vector<std::string>& argv) override {
    calls.push_back(argv);
    auto& queue = answers[argv[0]];
    if (queue.empty()) return MakeError(ErrorCode::kUnavailable, "no canned answer for " + argv[0]);
    auto answer = queue.front();
    queue.pop_front();
    return answer;
  }
  void Answer(const std::string& program, Result<CommandOutput> output) { answers[program].push_back(output); }
  std::map<std::string, std::deque<Result<CommandOutput>>> answers;
  std::vector<std::vector<std::string>> calls;
};

// The batch script as Slurm would run it: in its working directory, with its job id.
int RunBatchScript(const std::filesystem::path& workdir, const std::string& slurm_id) {
  return std::system(("cd '" + workdir.string() + "' && SLURM_JOB_ID=" + slurm_id + " sh run.sh 2>/dev/null").c_str());
}

class SlurmExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("sw-slurm-" + std::to_string(::getpid()));
    std::filesystem::remove_all(root_);
    options_.work_root = root_.string();
    options_.poll_ms = 0;
    options_.poll_ms_per_job = 0;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  TaskSpec Spec(const std::string& id) {
    TaskSpec spec;
    spec.task_id = id;
    spec.argv = {"printf", "%s\\n", "it's \"quoted\""};
    spec.env = {{"SUANWANG_JOB_ID", "1"}};
    spec.cpu_milli = 1500;
    spec.memory_mib = 512;
    spec.gpus = 1;
    return spec;
  }

  std::filesystem::path root_;
  SlurmExecutorOptions options_;
  ReplayRunner runner_;
  ManualClock clock_{1000};
};

TEST_F(SlurmExecutorTest, StartSubmitsOneBatchJobTaggedWithTheTask) {
  SlurmExecutor executor(options_, runner_, clock_);
  runner_.Answer("sbatch", CommandOutput{0, "2\n", ""});
  auto started = executor.Start(Spec("j1-t0-a1"));
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_EQ(started->handle, "2");
  const auto& argv = runner_.calls.at(0);
  const std::string workdir = (root_ / "j1-t0-a1").string();
  EXPECT_EQ(argv, (std::vector<std::string>{"sbatch", "--parsable", "--no-requeue", "--job-name=sw-j1-t0-a1", "--chdir=" + workdir,
                                            "--output=" + workdir + "/stdout", "--error=" + workdir + "/stderr",
                                            "--ntasks=1", "--cpus-per-task=2", "--mem=512", "--gres=gpu:1",
                                            workdir + "/run.sh"}));
  std::ifstream script(workdir + "/run.sh");
  std::stringstream text;
  text << script.rdbuf();
  EXPECT_NE(text.str().find("export SUANWANG_JOB_ID='1'\n"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("\n'printf' '%s\\n' 'it'\\''s \"quoted\"' \n"), std::string::npos) << text.str();
  EXPECT_EQ(executor.Running(), std::vector<std::string>{"j1-t0-a1"});
  // Run as Slurm would: output in the task's files, and the exit record.
  ASSERT_EQ(RunBatchScript(workdir, "2"), 0);
  std::ifstream out(workdir + "/stdout");
  std::string line;
  std::getline(out, line);
  EXPECT_EQ(line, "it's \"quoted\"");
  auto record = ReadSlurmExitRecord(workdir);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->exit_code, 0);
}

TEST_F(SlurmExecutorTest, TheExitRecordHoldsTheProgramsCodeCpuTimeAndElapsedTime) {
  SlurmExecutor executor(options_, runner_, clock_);
  TaskSpec spec = Spec("j1-t0-a1");
  spec.argv = {"sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; exit 5"};
  runner_.Answer("sbatch", CommandOutput{0, "2\n", ""});
  ASSERT_TRUE(executor.Start(spec));
  const auto begun = std::chrono::steady_clock::now();
  EXPECT_EQ(RunBatchScript(root_ / "j1-t0-a1", "2") >> 8, 5);
  // The script beat while the program ran, and its heartbeat's sleep did not hold it up.
  EXPECT_NE(SlurmHeartbeatMs((root_ / "j1-t0-a1").string()), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - begun, std::chrono::seconds(kSlurmHeartbeatS));
  std::stringstream err;
  err << std::ifstream(root_ / "j1-t0-a1" / "stderr").rdbuf();
  EXPECT_EQ(err.str(), "");  // nothing of the heartbeat's (a shell's "Terminated") in the task's log
  auto record = ReadSlurmExitRecord((root_ / "j1-t0-a1").string());
  ASSERT_TRUE(record);
  EXPECT_EQ(record->exit_code, 5);
  EXPECT_GT(record->cpu_seconds, 0.05);
  EXPECT_GT(record->elapsed_ms, 0);
  auto exits = executor.Poll();
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].exit_code, 5);
  EXPECT_DOUBLE_EQ(exits[0].usage.cpu_seconds, record->cpu_seconds);
  EXPECT_EQ(exits[0].usage.wall_ms, record->elapsed_ms);
}

// Confined (the agent is root): the script stays root and writes the record in the agent's
// directory; only the program runs, in its own directory, as the tenant's uid and gid.
TEST_F(SlurmExecutorTest, AConfinedTasksProgramRunsAsItsTenantsUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching to a tenant's uid needs root";
  const TenantUser tenant{"sw-acme", 61917, 61917};  // no passwd entry needed: setpriv takes numbers
  TenantUsers users(UidRange{61900, 61999}, runner_, 0, [&](const std::string& name) -> std::optional<TenantUser> {
    if (name == tenant.name) return tenant;
    return std::nullopt;
  });
  options_.users = &users;
  SlurmExecutor executor(options_, runner_, clock_);
  TaskSpec spec = Spec("j1-t0-a1");
  auto refused = executor.Start(spec);  // no tenant: refused before sbatch
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(runner_.calls.empty());
  spec.tenant = "acme";
  spec.argv = {"sh", "-c", "id -u; id -g; id -G; pwd; echo $HOME; touch mine; touch ../exit_status 2>/dev/null || echo refused"};
  runner_.Answer("sbatch", CommandOutput{0, "2\n", ""});
  ASSERT_TRUE(executor.Start(spec));
  const std::filesystem::path workdir = root_ / "j1-t0-a1";
  struct stat st{};
  ASSERT_EQ(::stat(workdir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(st.st_uid, 0u);
  ASSERT_EQ(::stat((workdir / "work").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, tenant.uid);
  EXPECT_EQ(RunBatchScript(workdir, "2"), 0);
  std::stringstream out;
  out << std::ifstream(workdir / "stdout").rdbuf();
  const std::string w = (workdir / "work").string();
  EXPECT_EQ(out.str(), "61917\n61917\n61917\n" + w + "\n" + w + "\nrefused\n");
  EXPECT_TRUE(std::filesystem::exists(workdir / "work" / "mine"));
  auto record = ReadSlurmExitRecord(workdir.string());
  ASSERT_TRUE(record);  // the program could not overwrite it
  EXPECT_EQ(record->exit_code, 0);
}

// A gang is one Slurm job: --ntasks=N with per-task limits; its one srun step runs rank R in
// task R's directory; a kill of the gang is one scancel.
TEST_F(SlurmExecutorTest, AGangIsOneSlurmJobWithATaskPerRank) {
  SlurmExecutor executor(options_, runner_, clock_);
  std::vector<TaskSpec> specs;
  for (int t : {2, 0, 1}) {  // any order: ranks follow the gang index
    TaskSpec spec = Spec("j4-t" + std::to_string(t) + "-a1");
    spec.argv = {"sh", "-c", "echo task $SUANWANG_TASK_ID; exit " + std::to_string(t)};
    spec.gang = "j4-a1";
    spec.gang_size = 3;
    spec.gang_index = t;
    specs.push_back(spec);
  }
  specs.push_back(Spec("j5-t0-a1"));
  runner_.Answer("sbatch", CommandOutput{0, "7\n", ""});
  runner_.Answer("sbatch", CommandOutput{0, "8\n", ""});
  auto started = executor.StartMany(specs);
  ASSERT_EQ(runner_.calls.size(), 2u);
  const std::string first = (root_ / "j4-t0-a1").string();
  EXPECT_EQ(runner_.calls[0], (std::vector<std::string>{"sbatch", "--parsable", "--no-requeue", "--job-name=sw-j4-a1",
                                                        "--chdir=" + first, "--output=" + first + "/gang.out",
                                                        "--ntasks=3", "--cpus-per-task=2", "--mem-per-cpu=256",
                                                        "--gpus-per-task=1", first + "/gang.sh"}));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(started[i]) << started[i].error().message;
    EXPECT_EQ(started[i]->handle, "7");
  }
  ASSERT_TRUE(started[3]);
  EXPECT_EQ(started[3]->handle, "8");
  // srun's ranks, as Slurm would start them.
  for (int rank = 0; rank < 3; ++rank) {
    EXPECT_EQ(std::system(("cd '" + first + "' && SLURM_JOB_ID=7 SLURM_PROCID=" + std::to_string(rank) +
                           " sh gang-task.sh 2>/dev/null").c_str()) >> 8, rank);
  }
  std::ifstream out(root_ / "j4-t1-a1" / "stdout");
  std::string line;
  std::getline(out, line);
  EXPECT_EQ(line, "task j4-t1-a1");
  // One scancel for the gang, whichever of its tasks are killed.
  runner_.Answer("scancel", CommandOutput{0, "", ""});
  ASSERT_TRUE(executor.Kill("j4-t0-a1", 1000));
  ASSERT_TRUE(executor.Kill("j4-t2-a1", 1000));
  EXPECT_EQ(runner_.calls.size(), 3u);
  EXPECT_EQ(runner_.calls[2], (std::vector<std::string>{"scancel", "7"}));
  // Each task ends with its own exit code.
  runner_.Answer("squeue", CommandOutput{0, "8|RUNNING|sw-j5-t0-a1\n", ""});
  auto exits = executor.Poll();
  ASSERT_EQ(exits.size(), 3u);
  std::map<std::string, int> codes;
  for (const TaskExit& e : exits) codes[e.task_id] = e.exit_code;
  EXPECT_EQ(codes, (std::map<std::string, int>{{"j4-t0-a1", 0}, {"j4-t1-a1", 1}, {"j4-t2-a1", 2}}));
  EXPECT_EQ(executor.Running(), std::vector<std::string>{"j5-t0-a1"});
}

// Tasks of their own with one shape that start together are one job array: one sbatch; each
// element runs its own task and is known as ARRAYID_INDEX, also after a restart of the agent.
TEST_F(SlurmExecutorTest, SameShapedTasksStartedTogetherAreOneJobArray) {
  SlurmExecutor executor(options_, runner_, clock_);
  std::vector<TaskSpec> specs;
  for (int j = 1; j <= 3; ++j) {
    TaskSpec spec = Spec("j" + std::to_string(j) + "-t0-a1");
    spec.argv = {"sh", "-c", "echo job " + std::to_string(j) + "; exit " + std::to_string(j)};
    specs.push_back(spec);
  }
  TaskSpec bigger = Spec("j4-t0-a1");
  bigger.memory_mib = 4096;
  specs.insert(specs.begin() + 1, bigger);
  runner_.Answer("sbatch", CommandOutput{0, "9\n", ""});
  runner_.Answer("sbatch", CommandOutput{0, "12\n", ""});
  auto started = executor.StartMany(specs);
  ASSERT_EQ(runner_.calls.size(), 2u);
  const std::string first = (root_ / "j1-t0-a1").string();
  EXPECT_EQ(runner_.calls[0], (std::vector<std::string>{"sbatch", "--parsable", "--no-requeue", "--job-name=sw-j1-t0-a1+2",
                                                        "--chdir=" + first, "--array=0-2",
                                                        "--output=" + first + "/array-%a.out", "--ntasks=1",
                                                        "--cpus-per-task=2", "--mem=512", "--gres=gpu:1",
                                                        first + "/array.sh"}));
  std::vector<std::string> handles;
  for (const auto& s : started) handles.push_back(s ? s->handle : s.error().message);
  EXPECT_EQ(handles, (std::vector<std::string>{"9_0", "12", "9_1", "9_2"}));
  // Element 1, as Slurm would start it: task j2, which claims its directory as 9_1.
  EXPECT_EQ(std::system(("cd '" + first + "' && SLURM_JOB_ID=15 SLURM_ARRAY_JOB_ID=9 SLURM_ARRAY_TASK_ID=1 sh array.sh")
                            .c_str()) >> 8, 2);
  EXPECT_EQ(ClaimOwner((root_ / "j2-t0-a1").string()), "9_1");
  runner_.Answer("squeue", CommandOutput{0, "9_0|RUNNING|sw-j1-t0-a1+2\n9_2|PENDING|sw-j1-t0-a1+2\n12|RUNNING|sw-j4-t0-a1\n", ""});
  auto exits = executor.Poll();
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].task_id, "j2-t0-a1");
  EXPECT_EQ(exits[0].exit_code, 2);
  EXPECT_EQ(runner_.calls.back(), (std::vector<std::string>{"squeue", "--noheader", "--states=all", "--array",
                                                            "--jobs=12,9_0,9_2", "--format=%i|%T|%j"}));
  // A restarted agent that never saved the handles finds element 2 by the array's name.
  SlurmExecutor restarted(options_, runner_, clock_);
  runner_.Answer("squeue", CommandOutput{0, "9_0\n9_2\n", ""});
  runner_.Answer("scontrol", CommandOutput{0, Named(Data("scontrol_running.txt"), "sw-j1-t0-a1+2"), ""});
  ASSERT_TRUE(restarted.Adopt("j3-t0-a1", "", ""));
  EXPECT_EQ(runner_.calls.back(), (std::vector<std::string>{"scontrol", "-o", "show", "job", "9_2"}));
}

TEST_F(SlurmExecutorTest, ARefusedSubmissionSaysWhy) {
  SlurmExecutor executor(options_, runner_, clock_);
  runner_.Answer("sbatch", CommandOutput{1, "", "sbatch: error: Memory specification can not be satisfied\n"});
  auto started = executor.Start(Spec("j2-t0-a1"));
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().message,
            "task 'j2-t0-a1': sbatch refused it: sbatch: error: Memory specification can not be satisfied");
  EXPECT_TRUE(executor.Running().empty());
}

TEST_F(SlurmExecutorTest, PollMapsSlurmStatesToExits) {
  SlurmExecutor executor(options_, runner_, clock_);
  for (const char* id : {"3", "1", "2"}) runner_.Answer("sbatch", CommandOutput{0, std::string(id) + "\n", ""});
  ASSERT_TRUE(executor.Start(Spec("ok")));
  ASSERT_TRUE(executor.Start(Spec("failed")));
  ASSERT_TRUE(executor.Start(Spec("cancelled")));
  runner_.Answer("scancel", CommandOutput{0, "", ""});
  ASSERT_TRUE(executor.Kill("cancelled", 5000));
  EXPECT_EQ(runner_.calls.back(), (std::vector<std::string>{"scancel", "2"}));
  runner_.Answer("squeue", CommandOutput{0, "3|COMPLETED|sw-ok\n1|FAILED|sw-failed\n2|CANCELLED|sw-cancelled\n", ""});
  // Collected in task-id order: cancelled (2), failed (1), ok (3).
  runner_.Answer("scontrol", CommandOutput{0, Named(Data("scontrol_cancelled.txt"), "sw-cancelled"), ""});
  runner_.Answer("scontrol", CommandOutput{0, Named(Data("scontrol_failed.txt"), "sw-failed"), ""});
  runner_.Answer("scontrol", CommandOutput{0, Named(Data("scontrol_completed.txt"), "sw-ok"), ""});
  auto exits = executor.Poll();
  ASSERT_EQ(exits.size(), 3u);
  EXPECT_EQ(exits[0].task_id, "cancelled");
  EXPECT_TRUE(exits[0].killed_by_request);
  EXPECT_EQ(exits[0].signal, 15);
  EXPECT_EQ(exits[1].task_id, "failed");
  EXPECT_EQ(exits[1].exit_code, 3);
  EXPECT_FALSE(exits[1].killed_by_request);
  EXPECT_EQ(exits[2].task_id, "ok");
  EXPECT_EQ(exits[2].exit_code, 0);
  EXPECT_EQ(exits[2].usage.wall_ms, 1000);  // RunTime=00:00:01
  EXPECT_TRUE(executor.Running().empty());
}

TEST_F(SlurmExecutorTest, RunningJobsAndAnUnreachableControllerDecideNothing) {
  SlurmExecutor executor(options_, runner_, clock_);
  runner_.Answer("sbatch", CommandOutput{0, "2\n", ""});
  ASSERT_TRUE(executor.Start(Spec("long")));
  runner_.Answer("squeue", CommandOutput{0, "2|RUNNING|sw-long\n", ""});
  EXPECT_TRUE(executor.Poll().empty());
  // slurmctld restarting: squeue fails; nothing ends.
  runner_.Answer("squeue", CommandOutput{1, "", "slurm_load_jobs error: Unable to contact slurm controller\n"});
  EXPECT_TRUE(executor.Poll().empty());
  // squeue answers but leaves the job out, and scontrol cannot reach the controller: still nothing.
  runner_.Answer("squeue", CommandOutput{0, "", ""});
  runner_.Answer("scontrol", CommandOutput{1, "", "Unable to contact slurm controller (connect failure)\n"});
  EXPECT_TRUE(executor.Poll().empty());
  EXPECT_EQ(executor.Running(), std::vector<std::string>{"long"});
  // Slurm forgot the job: it ends with the reason.
  runner_.Answer("squeue", CommandOutput{0, "", ""});
  runner_.Answer("scontrol", CommandOutput{1, "", Data("scontrol_unknown.err")});
  auto exits = executor.Poll();
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].exit_code, 255);
  EXPECT_TRUE(exits[0].lost);  // run it again
  EXPECT_EQ(exits[0].error, "Slurm lost job 2 (a controller restart) before it started");
  // ... and its batch script, should Slurm still start it, runs nothing: the agent holds the claim.
  EXPECT_EQ(ClaimOwner((root_ / "long").string()), kAgentOwner);
}

// A job whose script started and that Slurm then forgot (a controller restart) may still run
// on its node: its exit record is awaited lost_grace_ms before it is reported lost; a record
// that comes in time is its end (running it again would run it twice).
TEST_F(SlurmExecutorTest, AStartedJobSlurmForgotIsAwaitedBeforeItIsRunAgain) {
  SlurmExecutor executor(options_, runner_, clock_);
  runner_.Answer("sbatch", CommandOutput{0, "2\n", ""});
  ASSERT_TRUE(executor.Start(Spec("late")));
  runner_.Answer("sbatch", CommandOutput{0, "3\n", ""});
  ASSERT_TRUE(executor.Start(Spec("gone")));
  std::ofstream(root_ / "late" / ".claim") << "2\n";  // both scripts started
  std::ofstream(root_ / "gone" / ".claim") << "3\n";
  for (int i = 0; i < 10; ++i) {  // the controller knows neither job from now on
    runner_.Answer("squeue", CommandOutput{0, "", ""});
    runner_.Answer("scontrol", CommandOutput{1, "", Data("scontrol_unknown.err")});
  }
  clock_.Advance(options_.poll_ms);
  EXPECT_TRUE(executor.Poll().empty());  // forgotten, but maybe still running
  clock_.Advance(options_.lost_grace_ms / 2);
  std::ofstream(root_ / "late" / "exit_status") << "exited 0\n";
  auto exits = executor.Poll();
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].task_id, "late");
  EXPECT_FALSE(exits[0].lost);
  EXPECT_EQ(exits[0].exit_code, 0);
  clock_.Advance(options_.lost_grace_ms / 2 + options_.poll_ms);
  exits = executor.Poll();
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].task_id, "gone");
  EXPECT_TRUE(exits[0].lost);
  EXPECT_EQ(exits[0].error,
            "Slurm lost job 3 (a controller restart) after it started; its script stopped before it ran to its end");
}

// A forgotten job whose script still beats (its node runs it) is awaited however long that
// takes; once the beat stops, it is lost lost_grace_ms later.
TEST_F(SlurmExecutorTest, AForgottenJobIsAwaitedWhileItsHeartbeatChanges) {
  SlurmExecutor executor(options_, runner_, clock_);
  runner_.Answer("sbatch", CommandOutput{0, "4\n", ""});
  ASSERT_TRUE(executor.Start(Spec("long")));
  const auto dir = root_ / "long";
  std::ofstream(dir / ".claim") << "4\n";
  std::ofstream(dir / "alive");
  const auto t0 = std::filesystem::last_write_time(dir / "alive");
  const Timestamp step = 1000;  // a poll a second
  const int polls = static_cast<int>(options_.lost_grace_ms / step);
  for (int i = 0; i < 4 * polls; ++i) {  // the controller no longer knows the job
    runner_.Answer("squeue", CommandOutput{0, "", ""});
    runner_.Answer("scontrol", CommandOutput{1, "", Data("scontrol_unknown.err")});
  }
  // Beating every poll for twice the grace: never reported.
  for (int i = 0; i < 2 * polls; ++i) {
    std::filesystem::last_write_time(dir / "alive", t0 + std::chrono::seconds(i + 1));
    clock_.Advance(step);
    ASSERT_TRUE(executor.Poll().empty()) << "poll " << i;
  }
  // The beat stops: still awaited for the grace, then lost.
  const Timestamp stopped = clock_.Now();
  std::vector<TaskExit> exits;
  for (int i = 0; exits.empty() && i < polls + 5; ++i) {
    clock_.Advance(step);
    exits = executor.Poll();
  }
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_TRUE(exits[0].lost);
  EXPECT_EQ(clock_.Now() - stopped, options_.lost_grace_ms);
}

TEST_F(SlurmExecutorTest, AdoptFindsAJobByHandleOrByItsTag) {
  SlurmExecutor executor(options_, runner_, clock_);
  runner_.Answer("scontrol", CommandOutput{0, Data("scontrol_running.txt"), ""});
  EXPECT_TRUE(executor.Adopt("j1-t0-a1", "2", ""));
  // No handle saved (the agent stopped between sbatch and its state file): found by name.
  SlurmExecutor again(options_, runner_, clock_);
  runner_.Answer("squeue", CommandOutput{0, "2\n", ""});
  runner_.Answer("scontrol", CommandOutput{0, Data("scontrol_running.txt"), ""});
  EXPECT_TRUE(again.Adopt("j1-t0-a1", "", ""));
  EXPECT_EQ(runner_.calls[1], (std::vector<std::string>{"squeue", "--noheader", "--states=all", "--array",
                                                        "--name=sw-j1-t0-a1", "--format=%i"}));
  // A job of another name under that id is not ours.
  runner_.Answer("scontrol", CommandOutput{0, Data("scontrol_completed.txt"), ""});
  EXPECT_FALSE(again.Adopt("j9-t0-a1", "3", ""));
  runner_.Answer("squeue", CommandOutput{0, "", ""});
  EXPECT_FALSE(again.Adopt("j8-t0-a1", "", ""));
}

// The agent died with an sbatch in flight; restarted, it finds nothing in the queue, gives the
// attempt up (the server runs the task again) and claims it: the late job runs nothing.
TEST_F(SlurmExecutorTest, AStartingTaskTheAgentGaveUpNeverRunsLate) {
  SlurmExecutor executor(options_, runner_, clock_);
  TaskSpec spec = Spec("j1-t0-a1");
  spec.argv = {"touch", "ran"};
  runner_.Answer("sbatch", CommandOutput{0, "5\n", ""});
  ASSERT_TRUE(executor.Start(spec));
  SlurmExecutor restarted(options_, runner_, clock_);
  runner_.Answer("squeue", CommandOutput{0, "", ""});
  EXPECT_FALSE(restarted.Adopt("j1-t0-a1", "", ""));
  EXPECT_EQ(RunBatchScript(root_ / "j1-t0-a1", "5"), 0);
  EXPECT_FALSE(std::filesystem::exists(root_ / "j1-t0-a1" / "ran"));
  // A second restart still gives it up (the claim is the agent's).
  runner_.Answer("squeue", CommandOutput{1, "", "slurm_load_jobs error: Unable to contact slurm controller"});
  EXPECT_FALSE(SlurmExecutor(options_, runner_, clock_).Adopt("j1-t0-a1", "", ""));
}

// The job ran and aged out of the queue before the agent came back: its script's claim names
// the Slurm job, and the agent takes it back by that id.
TEST_F(SlurmExecutorTest, AStartingTaskThatRanIsFoundByTheIdItsScriptClaimedWith) {
  SlurmExecutor executor(options_, runner_, clock_);
  TaskSpec spec = Spec("j1-t0-a1");
  spec.argv = {"touch", "ran"};
  runner_.Answer("sbatch", CommandOutput{0, "2\n", ""});
  ASSERT_TRUE(executor.Start(spec));
  ASSERT_EQ(RunBatchScript(root_ / "j1-t0-a1", "2"), 0);
  EXPECT_TRUE(std::filesystem::exists(root_ / "j1-t0-a1" / "ran"));
  SlurmExecutor restarted(options_, runner_, clock_);
  runner_.Answer("squeue", CommandOutput{0, "", ""});
  runner_.Answer("scontrol", CommandOutput{1, "", "slurm_load_jobs error: Invalid job id specified"});
  ASSERT_TRUE(restarted.Adopt("j1-t0-a1", "", ""));
  EXPECT_EQ(runner_.calls.back(), (std::vector<std::string>{"scontrol", "-o", "show", "job", "2"}));
  auto exits = restarted.Poll();  // its exit record
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].exit_code, 0);
  EXPECT_FALSE(exits[0].lost);
}

TEST_F(SlurmExecutorTest, TheTasksOwnRecordOutranksAControllerThatForgotItEnded) {
  SlurmExecutor executor(options_, runner_, clock_);
  runner_.Answer("sbatch", CommandOutput{0, "8\n", ""});
  ASSERT_TRUE(executor.Start(Spec("j1-t0-a1")));
  // slurmctld was killed after the job ended and restarted from an older state: RUNNING.
  std::ofstream(root_ / "j1-t0-a1" / "exit_status") << "exited 0\n";
  auto exits = executor.Poll();
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].exit_code, 0);
  EXPECT_EQ(runner_.calls.size(), 1u);  // only the sbatch: the record settles it, no controller call
}

TEST_F(SlurmExecutorTest, AnIdThatNowNamesAnotherJobMeansTheTaskWasLost) {
  SlurmExecutor executor(options_, runner_, clock_);
  runner_.Answer("sbatch", CommandOutput{0, "2\n", ""});
  ASSERT_TRUE(executor.Start(Spec("j7-t0-a1")));
  // The controller restarted from an older state and gave id 2 to another submission.
  runner_.Answer("squeue", CommandOutput{0, "2|RUNNING|sw-j1-t0-a1\n", ""});
  runner_.Answer("scontrol", CommandOutput{0, Data("scontrol_running.txt"), ""});
  auto exits = executor.Poll();
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_TRUE(exits[0].lost);
}

// A controller killed with -9 restarts from an older state that never had the array: squeue
// lists nothing for the element and scontrol says so on stdout (captured from Slurm 22.05).
TEST_F(SlurmExecutorTest, AnArrayElementTheControllerNeverHeardOfWasLost) {
  SlurmExecutor executor(options_, runner_, clock_);
  ASSERT_TRUE(executor.Adopt("j7-t0-a1", "739_8", ""));
  runner_.Answer("squeue", CommandOutput{0, "", ""});
  runner_.Answer("scontrol", CommandOutput{1, "Job 739_8 not found\n", ""});
  auto exits = executor.Poll();
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_TRUE(exits[0].lost);
  // Any other failure decides nothing.
  ASSERT_TRUE(executor.Adopt("j8-t0-a1", "740_1", ""));
  runner_.Answer("squeue", CommandOutput{0, "", ""});
  runner_.Answer("scontrol", CommandOutput{1, "", "slurm_load_jobs error: Unable to contact slurm controller\n"});
  EXPECT_TRUE(executor.Poll().empty());
}

// After a controller's kill -9, Slurm may show a job RUNNING that no node runs (the node refused
// a duplicate job id). Its script never claims the task's directory: after the grace time the
// agent claims it, cancels the job and reports the task lost. A job whose script started stays.
TEST_F(SlurmExecutorTest, AJobSlurmOnlyThinksRunsIsGivenUpAfterTheGraceTime) {
  options_.start_grace_ms = 60000;
  SlurmExecutor executor(options_, runner_, clock_);
  runner_.Answer("sbatch", CommandOutput{0, "5\n", ""});
  runner_.Answer("sbatch", CommandOutput{0, "6\n", ""});
  ASSERT_TRUE(executor.Start(Spec("phantom")));
  ASSERT_TRUE(executor.Start(Spec("real")));
  std::ofstream(root_ / "real" / ".claim") << "6\n";  // its script started
  const std::string both = "5|RUNNING|sw-phantom\n6|RUNNING|sw-real\n";
  runner_.Answer("squeue", CommandOutput{0, both, ""});
  EXPECT_TRUE(executor.Poll().empty());
  clock_.Advance(59000);
  runner_.Answer("squeue", CommandOutput{0, both, ""});
  EXPECT_TRUE(executor.Poll().empty());
  clock_.Advance(2000);
  runner_.Answer("squeue", CommandOutput{0, both, ""});
  runner_.Answer("scancel", CommandOutput{0, "", ""});
  auto exits = executor.Poll();
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].task_id, "phantom");
  EXPECT_TRUE(exits[0].lost);
  EXPECT_EQ(runner_.calls.back(), (std::vector<std::string>{"scancel", "5"}));
  EXPECT_EQ(ClaimOwner((root_ / "phantom").string()), kAgentOwner);
  EXPECT_EQ(executor.Running(), std::vector<std::string>{"real"});
}

// Cancelled by Slurm (or an operator), not through suanwang: before its script started the task
// did not fail and runs again; after, it was killed.
TEST_F(SlurmExecutorTest, ACancelInSlurmBeforeTheScriptStartedMeansRunItAgain) {
  SlurmExecutor executor(options_, runner_, clock_);
  runner_.Answer("sbatch", CommandOutput{0, "5\n", ""});
  runner_.Answer("sbatch", CommandOutput{0, "6\n", ""});
  ASSERT_TRUE(executor.Start(Spec("pending")));
  ASSERT_TRUE(executor.Start(Spec("started")));
  std::ofstream(root_ / "started" / ".claim") << "6\n";
  runner_.Answer("squeue", CommandOutput{0, "5|CANCELLED|sw-pending\n6|CANCELLED|sw-started\n", ""});
  runner_.Answer("scontrol", CommandOutput{0, Named(Data("scontrol_cancelled.txt"), "sw-pending"), ""});
  runner_.Answer("scontrol", CommandOutput{0, Named(Data("scontrol_cancelled.txt"), "sw-started"), ""});
  std::map<std::string, TaskExit> exits;
  for (TaskExit& e : executor.Poll()) exits[e.task_id] = e;
  ASSERT_EQ(exits.size(), 2u);
  EXPECT_TRUE(exits["pending"].lost);
  EXPECT_EQ(exits["pending"].error, "Slurm ended job 5 (CANCELLED) before it started");
  EXPECT_EQ(ClaimOwner((root_ / "pending").string()), kAgentOwner);
  EXPECT_FALSE(exits["started"].lost);
  EXPECT_TRUE(exits["started"].killed_by_request);
  EXPECT_EQ(exits["started"].error, "cancelled in Slurm (not through suanwang)");
}

// Cancelled by Slurm after the script started: the program dies of SIGTERM and the script still
// writes its record (exit 143). Slurm says CANCELLED, so the task was killed there, not failed;
// a program that exits 143 of its own accord stays a failure.
TEST_F(SlurmExecutorTest, ARecordOfASigtermSlurmSentIsAKillNotAFailure) {
  SlurmExecutor executor(options_, runner_, clock_);
  runner_.Answer("sbatch", CommandOutput{0, "6\n", ""});
  runner_.Answer("sbatch", CommandOutput{0, "7\n", ""});
  ASSERT_TRUE(executor.Start(Spec("cancelled")));
  ASSERT_TRUE(executor.Start(Spec("own")));
  std::ofstream(root_ / "cancelled" / "exit_status") << "exited 143\n";
  std::ofstream(root_ / "own" / "exit_status") << "exited 143\n";
  runner_.Answer("scontrol", CommandOutput{0, Named(Data("scontrol_cancelled.txt"), "sw-cancelled"), ""});
  runner_.Answer("scontrol", CommandOutput{0, Named(Data("scontrol_running.txt"), "sw-own"), ""});
  std::map<std::string, TaskExit> exits;
  for (TaskExit& e : executor.Poll()) exits[e.task_id] = e;
  ASSERT_EQ(exits.size(), 2u);
  EXPECT_TRUE(exits["cancelled"].killed_by_request);
  EXPECT_EQ(exits["cancelled"].signal, 15);
  EXPECT_EQ(exits["cancelled"].error, "cancelled in Slurm (not through suanwang)");
  EXPECT_FALSE(exits["own"].killed_by_request);
  EXPECT_EQ(exits["own"].exit_code, 143);
  EXPECT_TRUE(exits["own"].error.empty());
}

TEST(ScontrolParseTest, StatesAndRunTimes) {
  Timestamp run = 0;
  auto running = ParseScontrolJob(Data("scontrol_running.txt"), &run);
  ASSERT_TRUE(running);
  EXPECT_FALSE(running->has_value());
  EXPECT_EQ(run, 2000);
  auto timeout = ParseScontrolJob("JobState=TIMEOUT ExitCode=0:15 RunTime=1-02:03:04", &run);
  ASSERT_TRUE(timeout && timeout->has_value());
  EXPECT_EQ((*timeout)->error, "Slurm ended it at its time limit (TIMEOUT)");
  EXPECT_EQ(run, ((26 * 60 + 3) * 60 + 4) * 1000);
  auto node_fail = ParseScontrolJob("JobState=NODE_FAIL ExitCode=0:0", nullptr);
  EXPECT_EQ((*node_fail)->exit_code, 255);
  EXPECT_EQ((*node_fail)->error, "Slurm job ended NODE_FAIL");
  EXPECT_FALSE(ParseScontrolJob("no fields here", nullptr));
}

}  // namespace
}  // namespace suanwang
