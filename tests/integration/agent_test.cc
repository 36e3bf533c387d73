// Real `suanwang up`, `server` and `agent` processes on 127.0.0.1 (port 0, temp homes): jobs go
// in through the API, agents run them as local processes, and states, output, cancels, lost
// sites and agent restarts come back through the API.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>

#include "metering/ledger.h"
#include "testlib/child_process.h"
#include "testlib/test_cluster.h"

namespace {

using json = nlohmann::json;
using suanwang::testing::ChildProcess;
using suanwang::testing::FirstLine;
using suanwang::testing::ReadFile;
using suanwang::testing::WaitUntil;
using namespace std::chrono_literals;

std::string Home(const std::string& name) { return suanwang::testing::FreshTempDir(name); }

// A client of the server whose URL and admin token are in `home`.
class Api {
 public:
  explicit Api(const std::string& home) : home_(home) {}
  bool Ready() {
    url_ = FirstLine(home_ + "/url");
    token_ = FirstLine(home_ + "/admin.token");
    return !url_.empty() && !token_.empty();
  }
  httplib::Client Client() const {
    httplib::Client c(url_);
    c.set_tcp_nodelay(true);
    c.set_ca_cert_path(home_ + "/ca.pem");  // `up` serves HTTPS with its home's CA
    c.enable_server_certificate_verification(true);
    c.set_bearer_token_auth(token_);
    return c;
  }
  uint64_t Submit(const json& job) {
    auto r = Client().Post("/v1/jobs", job.dump(), "application/json");
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r && r->status == 201 ? json::parse(r->body)["id"].get<uint64_t>() : 0;
  }
  json Job(uint64_t id) {
    auto r = Client().Get("/v1/jobs/" + std::to_string(id));
    return r && r->status == 200 ? json::parse(r->body) : json{};
  }
  json WaitForState(uint64_t id, const std::string& state, std::chrono::milliseconds timeout = 20s) {
    json j;
    WaitUntil([&] { return (j = Job(id)).value("state", "") == state; }, timeout);
    return j;
  }
  // Waits (10 s at most) until the server of `home` serves / the site is up.
  bool WaitReady() { return WaitUntil([&] { return Ready(); }, 10s); }
  bool WaitSiteUp(const std::string& site) { return WaitUntil([&] { return SiteUp(site); }, 10s); }
  bool SiteUp(const std::string& site) {
    auto r = Client().Get("/v1/sites/" + site);
    return r && r->status == 200 && json::parse(r->body).value("up", false);
  }
  std::string Logs(uint64_t id, int task, const std::string& stream) {
    auto r = Client().Get("/v1/jobs/" + std::to_string(id) + "/logs?task=" + std::to_string(task) + "&stream=" + stream);
    return r && r->status == 200 ? r->body : "(status " + std::to_string(r ? r->status : 0) + ")";
  }

