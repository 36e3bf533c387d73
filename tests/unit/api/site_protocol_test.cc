#include "api/site_protocol.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace suanwang {
namespace {

TEST(SiteProtocolTest, CommandsRoundTrip) {
  RunCommand run;
  run.job = 12;
  run.task = 3;
  run.tasks = 4;
  run.attempt = 2;
  run.tenant = "acme-1";
  run.node = "a100-0";
  run.gpus = {0, 1};
  run.cpu_milli = 1500;
  run.memory_mib = 2048;
  run.gpu_milli = 1000;
  run.argv = {"sh", "-c", "echo 'hi'"};
  auto parsed = ParseSiteCommand(FormatSiteCommand(run));
  ASSERT_TRUE(parsed) << parsed.error().message;
  const auto& back = std::get<RunCommand>(*parsed);
  EXPECT_EQ(back.job, 12u);
  EXPECT_EQ(back.task, 3);
  EXPECT_EQ(back.tasks, 4);
  EXPECT_EQ(back.attempt, 2u);
  EXPECT_EQ(back.tenant, "acme-1");
  EXPECT_EQ(back.node, "a100-0");
  EXPECT_EQ(back.gpus, (std::vector<int>{0, 1}));
  EXPECT_EQ(back.cpu_milli, 1500);
  EXPECT_EQ(back.argv, run.argv);
  auto kill = ParseSiteCommand(FormatSiteCommand(KillCommand{7}));
  ASSERT_TRUE(kill);
  EXPECT_EQ(std::get<KillCommand>(*kill).job, 7u);
  EXPECT_EQ(std::get<KillCommand>(*kill).notice_s, 0);
  auto noticed = ParseSiteCommand(FormatSiteCommand(KillCommand{8, 120}));
  ASSERT_TRUE(noticed) << noticed.error().message;
  EXPECT_EQ(std::get<KillCommand>(*noticed).notice_s, 120);
  EXPECT_FALSE(ParseSiteCommand(R"({"op":"kill","job":1,"notice_s":-1})"));
}

TEST(SiteProtocolTest, MalformedCommandsNameTheField) {
  EXPECT_EQ(ParseSiteCommand("{").error().message.substr(0, 18), "not valid JSON: [j");
  EXPECT_EQ(ParseSiteCommand(R"({"op":"reboot"})").error().message, "field 'op': 'reboot' is not run or kill");
  EXPECT_EQ(ParseSiteCommand(R"({"op":"run","job":1,"task":0,"tenant":"t","argv":[]})").error().message,
            "field 'argv': must name a program");
  EXPECT_EQ(ParseSiteCommand(R"({"op":"run","job":"1","task":0,"tenant":"t","argv":["x"]})").error().message,
            "field 'job': expected an integer");
  EXPECT_EQ(ParseSiteCommand(R"({"op":"kill","job":1,"extra":2})").error().message, "field 'extra': unknown field");
  EXPECT_EQ(ParseSiteCommand(R"({"op":"run","job":1,"task":2,"tasks":2,"tenant":"t","argv":["x"]})").error().message,
            "field 'task': 2 is not a task of a gang of 2");
  // Commands signed before gangs were sized read as gangs of one.
  auto old = ParseSiteCommand(R"({"op":"run","job":1,"task":0,"tenant":"t","argv":["x"]})");
  ASSERT_TRUE(old);
  EXPECT_EQ(std::get<RunCommand>(*old).tasks, 1);
}

// The agent runs a task as its tenant's user: a command must say whose task it is.
TEST(SiteProtocolTest, RunCommandsNeedAValidTenant) {
  EXPECT_EQ(ParseSiteCommand(R"({"op":"run","job":1,"task":0,"argv":["x"]})").error().message,
            "field 'tenant': missing");
  for (const char* bad : {R"("")", R"("Root")", R"("../etc")", R"("a b")", R"(7)"}) {
    auto parsed = ParseSiteCommand(std::string(R"({"op":"run","job":1,"task":0,"argv":["x"],"tenant":)") + bad + "}");
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().message.substr(0, 16), "field 'tenant': ") << bad;
  }
  EXPECT_FALSE(ParseSiteCommand(R"({"op":"run","job":1,"task":0,"argv":["x"],"tenant":")" + std::string(65, 'a') + "\"}"));
  EXPECT_TRUE(ParseSiteCommand(R"({"op":"run","job":1,"task":0,"argv":["x"],"tenant":")" + std::string(64, 'a') + "\"}"));
}

