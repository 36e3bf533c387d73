// Finding 2 of issue 13, against a real `suanwang up` (server and confined agents on 127.0.0.1,
// port 0, a temp home; root, as in CI): a tenant's task runs as its tenant's own uid, can open
// no file of the server's home, of an agent's state or of another tenant's task, starts with
// fds 0-2 only, has a /tmp of its own, and is held to its memory and process limits.
#include <gtest/gtest.h>
#include <httplib.h>
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "testlib/child_process.h"
#include "testlib/test_cluster.h"

namespace {

using json = nlohmann::json;
using suanwang::testing::ChildProcess;
using suanwang::testing::FirstLine;
using suanwang::testing::ReadFile;
using suanwang::testing::WaitUntil;
using namespace std::chrono_literals;

// 'text' quoted for a POSIX shell.
std::string Quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class ConfinedAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "confined agents need root (CI runs the tests as root)";
    // Not under /tmp: the task's private /tmp would hide the home whatever its modes, and the
    // test would prove less. /var/lib is the tasks' to see (and traverse) as on any host.
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    base_ = std::string("/var/lib/suanwang-tests/") + test->name();
    std::filesystem::remove_all(base_);
    home_ = base_ + "/home";
    std::filesystem::create_directories(home_);
    up_ = std::make_unique<ChildProcess>(SW_BINARY, std::vector<std::string>{"up", "--home", home_, "--listen", "127.0.0.1:0"},
                                         home_ + "/up.log");
    ASSERT_TRUE(WaitUntil([&] { return !FirstLine(home_ + "/url").empty(); }, 20s)) << ReadFile(home_ + "/up.log");
    admin_ = FirstLine(home_ + "/admin.token");
    ASSERT_TRUE(WaitUntil([&] {
      auto r = Client(admin_).Get("/v1/sites/sh-edge");
      return r && r->status == 200 && json::parse(r->body).value("up", false);
    }, 20s)) << ReadFile(home_ + "/up.log");
  }
  void TearDown() override {
    if (!up_) return;
    up_->Signal(SIGINT);
    EXPECT_NE(up_->Wait(20s), -1) << ReadFile(home_ + "/up.log");
    if (!HasFailure()) std::filesystem::remove_all(base_);
  }

  httplib::Client Client(const std::string& token) const {
    httplib::Client c(FirstLine(home_ + "/url"));
    c.set_tcp_nodelay(true);
    c.set_ca_cert_path(home_ + "/ca.pem");
    c.enable_server_certificate_verification(true);
    c.set_read_timeout(10);
    c.set_bearer_token_auth(token);
    return c;
  }
  // A new tenant and a user token for it.
  std::string UserToken(const std::string& tenant) {
    (void)Client(admin_).Post("/v1/tenants", json{{"id", tenant}}.dump(), "application/json");
    auto r = Client(admin_).Post("/v1/tokens", json{{"tenant", tenant}, {"role", "user"}}.dump(), "application/json");
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r && r->status == 201 ? json::parse(r->body).value("token", "") : "";
  }
  uint64_t Submit(const std::string& token, const std::string& script, int64_t memory_mib = 64) {
    const json job{{"name", "probe"},
                   {"resources", {{"cpu", 0.1}, {"memory_mib", memory_mib}}},
                   {"command", {"sh", "-c", script}},
                   {"tier", "t1"},
                   {"origin", "sh"}};
    auto r = Client(token).Post("/v1/jobs", job.dump(), "application/json");
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r && r->status == 201 ? json::parse(r->body)["id"].get<uint64_t>() : 0;
  }
  json WaitEnded(const std::string& token, uint64_t id, std::chrono::milliseconds timeout = 60s) {
    json j;
    WaitUntil([&] {
      auto r = Client(token).Get("/v1/jobs/" + std::to_string(id));
      if (!r || r->status != 200) return false;
      j = json::parse(r->body);
      const std::string state = j.value("state", "");
      return state == "succeeded" || state == "failed" || state == "cancelled";
    }, timeout);
    return j;
  }
  // Task 0's stdout as the agent wrote it (the test is root: it reads the agent's state).
  std::string Stdout(uint64_t id) { return ReadFile(TaskDir(id) + "/stdout"); }
  // The directory of task 0 of job `id` at whichever site ran it.
  std::string TaskDir(uint64_t id) const {
    for (const auto& site : std::filesystem::directory_iterator(home_ + "/agents")) {
      const auto dir = site.path() / "tasks" / ("j" + std::to_string(id) + "-t0-a1");
      if (std::filesystem::exists(dir)) return dir.string();
    }
    return "";
  }

  std::string base_, home_, admin_;
  std::unique_ptr<ChildProcess> up_;
};

uid_t UidOf(const std::string& user) {
  const passwd* entry = ::getpwnam(user.c_str());
  return entry ? entry->pw_uid : 0;
}