 private:
  std::string home_, url_, token_;
};

// `suanwang server --sites sh-edge` in `home` (listening on `listen`), output in home/server.log.
std::unique_ptr<ChildProcess> Server(const std::string& home, std::vector<std::string> extra = {},
                                     const std::string& listen = "127.0.0.1:0") {
  std::vector<std::string> args = {"server", "--home", home, "--listen", listen, "--sites", "sh-edge"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<ChildProcess>(SW_BINARY, args, home + "/server.log");
}

// `suanwang agent --site sh-edge` for the server in `home`, output in home/agent.log.
std::unique_ptr<ChildProcess> Agent(const std::string& home, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"agent", "--site", "sh-edge", "--home", home};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<ChildProcess>(SW_BINARY, args, home + "/agent.log");
}

// A file that task 0 of `job` (attempt `attempt`) wrote in its own working directory, read
// from the agent's state directory `state_dir` (this test runs as the agent's user or root).
// Confined tasks can write nowhere else that a test could read: these files are how the tests
// below count starts across attempts and restarts.
std::string TaskFile(const std::string& state_dir, uint64_t job, int attempt, const std::string& name) {
  return ReadFile(state_dir + "/tasks/j" + std::to_string(job) + "-t0-a" + std::to_string(attempt) + "/work/" + name);
}

json ShellJob(const std::string& name, const std::string& script, int tasks = 1) {
  return json{{"name", name},
              {"tasks", tasks},
              {"resources", {{"cpu", 0.1}, {"memory_mib", 64}}},
              {"command", {"sh", "-c", script}},
              {"tier", "t1"},
              {"origin", "sh"}};
}

TEST(AgentTest, UpRunsJobsToTheirEndAndStopsCleanly) {
  const std::string home = Home("up");
  ChildProcess up(SW_BINARY, {"up", "--home", home, "--listen", "127.0.0.1:0"}, home + "/up.log");
  Api api(home);
  ASSERT_TRUE(api.WaitReady()) << ReadFile(home + "/up.log");
  ASSERT_TRUE(WaitUntil([&] { return api.SiteUp("sh-edge") && api.SiteUp("zjk-1") && api.SiteUp("zw-1"); }, 10s))
      << ReadFile(home + "/up.log");
  EXPECT_FALSE(api.SiteUp("yrd-1"));  // no agent: runs nothing

  const uint64_t ok = api.Submit(ShellJob("ok", "echo out; echo err >&2"));
  const uint64_t fails = api.Submit(ShellJob("fails", "exit 3"));
  json missing = ShellJob("missing", "");
  missing["command"] = {"/nonexistent/program"};
  const uint64_t no_program = api.Submit(missing);
  const uint64_t gang = api.Submit(ShellJob("gang", "if [ $SUANWANG_TASK_INDEX = 1 ]; then exit 4; fi; sleep 30", 3));
  const uint64_t long_job = api.Submit(ShellJob("long", "sleep 30"));
  json huge = ShellJob("huge", "true");
  huge["resources"]["gpus"] = 16;
  const uint64_t never = api.Submit(huge);

  json j = api.WaitForState(ok, "succeeded");
  EXPECT_EQ(j["site"], "sh-edge");
  EXPECT_EQ(j["reason"], "exit code 0");
  ASSERT_EQ(j["tasks"].size(), 1u);
  EXPECT_EQ(j["tasks"][0]["state"], "succeeded");
  EXPECT_GT(j["tasks"][0]["wall_seconds"].get<double>(), 0);
  EXPECT_EQ(api.Logs(ok, 0, "stdout"), "out\n");
  EXPECT_EQ(api.Logs(ok, 0, "stderr"), "err\n");

  EXPECT_EQ(api.WaitForState(fails, "failed")["reason"], "task 0: exit code 3");
  EXPECT_NE(api.WaitForState(no_program, "failed")["reason"].get<std::string>().find("could not start"),
            std::string::npos);
  // One failed member fails the gang; the others are stopped.
  j = api.WaitForState(gang, "failed");
  EXPECT_EQ(j["reason"], "task 1: exit code 4");
  ASSERT_TRUE(WaitUntil([&] {
    j = api.Job(gang);
    return j["tasks"].size() == 3 && j["tasks"][0]["state"] == "killed" && j["tasks"][2]["state"] == "killed";
  }, 15s)) << j.dump();
  EXPECT_NE(api.WaitForState(never, "rejected")["reason"].get<std::string>().find("can never fit"), std::string::npos);

  // Cancel a running job: the agent stops its task.
  api.WaitForState(long_job, "running");
  auto c = api.Client();
  ASSERT_EQ(c.Post("/v1/jobs/" + std::to_string(long_job) + "/cancel", "", "text/plain")->status, 200);
  ASSERT_TRUE(WaitUntil([&] { return api.Job(long_job)["tasks"][0]["state"] == "killed"; }, 15s))
      << api.Job(long_job).dump();
  EXPECT_EQ(api.Job(long_job)["state"], "cancelled");

  // Ctrl-C: agents and server stop, the process exits 0.
  up.Signal(SIGINT);
  const int status = up.Wait(20s);
  ASSERT_NE(status, -1) << "suanwang up did not stop; " << ReadFile(home + "/up.log");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadFile(home + "/up.log");
  EXPECT_FALSE(std::filesystem::exists(home + "/url"));
}

// The agent cannot reach the server (here: the server is stopped): before its lease runs out it
// kills its tasks; the server, once back, finds the lease gone, requeues the job with a new
// attempt, and the old attempt's reports count for nothing.
TEST(AgentTest, ALostLeaseFencesTheAgentAndRequeuesItsJobs) {
  const std::string home = Home("lease");
  auto server = Server(home, {"--lease-ms", "1500"});
  Api api(home);
  ASSERT_TRUE(api.WaitReady()) << ReadFile(home + "/server.log");
  auto agent = Agent(home);
  ASSERT_TRUE(api.WaitSiteUp("sh-edge")) << ReadFile(home + "/agent.log");

  const uint64_t id =
      api.Submit(ShellJob("fenced", "echo \"start $SUANWANG_ATTEMPT\" >> attempts; sleep 3; echo \"end $SUANWANG_ATTEMPT\" >> attempts"));
  ASSERT_EQ(api.WaitForState(id, "running")["tasks"][0]["attempt"], 1);

  server->Signal(SIGSTOP);
  // The agent kills its task within the lease (1.5 s) and well before the task would end (3 s).
  const bool fenced = WaitUntil([&] { return ReadFile(home + "/agent.log").find("killed task j") != std::string::npos; }, 5s);
  std::this_thread::sleep_for(1s);  // past the lease on the server's side too
  server->Signal(SIGCONT);
  ASSERT_TRUE(fenced) << ReadFile(home + "/agent.log");

  json j = api.WaitForState(id, "succeeded", 30s);
  ASSERT_EQ(j["state"], "succeeded") << j.dump() << ReadFile(home + "/agent.log");
  EXPECT_EQ(j["tasks"][0]["attempt"], 2);
  // Attempt 1 never finished (it was killed); attempt 2 ran to its end.
  EXPECT_EQ(TaskFile(home + "/agents/sh-edge", id, 1, "attempts"), "start 1\n");
  EXPECT_EQ(TaskFile(home + "/agents/sh-edge", id, 2, "attempts"), "start 2\nend 2\n");
  auto metrics = api.Client().Get("/metrics");
  EXPECT_NE(metrics->body.find("suanwang_sites_lost_total 1"), std::string::npos) << metrics->body;
}

// kill -9 of an agent leaves its tasks running; a new agent for the site finds them, does not
// start them again, and reports how they ended (from their keepers' records).
TEST(AgentTest, ARestartedAgentAdoptsItsRunningTasks) {
  const std::string home = Home("restart");
  auto server = Server(home);
  Api api(home);
  ASSERT_TRUE(api.WaitReady()) << ReadFile(home + "/server.log");
  auto first = Agent(home);
  ASSERT_TRUE(api.WaitSiteUp("sh-edge")) << ReadFile(home + "/agent.log");
  const uint64_t ok = api.Submit(ShellJob("survivor", "echo run >> runs; sleep 2; echo finished"));
  const uint64_t bad = api.Submit(ShellJob("survivor-fails", "sleep 2; exit 5"));
  api.WaitForState(ok, "running");
  api.WaitForState(bad, "running");
  first->Signal(SIGKILL);
  ASSERT_NE(first->Wait(5s), -1);
  first.reset();
  auto second = Agent(home);

  json j = api.WaitForState(ok, "succeeded", 20s);
  ASSERT_EQ(j["state"], "succeeded") << j.dump() << ReadFile(home + "/agent.log");
  EXPECT_EQ(j["tasks"][0]["attempt"], 1);
  EXPECT_EQ(api.Logs(ok, 0, "stdout"), "finished\n");
  EXPECT_EQ(TaskFile(home + "/agents/sh-edge", ok, 1, "runs"), "run\n");  // started once
  EXPECT_EQ(api.WaitForState(bad, "failed", 20s)["reason"], "task 0: exit code 5");
  EXPECT_NE(ReadFile(home + "/agent.log").find("again after a restart; watching it"), std::string::npos);
}

// kill -9 of the server while a job runs: after the restart the job is still the site's
// (restored, not dispatched again), and the agent's reports finish it.
TEST(AgentTest, AServerRestartKeepsRunningJobsAndTheAgentsFinishThem) {
  const std::string home = Home("server-restart");
  auto server = Server(home);
  Api api(home);
  ASSERT_TRUE(api.WaitReady()) << ReadFile(home + "/server.log");
  auto agent = Agent(home);
  ASSERT_TRUE(api.WaitSiteUp("sh-edge")) << ReadFile(home + "/agent.log");
  const uint64_t id = api.Submit(ShellJob("through-a-restart", "echo run >> runs; sleep 2"));
  api.WaitForState(id, "running");
  server->Signal(SIGKILL);
  ASSERT_NE(server->Wait(5s), -1);
  // The same address again (agents are configured with the server's address).
  const std::string url = FirstLine(home + "/url");
  std::filesystem::remove(home + "/url");
  server = Server(home, {}, url.substr(url.find("//") + 2));
  ASSERT_TRUE(api.WaitReady()) << ReadFile(home + "/server.log");
  json j = api.WaitForState(id, "succeeded", 20s);
  ASSERT_EQ(j["state"], "succeeded") << j.dump() << ReadFile(home + "/agent.log");
  EXPECT_EQ(j["tasks"][0]["attempt"], 1);
  EXPECT_EQ(TaskFile(home + "/agents/sh-edge", id, 1, "runs"), "run\n");
  // The server still places new work there.
  EXPECT_EQ(api.WaitForState(api.Submit(ShellJob("after", "true")), "succeeded")["site"], "sh-edge");
}

// An agent whose state is lost (kill -9, its tasks gone, its directory wiped) comes back fresh:
// the server requeues what the site was running, the agent does not replay old commands, and
// the job runs again as attempt 2.
TEST(AgentTest, AFreshAgentGetsTheSitesLostWorkRequeuedNotReplayed) {
  const std::string home = Home("fresh");
  auto server = Server(home);
  Api api(home);
  ASSERT_TRUE(api.WaitReady()) << ReadFile(home + "/server.log");
  auto first = Agent(home, {"--state-dir", home + "/a1"});
  ASSERT_TRUE(api.WaitSiteUp("sh-edge")) << ReadFile(home + "/agent.log");
  // The script names this test's home (`: HOME` does nothing) so that pkill below finds its
  // task alone: other tests run the same script at the same time.
  const uint64_t id = api.Submit(ShellJob(
      "lost", "echo \"start $SUANWANG_ATTEMPT\" >> attempts; sleep 2; echo \"end $SUANWANG_ATTEMPT\" >> attempts; : " + home));
  api.WaitForState(id, "running");
  ASSERT_TRUE(WaitUntil([&] { return TaskFile(home + "/a1", id, 1, "attempts") == "start 1\n"; }, 5s));
  first->Signal(SIGKILL);
  ASSERT_NE(first->Wait(5s), -1);
  first.reset();
  // Its task dies too (the machine was lost), and its state with it.
  std::system(("pkill -KILL -f '" + home + "$' ; rm -rf " + home + "/a1").c_str());
  auto second = Agent(home, {"--state-dir", home + "/a2"});
  // The new agent made a new receipt key: the site's pinned one refuses it until an operator
  // rotates the pin (audited), and then the new agent resumes the site.
  ASSERT_TRUE(WaitUntil([&] { return !FirstLine(home + "/a2/receipt.key.pub").empty(); }, 5s));
  ASSERT_TRUE(WaitUntil([&] { return ReadFile(home + "/agent.log").find("is pinned to") != std::string::npos; }, 10s))
      << ReadFile(home + "/agent.log");
  auto rotated = api.Client().Post("/v1/sites/sh-edge/receipt-key",
                                   json{{"receipt_key", FirstLine(home + "/a2/receipt.key.pub")}}.dump(), "application/json");
  ASSERT_TRUE(rotated && rotated->status == 200) << (rotated ? rotated->body : "no answer");
  json j = api.WaitForState(id, "succeeded", 20s);
  ASSERT_EQ(j["state"], "succeeded") << j.dump() << ReadFile(home + "/agent.log");
  EXPECT_EQ(j["tasks"][0]["attempt"], 2);
  // Attempt 1 is not replayed by the new agent; attempt 2 ran to its end.
  EXPECT_FALSE(std::filesystem::exists(home + "/a2/tasks/j" + std::to_string(id) + "-t0-a1"));
  EXPECT_EQ(TaskFile(home + "/a2", id, 2, "attempts"), "start 2\nend 2\n");
  EXPECT_NE(ReadFile(home + "/agent.log").find("new to site sh-edge"), std::string::npos);
}


// An ended task is metered in SCU-hours and billed through the ledger at the list price
// (data/catalogs/scu.yaml); the invoice equals the hand calculation; another tenant can read
// neither the usage nor the invoice; `suanwang ledger verify` passes, then catches an edited
// and a deleted entry.
TEST(AgentTest, AnEndedTaskIsMeteredBilledInvoicedAndTheLedgerVerifies) {
  const std::string home = Home("billing");
  auto server = Server(home);
  Api api(home);
  ASSERT_TRUE(api.WaitReady()) << ReadFile(home + "/server.log");
  auto agent = Agent(home);
  ASSERT_TRUE(api.WaitSiteUp("sh-edge")) << ReadFile(home + "/agent.log");
  auto paid = api.Client().Post("/v1/tenants/system/topup", json{{"cny", 5}, {"memo", "test"}}.dump(), "application/json");
  ASSERT_TRUE(paid && paid->status == 201) << (paid ? paid->body : "");
  json job = ShellJob("metered", "sleep 0.3", 2);
  job["resources"]["cpu"] = 2;
  const uint64_t id = api.Submit(job);
  json j = api.WaitForState(id, "succeeded");
  ASSERT_EQ(j["state"], "succeeded") << j.dump();

  auto r = api.Client().Get("/v1/usage?job=" + std::to_string(id));
  ASSERT_TRUE(r && r->status == 200);
  const json usage = json::parse(r->body);
  ASSERT_EQ(usage["usage"].size(), 2u) << usage.dump();
  // By hand: 2 Xeon 8380 cores of 0.0736 SCU each for the task's wall time, at 0.025 CNY/SCU-h.
  int64_t charged = 0;
  for (const json& u : usage["usage"]) {
    const double wall_s = static_cast<double>(u["end_ms"].get<int64_t>() - u["start_ms"].get<int64_t>()) / 1000;
    EXPECT_GT(wall_s, 0.25);
    EXPECT_DOUBLE_EQ(u["core_seconds"].get<double>(), 2 * wall_s);
    const double scu_h = 2 * 0.0736 * wall_s / 3600;
    EXPECT_NEAR(u["scu_hours"].get<double>(), scu_h, 1e-12);
    const int64_t charge = std::llround(scu_h * 25000);  // micro-CNY
    EXPECT_EQ(u["charge_cny"], suanwang::FormatCny(charge));
    EXPECT_TRUE(u["energy_accounted"].get<bool>());
    EXPECT_GT(u["carbon_kg"].get<double>(), 0);
    charged += charge;
  }
  r = api.Client().Get("/v1/invoices/system");
  ASSERT_TRUE(r && r->status == 200);
  const json invoice = json::parse(r->body);
  EXPECT_EQ(invoice["charges_cny"], suanwang::FormatCny(charged)) << invoice.dump();
  EXPECT_EQ(invoice["payments_cny"], "5.000000");
  EXPECT_EQ(invoice["closing_cny"], suanwang::FormatCny(5 * suanwang::kMicrosPerCny - charged));
  EXPECT_EQ(invoice["lines"].size(), 3u);

  // A reservation: the tenant buys sh-edge's CPU pool for the next hour (paid at once); a task
  // it then runs there is metered but not charged again.
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  auto offered = api.Client().Post("/v1/offers",
                                   json{{"site", "sh-edge"}, {"pool", "cpu"}, {"kind", "reserved"},
                                        {"price_cny_per_scu_h", 0.01}, {"until_ms", now_ms + 3'600'000}}.dump(),
                                   "application/json");
  ASSERT_EQ(offered->status, 201) << offered->body;
  const std::string offer_id = std::to_string(json::parse(offered->body)["id"].get<uint64_t>());
  auto reserved = api.Client().Post("/v1/offers/" + offer_id + "/reserve", "", "text/plain");
  ASSERT_EQ(reserved->status, 200) << reserved->body;
  json covered_job = ShellJob("covered", "sleep 0.3");
  covered_job["resources"]["cpu"] = 2;
  const uint64_t covered = api.Submit(covered_job);
  ASSERT_EQ(api.WaitForState(covered, "succeeded")["state"], "succeeded");
  json covered_usage;
  ASSERT_TRUE(WaitUntil([&] {
    covered_usage = json::parse(api.Client().Get("/v1/usage?job=" + std::to_string(covered))->body)["usage"];
    return !covered_usage.empty();
  }, 5s));
  EXPECT_GT(covered_usage[0]["scu_hours"].get<double>(), 0);
  EXPECT_EQ(covered_usage[0]["price_cny_per_scu_h"], "0.000000") << covered_usage.dump();
  EXPECT_EQ(covered_usage[0]["charge_cny"], "0.000000");

  // Another tenant sees none of it.
  ASSERT_EQ(api.Client().Post("/v1/tenants", json{{"id", "other"}}.dump(), "application/json")->status, 201);
  auto made = api.Client().Post("/v1/tokens", json{{"tenant", "other"}, {"role", "user"}}.dump(), "application/json");
  httplib::Client other = api.Client();
  other.set_bearer_token_auth(json::parse(made->body)["token"].get<std::string>());
  EXPECT_EQ(other.Get("/v1/usage?tenant=system")->status, 403);
  EXPECT_EQ(other.Get("/v1/invoices/system")->status, 403);
  const json own = json::parse(other.Get("/v1/usage")->body);
  EXPECT_TRUE(own["usage"].empty()) << own.dump();

  // A prepaid tenant whose charges used up its balance cannot start new work.
  ASSERT_EQ(api.Client().Post("/v1/tenants/other/topup", json{{"cny", 0.000001}}.dump(), "application/json")->status, 201);
  json spend = ShellJob("spend", "sleep 1.5");
  spend["resources"]["cpu"] = 2;  // 2 x 0.0736 SCU x 1.5 s at 0.025 CNY/SCU-h: about 2 micro-CNY
  auto spent = other.Post("/v1/jobs", spend.dump(), "application/json");
  ASSERT_EQ(spent->status, 201) << spent->body;
  EXPECT_EQ(api.WaitForState(json::parse(spent->body)["id"], "succeeded")["state"], "succeeded");
  json broke;
  ASSERT_TRUE(WaitUntil([&] {
    broke = json::parse(other.Get("/v1/invoices/other")->body);
    const std::string closing = broke.value("closing_cny", "");
    return closing.starts_with("-") || closing == "0.000000";
  }, 5s)) << broke.dump();
  auto refused = other.Post("/v1/jobs", ShellJob("more", "true").dump(), "application/json");
  EXPECT_EQ(refused->status, 402) << refused->body;
  EXPECT_NE(refused->body.find("tenant 'other' is out of balance (" + broke["closing_cny"].get<std::string>() + " CNY)"),
            std::string::npos)
      << refused->body;

  // A report whose usage receipt was not signed by the site's agent is refused whole.
  json forged = {{"agent", "forger"},
                 {"reports", {{{"job", id}, {"task", 0}, {"attempt", 1}, {"event", "exited"}, {"at_ms", 1},
                               {"cpu_ms", 1}, {"wall_ms", 1}, {"receipt", std::string(128, '0')}}}}};
  // Even with the site's own credential (an admin's may not speak the site protocol at all).
  httplib::Client site_client(FirstLine(home + "/url"));
  site_client.set_ca_cert_path(home + "/ca.pem");
  site_client.set_bearer_token_auth(FirstLine(home + "/agents/sh-edge/agent.token"));
  auto refused_report = site_client.Post("/v1/sites/sh-edge/reports", forged.dump(), "application/json");
  EXPECT_EQ(refused_report->status, 403) << refused_report->body;
  EXPECT_NE(refused_report->body.find("does not verify against the key pinned for site 'sh-edge'"), std::string::npos)
      << refused_report->body;
  forged["reports"][0].erase("receipt");
  EXPECT_EQ(site_client.Post("/v1/sites/sh-edge/reports", forged.dump(), "application/json")->status, 403);
  EXPECT_EQ(api.Client().Post("/v1/sites/sh-edge/reports", forged.dump(), "application/json")->status, 403);

  agent.reset();
  server.reset();
  const std::string db = home + "/suanwang.db";
  auto verify = [&](const std::string& extra = "") {
    return suanwang::testing::RunShell(std::string(SW_BINARY) + " ledger verify --home " + home + extra + " 2>&1");
  };
  auto good = verify();
  ASSERT_EQ(good.exit_code, 0) << good.output;
  EXPECT_NE(good.output.find("19 entries in 7 transactions, balanced"), std::string::npos) << good.output;
  const size_t head_at = good.output.find("head ") + 5;
  const std::string head = good.output.substr(head_at, good.output.find('\n', head_at) - head_at);
  auto sql = [&](const std::string& statement) {
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(handle, statement.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(handle);
    sqlite3_close(handle);
  };
  // Edited: a usage record made shorter than its agent's receipt says.
  sql("UPDATE usage SET receipt = replace(receipt, 'cpu_ms=', 'cpu_ms=1') WHERE task = 0 AND job_id = " + std::to_string(id));
  auto forged_usage = verify();
  EXPECT_EQ(forged_usage.exit_code, 1);
  EXPECT_NE(forged_usage.output.find("usage receipt does not verify"), std::string::npos) << forged_usage.output;
  sql("UPDATE usage SET receipt = replace(receipt, 'cpu_ms=1', 'cpu_ms=') WHERE task = 0 AND job_id = " + std::to_string(id));
  ASSERT_EQ(verify().exit_code, 0);
  // Edited: a charge made smaller.
  sql("UPDATE ledger SET debit = debit - 1 WHERE seq = 3");
  auto edited = verify();
  EXPECT_EQ(edited.exit_code, 1);
  EXPECT_NE(edited.output.find("ledger entry 3: hash does not match its contents (altered)"), std::string::npos) << edited.output;
  sql("UPDATE ledger SET debit = debit + 1 WHERE seq = 3");
  ASSERT_EQ(verify().exit_code, 0);
  // Deleted: the last transaction, whole (the chain alone still links).
  sql("DELETE FROM ledger WHERE seq > 5");
  auto deleted = verify();
  EXPECT_EQ(deleted.exit_code, 1);
  EXPECT_NE(deleted.output.find("which is missing"), std::string::npos) << deleted.output;
  auto against_head = verify(" --head " + head);
  EXPECT_EQ(against_head.exit_code, 1);
  EXPECT_NE(against_head.output.find("entries were deleted"), std::string::npos) << against_head.output;
}

}  // namespace

// A job's energy is accounted when its task ends: IT energy from the task's cores at its
// measured CPU utilisation, facility energy through the site's PUE at its load, carbon from
// the grid; the decision that placed it explains itself; the energy report sums it.
TEST(AgentTest, AnEndedTasksEnergyIsAccountedExplainedAndReported) {
  const std::string home = Home("energy");
  auto server = Server(home);
  Api api(home);
  ASSERT_TRUE(api.WaitReady()) << ReadFile(home + "/server.log");
  auto agent = Agent(home);
  ASSERT_TRUE(api.WaitSiteUp("sh-edge")) << ReadFile(home + "/agent.log");
  json job = ShellJob("busy", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done");
  job["tier"] = "t2";
  const uint64_t id = api.Submit(job);
  json j = api.WaitForState(id, "succeeded");
  ASSERT_EQ(j["state"], "succeeded") << j.dump();
  const json& t = j["tasks"][0];
  const double wall_s = t["wall_seconds"], cpu_s = t["cpu_seconds"];
  ASSERT_GT(wall_s, 0);
  // By hand (data/catalogs/power.yaml): 0.1 core at u = cpu / (wall x 0.1), between 2.025 W idle
  // and 6.75 W per core.
  const double u = std::clamp(cpu_s / (wall_s * 0.1), 0.0, 1.0);
  const double it_kwh = 0.1 * (2.025 + u * (6.75 - 2.025)) * wall_s / 3600 / 1000;
  EXPECT_NEAR(t["energy"]["it_kwh"].get<double>(), it_kwh, 1e-3 * it_kwh) << t.dump();
  // sh-edge: design PUE 1.4, air, 15 C; no GPU of it in use, so its load share is the floor 0.05:
  // PUE = 1 + 0.03 / 0.05 + (1.4 - 1 - 0.03 / 0.65).
  const double pue = 1 + 0.03 / 0.05 + (1.4 - 1 - 0.03 / 0.65);
  EXPECT_NEAR(t["energy"]["facility_kwh"].get<double>(), it_kwh * pue, 1e-3 * it_kwh * pue);
  // Grid: Shanghai 0.5617 kg/kWh shaped by a 3 % solar share: between its noon and night values.
  const double per_kwh = t["energy"]["carbon_kg"].get<double>() / t["energy"]["facility_kwh"].get<double>();
  EXPECT_GE(per_kwh, 0.5617 * (1 - 0.03 / 0.3165) / 0.97 * 0.999);
  EXPECT_LE(per_kwh, 0.5617 / 0.97 * 1.001);
  EXPECT_GT(t["energy"]["energy_cny"].get<double>(), 0);
  EXPECT_NEAR(j["energy"]["it_kwh"].get<double>(), t["energy"]["it_kwh"].get<double>(), 1e-12);

  // The decision: every term for the chosen site and the runner-up.
  ASSERT_TRUE(j["decision"].is_object()) << j.dump();
  EXPECT_EQ(j["decision"]["site"], "sh-edge");
  ASSERT_TRUE(j["decision"]["runner_up"].is_object()) << j["decision"].dump();
  EXPECT_NE(j["decision"]["runner_up"]["site"], "sh-edge");
  std::set<std::string> names;
  for (const auto& term : j["decision"]["terms"]) names.insert(term["name"].get<std::string>());
  EXPECT_TRUE(names.contains("carbon_kg") && names.contains("energy_cny") && names.contains("rtt_ms"));

  // The report sums it per site, hub and tenant.
  auto r = api.Client().Get("/v1/reports/energy");
  ASSERT_TRUE(r && r->status == 200);
  json report = json::parse(r->body);
  EXPECT_NEAR(report["total"]["it_kwh"].get<double>(), it_kwh, 1e-3 * it_kwh) << report.dump();
  ASSERT_EQ(report["sites"].size(), 1u);
  EXPECT_EQ(report["sites"][0]["site"], "sh-edge");
  EXPECT_NEAR(report["sites"][0]["pue"].get<double>(), pue, 1e-3 * pue);
  EXPECT_EQ(report["hubs"][0]["hub"], "yrd-hub");
  EXPECT_EQ(report["tenants"][0]["tenant"], "system");
  EXPECT_FALSE(report["heat_forecast"].empty());
}