TEST(SiteProtocolTest, ReportsRoundTripAndRefuseWhatIsMalformed) {
  ReportBatch batch;
  batch.agent = "host/42";
  TaskReport started;
  started.job = 3;
  started.event = TaskEvent::kStarted;
  started.at_ms = 100;
  TaskReport exited;
  exited.job = 3;
  exited.task = 1;
  exited.attempt = 2;
  exited.event = TaskEvent::kExited;
  exited.exit_code = 4;
  exited.cpu_ms = 33;
  exited.peak_memory_kib = 2048;
  exited.wall_ms = 90;
  exited.stdout_tail = "out";
  exited.stderr_tail = std::string("bad \xff byte");
  batch.reports = {started, exited};
  auto back = ParseReports(FormatReports(batch));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->agent, "host/42");
  ASSERT_EQ(back->reports.size(), 2u);
  EXPECT_EQ(back->reports[0].event, TaskEvent::kStarted);
  EXPECT_EQ(back->reports[1].exit_code, 4);
  EXPECT_EQ(back->reports[1].attempt, 2u);
  EXPECT_EQ(back->reports[1].peak_memory_kib, 2048);
  EXPECT_EQ(back->reports[1].stdout_tail, "out");
  EXPECT_EQ(back->reports[1].stderr_tail, "bad \xef\xbf\xbd byte");  // replaced, not refused

  EXPECT_EQ(ParseReports(R"({"agent":"a","reports":[{"job":1,"task":0,"attempt":1,"event":"exploded"}]})")
                .error()
                .message,
            "field 'reports[0].event': 'exploded' is not started, exited or start_failed");
  EXPECT_EQ(ParseReports(R"({"agent":"a","reports":[{"job":0,"task":0,"attempt":1,"event":"started"}]})")
                .error()
                .message,
            "field 'reports[0].job': must be a job id >= 1");
  EXPECT_EQ(ParseReports(R"({"agent":"a","reports":{}})").error().message, "field 'reports': expected a list");
  EXPECT_EQ(ParseReports(R"({"agent":"a","reports":[],"x":1})").error().message, "field 'x': unknown field");
}

TEST(SiteProtocolTest, Heartbeats) {
  Heartbeat h{"host/1", R"({"cpu_cores":4,"memory_mib":8192})", {"j1-t0-a1"}, false, std::string(64, 'a')};
  auto back = ParseHeartbeat(FormatHeartbeat(h));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->receipt_key, std::string(64, 'a'));
  EXPECT_EQ(ParseHeartbeat(R"({"agent":"a","receipt_key":"abc"})").error().message,
            "field 'receipt_key': expected 64 lower-case hex characters");
  EXPECT_FALSE(ParseHeartbeat(R"({"agent":"a","receipt_key":"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"})"));
  EXPECT_EQ(back->agent, "host/1");
  EXPECT_EQ(back->resources_json, R"({"cpu_cores":4,"memory_mib":8192})");
  EXPECT_EQ(back->running, std::vector<std::string>{"j1-t0-a1"});
  EXPECT_EQ(ParseHeartbeat(R"({"agent":""})").error().message, "field 'agent': must be 1-200 characters");
  EXPECT_EQ(ParseHeartbeat(R"({"agent":"a","resources":[]})").error().message,
            "field 'resources': expected an object");
  EXPECT_EQ(TaskKey(12, 3, 2), "j12-t3-a2");
}

// Found by fuzz/site_protocol_fuzz (corpus regression-not-json-invalid-utf8): the JSON
// parser's message quoted the body's bytes, and the server's problem document (JSON) could not
// hold them: encoding it threw and the server died.
TEST(SiteProtocolTest, RefusalsOfBodiesThatAreNotJsonAreUtf8) {
  const std::string body = "\xff\xfe{\"agent\":1}";
  for (const std::string& message : {ParseHeartbeat(body).error().message, ParseReports(body).error().message,
                                     ParseSiteCommand(body).error().message}) {
    EXPECT_TRUE(message.starts_with("not valid JSON: ")) << message;
    EXPECT_EQ(message.find('\xff'), std::string::npos) << message;
    EXPECT_NO_THROW((void)nlohmann::json(message).dump()) << message;
  }
}

// Found by fuzz/site_protocol_fuzz (corpus regression-number-overflow): a number beyond a
// double threw out_of_range, which the parser did not catch, and the server died.
TEST(SiteProtocolTest, NumbersBeyondADoubleAreRefused) {
  for (const std::string& body : {std::string("1e400"), std::string(R"({"agent":"a","reports":[{"job":1e400}]})")}) {
    EXPECT_EQ(ParseReports(body).error().code, ErrorCode::kInvalidArgument) << body;
    EXPECT_EQ(ParseHeartbeat(body).error().code, ErrorCode::kInvalidArgument) << body;
    EXPECT_EQ(ParseSiteCommand(body).error().code, ErrorCode::kInvalidArgument) << body;
  }
}

}  // namespace
}  // namespace suanwang
