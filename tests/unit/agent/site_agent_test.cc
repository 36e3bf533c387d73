// The site agent's logic against an in-memory server (the HTTP client is exercised against the
// real server in tests/integration/agent_test.cc) and the real local executor.
#include "agent/site_agent.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/local_executor.h"

namespace suanwang {
namespace {

// Serves a fixed list of commands (whatever `after` says: it may replay or skip on purpose), or
// a log read as the real server does (after, limit).
class FakeServer final : public ControlPlaneClient {
 public:
  Result<std::vector<SignedCommand>> FetchDispatches(uint64_t after, size_t limit, Timestamp) override {
    fetches.push_back({after, limit});
    if (log.empty()) return std::exchange(next_, {});
    std::vector<SignedCommand> out;
    for (const SignedCommand& c : log) {
      if (c.seq > after && out.size() < limit) out.push_back(c);
    }
    return out;
  }
  Result<HeartbeatAnswer> SendHeartbeat(const Heartbeat& h) override {
    heartbeats.push_back(h);
    return HeartbeatAnswer{60000, log_end};
  }
  Result<void> SendReports(const ReportBatch& batch) override {
    reports.insert(reports.end(), batch.reports.begin(), batch.reports.end());
    return {};
  }
  void SetTimeout(Timestamp) override {}

  void Serve(std::vector<SignedCommand> commands) { next_ = std::move(commands); }
  std::vector<SignedCommand> log;
  std::vector<std::pair<uint64_t, size_t>> fetches;
  std::vector<Heartbeat> heartbeats;
  uint64_t log_end = 0;
  std::vector<TaskReport> reports;

 private:
  std::vector<SignedCommand> next_;
};

class SiteAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("sw-agent-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "tasks");
    key_ = GenerateSigningKey();
    signer_.emplace(*DispatchSigner::Create(key_.secret_key_hex));
    executor_ = std::make_unique<LocalExecutor>(LocalExecutorOptions{(root_ / "tasks").string(), std::nullopt}, clock_);
    agent_ = MakeAgent();
  }
  void TearDown() override {
    agent_.reset();
    executor_.reset();
    std::filesystem::remove_all(root_);
  }

  std::unique_ptr<SiteAgent> MakeAgent(Executor* executor = nullptr, size_t batch_limit = 20) {
    SiteAgentOptions options;
    options.site = "sh-edge";
    options.agent_id = "test/1";
    options.state_path = (root_ / "state.json").string();
    options.batch_limit = batch_limit;
    auto agent = SiteAgent::Create(options, key_.public_key_hex, server_, executor ? *executor : *executor_, clock_,
                                   [this](const std::string& line) { log_ += line + "\n"; });
    EXPECT_TRUE(agent) << agent.error().message;
    return agent ? std::move(*agent) : nullptr;
  }

  std::string Run(uint64_t job, std::string script) {
    RunCommand run;
    run.job = job;
    run.tenant = "acme";
    run.argv = {"sh", "-c", std::move(script)};
    return FormatSiteCommand(run);
  }