TEST_F(ConfinedAgent, ATaskCannotReadThePlatformsFilesNorAnotherTenantsAndHoldsFdsZeroToTwoOnly) {
  const std::string token_a = UserToken("conf-a"), token_b = UserToken("conf-b");
  // Tenant B leaves something in its task directory and in its /tmp.
  const uint64_t b = Submit(token_b, "id -u; echo b-secret > mine; echo b-tmp > /tmp/b-mark");
  ASSERT_EQ(WaitEnded(token_b, b).value("state", ""), "succeeded") << ReadFile(home_ + "/up.log");
  const std::string b_dir = TaskDir(b);
  ASSERT_FALSE(b_dir.empty());
  ASSERT_EQ(ReadFile(b_dir + "/work/mine"), "b-secret\n");

  // Every file under the server's home: its database, keys and tokens, each agent's state
  // (receipt key, agent token, state file) and B's task files among them.
  std::vector<std::string> files, dirs = {home_, home_ + "/agents", b_dir, b_dir + "/work"};
  for (const auto& entry : std::filesystem::recursive_directory_iterator(home_)) {
    if (entry.is_regular_file()) files.push_back(entry.path().string());
  }
  for (const std::string must : {"/admin.token", "/dispatch.key", "/suanwang.db", "/agents/sh-edge/agent.token",
                                 "/agents/sh-edge/receipt.key", "/agents/sh-edge/state.json"}) {
    EXPECT_NE(std::find(files.begin(), files.end(), home_ + must), files.end()) << must << " is not there to try";
  }
  for (const std::string mine : {"/stdout", "/exit_status", "/work/mine"}) {
    EXPECT_NE(std::find(files.begin(), files.end(), b_dir + mine), files.end()) << mine << " of B is not there to try";
  }

  // Tenant A's task: its ids, its own descriptors (those of this shell, $$: `ls` runs as a
  // child with no redirection, so the shell opens nothing for it), its /tmp, then an open for
  // reading of each file and a listing of each directory; only what it could do is printed
  // (and why the home could not be listed, on stderr).
  std::string script = "id -u; id -g; echo fds; ls -1 /proc/$$/fd; echo tmp; ls -A /tmp; echo tried; ls " + Quote(home_) + ";";
  for (const std::string& f : files) script += " if cat " + Quote(f) + " >/dev/null 2>&1; then echo READ " + Quote(f) + "; fi;";
  for (const std::string& d : dirs) script += " if ls " + Quote(d) + " >/dev/null 2>&1; then echo LISTED " + Quote(d) + "; fi;";
  script += " true";
  const uint64_t a = Submit(token_a, script);
  const json ended = WaitEnded(token_a, a);
  ASSERT_EQ(ended.value("state", ""), "succeeded") << ended.value("reason", "") << ReadFile(TaskDir(a) + "/stderr");
  // Refused by the home's mode, not merely out of sight.
  EXPECT_NE(ReadFile(TaskDir(a) + "/stderr").find("Permission denied"), std::string::npos) << ReadFile(TaskDir(a) + "/stderr");

  const uid_t uid_a = UidOf("sw-conf-a"), uid_b = UidOf("sw-conf-b");
  ASSERT_NE(uid_a, 0u);
  ASSERT_NE(uid_b, 0u);
  EXPECT_NE(uid_a, uid_b);
  EXPECT_EQ(Stdout(b), std::to_string(uid_b) + "\n");
  std::istringstream out(Stdout(a));
  std::string uid, gid;
  std::getline(out, uid);
  std::getline(out, gid);
  EXPECT_EQ(uid, std::to_string(uid_a)) << "the task's uid";
  EXPECT_NE(gid, "0");
  std::string rest((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rest, "fds\n0\n1\n2\ntmp\ntried\n")
      << "A's task held a descriptor above 2, saw B's /tmp, or read or listed what it must not (" << files.size()
      << " files and " << dirs.size() << " directories tried)";
}

TEST_F(ConfinedAgent, AForkBombStopsAtTheTasksProcessLimit) {
  const std::string token = UserToken("conf-pids");
  // 300 processes at once, beyond the agent's limit (`up`'s agents: 256 per task, pids.max or
  // the tenant user's RLIMIT_NPROC): the shell prints each it started and ends at the first
  // fork that fails.
  const uint64_t bomb = Submit(token, "i=0; while [ $i -lt 300 ]; do sleep 30 & i=$((i+1)); echo $i; done");
  const json bombed = WaitEnded(token, bomb);
  EXPECT_EQ(bombed.value("state", ""), "failed") << bombed.value("reason", "");
  const std::string printed = Stdout(bomb);
  std::istringstream lines(printed);
  int started = 0;
  for (std::string line; std::getline(lines, line);) started = std::atoi(line.c_str());
  EXPECT_GT(started, 10) << printed;
  EXPECT_LT(started, 300) << "300 processes ran: no process limit";
  EXPECT_NE(ReadFile(TaskDir(bomb) + "/stderr").find("fork"), std::string::npos) << ReadFile(TaskDir(bomb) + "/stderr");
}

TEST_F(ConfinedAgent, ATaskOverItsMemoryIsKilled) {
  // What the agent registered, as `suanwang sites` shows it (CONFINEMENT: uid/LIMITS).
  const std::string env = "SUANWANG_CA=" + home_ + "/ca.pem SUANWANG_URL=" + FirstLine(home_ + "/url") +
                          " SUANWANG_TOKEN=" + admin_ + " ";
  const std::string sites = suanwang::testing::RunShell(env + SW_BINARY + " sites 2>&1").output;
  std::string limits;
  for (const std::string kind : {"cgroup2", "cgroup1", "rlimit"}) {
    if (limits.empty() && sites.find(" uid/" + kind + " ") != std::string::npos) limits = kind;
  }
  ASSERT_FALSE(limits.empty()) << sites;
  if (limits == "rlimit") {
    GTEST_SKIP() << "this host offers the agent no cgroup memory controller (v1 mounted, or a delegated v2 "
                    "subtree in SUANWANG_CGROUP_PARENT): memory is not limited with RLIMIT_AS by design";
  }
  const std::string token = UserToken("conf-memory");
  // `tail` keeps a line without an end in memory: 300 MiB here, against a limit of 64 MiB
  // (bounded: without a limit it ends, and succeeds).
  const uint64_t hog = Submit(token, "head -c 300M /dev/zero | tail | wc -c", 64);
  const json ended = WaitEnded(token, hog);
  EXPECT_EQ(ended.value("state", ""), "failed") << ended.value("reason", "");
  EXPECT_NE(ended.value("reason", "").find("out of memory"), std::string::npos) << ended.value("reason", "");
}

}  // namespace