  // Steps until the server holds `count` reports (at most 5 s).
  void StepUntilReports(size_t count) {
    for (int i = 0; i < 500 && server_.reports.size() < count; ++i) {
      agent_->Step();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::filesystem::path root_;
  SystemClock clock_;
  SigningKey key_;
  std::optional<DispatchSigner> signer_;
  FakeServer server_;
  std::unique_ptr<LocalExecutor> executor_;
  std::unique_ptr<SiteAgent> agent_;
  std::string log_;
};

TEST_F(SiteAgentTest, RunsASignedCommandAndReportsStartAndExit) {
  server_.Serve({signer_->Sign("sh-edge", 1, Run(7, "echo hi; exit 3"))});
  StepUntilReports(2);
  ASSERT_EQ(server_.reports.size(), 2u) << log_;
  EXPECT_EQ(server_.reports[0].event, TaskEvent::kStarted);
  EXPECT_EQ(server_.reports[1].event, TaskEvent::kExited);
  EXPECT_EQ(server_.reports[1].job, 7u);
  EXPECT_EQ(server_.reports[1].exit_code, 3);
  EXPECT_EQ(server_.reports[1].stdout_tail, "hi\n");
  EXPECT_EQ(agent_->state().last_seq, 1u);
  EXPECT_TRUE(agent_->state().unsent.empty());
  ASSERT_FALSE(server_.heartbeats.empty());
  EXPECT_EQ(server_.heartbeats[0].agent, "test/1");
}

// Passes everything to the local executor; records which tasks each StartMany got.
class RecordingExecutor final : public Executor {
 public:
  explicit RecordingExecutor(Executor& inner) : inner_(inner) {}
  Result<TaskStarted> Start(const TaskSpec& spec) override { return inner_.Start(spec); }
  std::vector<Result<TaskStarted>> StartMany(const std::vector<TaskSpec>& specs) override {
    batches.emplace_back();
    for (const TaskSpec& s : specs) batches.back().push_back(s.task_id + (s.gang.empty() ? "" : " of " + s.gang));
    return inner_.StartMany(specs);
  }
  Result<void> Kill(const std::string& id, Timestamp grace_ms) override {
    kills.push_back({id, grace_ms});
    return inner_.Kill(id, grace_ms);
  }
  std::vector<TaskExit> Poll() override { return inner_.Poll(); }
  std::vector<std::string> Running() const override { return inner_.Running(); }
  bool Adopt(const std::string& id, const std::string& handle, const std::string& workdir) override {
    return inner_.Adopt(id, handle, workdir);
  }
  std::vector<std::vector<std::string>> batches;
  std::vector<std::pair<std::string, Timestamp>> kills;

 private:
  Executor& inner_;
};

// A kill with spot notice gives the task that long between SIGTERM and SIGKILL; a plain kill
// the agent's own grace.
TEST_F(SiteAgentTest, ASpotKillGivesItsNotice) {
  RecordingExecutor recording(*executor_);
  agent_ = MakeAgent(&recording, 20);
  server_.log.push_back(signer_->Sign("sh-edge", 1, Run(1, "sleep 30")));
  server_.log.push_back(signer_->Sign("sh-edge", 2, Run(2, "sleep 30")));
  agent_->Step();
  server_.log.push_back(signer_->Sign("sh-edge", 3, FormatSiteCommand(KillCommand{1, 120})));
  server_.log.push_back(signer_->Sign("sh-edge", 4, FormatSiteCommand(KillCommand{2})));
  agent_->Step();
  ASSERT_EQ(recording.kills.size(), 2u) << log_;
  EXPECT_EQ(recording.kills[0], (std::pair<std::string, Timestamp>{"j1-t0-a1", 120'000}));
  EXPECT_EQ(recording.kills[1].first, "j2-t0-a1");
  EXPECT_LT(recording.kills[1].second, 120'000);
  (void)executor_->Kill("j1-t0-a1", 0);
  (void)executor_->Kill("j2-t0-a1", 0);
}

// A gang's tasks reach the executor together (it may run them as one Slurm job), even when
// the batch limit would cut the gang.
TEST_F(SiteAgentTest, AGangReachesTheExecutorWholeThoughTheBatchLimitWouldCutIt) {
  RecordingExecutor recording(*executor_);
  agent_ = MakeAgent(&recording, 2);
  server_.log.push_back(signer_->Sign("sh-edge", 1, Run(1, "true")));
  for (int t = 0; t < 3; ++t) {
    RunCommand run;
    run.job = 2;
    run.task = t;
    run.tasks = 3;
    run.tenant = "acme";
    run.argv = {"true"};
    server_.log.push_back(signer_->Sign("sh-edge", 2 + t, FormatSiteCommand(run)));
  }
  agent_->Step();
  ASSERT_EQ(recording.batches.size(), 1u) << log_;
  EXPECT_EQ(recording.batches[0], (std::vector<std::string>{"j1-t0-a1", "j2-t0-a1 of j2-a1", "j2-t1-a1 of j2-a1",
                                                            "j2-t2-a1 of j2-a1"}));
  // The batch of 2 ended inside the gang: the rest of it was asked for at once.
  ASSERT_GE(server_.fetches.size(), 2u);
  EXPECT_EQ(server_.fetches[1], (std::pair<uint64_t, size_t>{2, 2}));
  EXPECT_EQ(agent_->state().last_seq, 4u);
}

TEST_F(SiteAgentTest, RefusesTamperedUnsignedReplayedReorderedAndMisroutedCommands) {
  const std::string marker = (root_ / "ran").string();
  const std::string payload = Run(1, "echo once >> " + marker);
  SignedCommand tampered = signer_->Sign("sh-edge", 1, payload);
  tampered.payload = Run(1, "echo tampered >> " + marker);
  SignedCommand unsigned_command = signer_->Sign("sh-edge", 1, payload);
  unsigned_command.signature.clear();
  const SignedCommand misrouted = signer_->Sign("zw-1", 1, payload);
  const SignedCommand ahead = signer_->Sign("sh-edge", 3, payload);  // 2 is missing: out of order
  for (const SignedCommand& bad : {tampered, unsigned_command, misrouted, ahead}) {
    server_.Serve({bad});
    agent_->Step();
  }
  EXPECT_EQ(agent_->counters().rejected, 4u) << log_;
  EXPECT_EQ(agent_->counters().started, 0u);
  EXPECT_EQ(agent_->state().last_seq, 0u);  // nothing was accepted
  EXPECT_NE(log_.find("rejected dispatch seq 1"), std::string::npos) << log_;
  EXPECT_NE(log_.find("rejected dispatch seq 3"), std::string::npos) << log_;

  // The genuine command runs once; replaying it is refused.
  server_.Serve({signer_->Sign("sh-edge", 1, payload)});
  StepUntilReports(2);
  server_.Serve({signer_->Sign("sh-edge", 1, payload)});
  agent_->Step();
  EXPECT_EQ(agent_->counters().started, 1u);
  EXPECT_EQ(agent_->counters().rejected, 5u);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::ifstream in(marker);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all, "once\n");
}

TEST_F(SiteAgentTest, AfterARefusedCommandNothingLaterInTheBatchIsApplied) {
  SignedCommand bad = signer_->Sign("sh-edge", 1, Run(1, "true"));
  bad.signature[0] = bad.signature[0] == 'a' ? 'b' : 'a';
  server_.Serve({bad, signer_->Sign("sh-edge", 2, Run(2, "true"))});
  agent_->Step();
  EXPECT_EQ(agent_->counters().rejected, 1u);
  EXPECT_EQ(agent_->counters().accepted, 0u);
  EXPECT_EQ(agent_->counters().started, 0u);
}

TEST_F(SiteAgentTest, AcceptedSequenceSurvivesARestartOfTheAgent) {
  server_.Serve({signer_->Sign("sh-edge", 1, Run(1, "true"))});
  StepUntilReports(2);
  agent_ = MakeAgent();  // a new process would load the same state file
  EXPECT_EQ(agent_->state().last_seq, 1u);
  server_.Serve({signer_->Sign("sh-edge", 1, Run(1, "true"))});  // the same command again
  agent_->Step();
  EXPECT_EQ(agent_->counters().rejected, 1u);
  EXPECT_EQ(agent_->counters().started, 0u);
}

TEST_F(SiteAgentTest, AnAgentWithoutHistoryStartsAtTheEndOfTheLogNotAtItsBeginning) {
  server_.log_end = 5;  // the site's log already holds five commands for a previous agent
  server_.Serve({signer_->Sign("sh-edge", 1, Run(1, "true"))});
  agent_->Step();
  ASSERT_FALSE(server_.heartbeats.empty());
  EXPECT_TRUE(server_.heartbeats[0].fresh);
  EXPECT_EQ(agent_->state().last_seq, 5u);
  EXPECT_TRUE(agent_->state().synced);
  EXPECT_EQ(agent_->counters().rejected, 1u);  // an old command is not run again
  EXPECT_EQ(agent_->counters().started, 0u);
  server_.Serve({signer_->Sign("sh-edge", 6, Run(2, "true"))});
  StepUntilReports(2);
  EXPECT_EQ(agent_->counters().started, 1u);
  agent_ = MakeAgent();  // restarted with its state: no longer fresh
  agent_->Step();
  EXPECT_FALSE(server_.heartbeats.back().fresh);
  EXPECT_EQ(agent_->state().last_seq, 6u);
}

}  // namespace
}  // namespace suanwang
