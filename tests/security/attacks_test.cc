// Attacks on a real `suanwang up` (server and agents on 127.0.0.1, port 0, a temp home), one
// test per finding of issue 13. After every attack the server still answers /healthz, the
// audit log and the ledger verify, and no acknowledged job is lost.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "security/usage_receipt.h"
#include "testlib/child_process.h"
#include "testlib/test_cluster.h"

namespace {

using json = nlohmann::json;
using suanwang::testing::ChildProcess;
using suanwang::testing::FirstLine;
using suanwang::testing::ReadFile;
using suanwang::testing::RunShell;
using suanwang::testing::WaitUntil;
using namespace std::chrono_literals;

std::string Home(const std::string& name) { return suanwang::testing::FreshTempDir(name); }

// `suanwang up` in a temp home, with clients for its admin, its sites' agent credentials and
// tenants' users; checks on destruction that the attacks left nothing broken.
class Up {
 public:
  explicit Up(const std::string& name) : home_(Home(name)) { Start(); }
  ~Up() {
    if (up_) {
      EXPECT_TRUE(Healthy()) << ReadFile(home_ + "/up.log");
      Stop();
    }
    for (const char* what : {"audit", "ledger"}) {
      const auto verified = RunShell(std::string(SW_BINARY) + " " + what + " verify --home " + home_ + " 2>&1");
      EXPECT_EQ(verified.exit_code, 0) << what << " verify: " << verified.output;
    }
  }
  void Start() {
    std::filesystem::remove(home_ + "/url");
    up_ = std::make_unique<ChildProcess>(SW_BINARY, std::vector<std::string>{"up", "--home", home_, "--listen", "127.0.0.1:0"},
                                         home_ + "/up.log");
    ASSERT_TRUE(WaitUntil([&] { return !FirstLine(home_ + "/url").empty(); }, 20s)) << ReadFile(home_ + "/up.log");
    url_ = FirstLine(home_ + "/url");
    admin_ = FirstLine(home_ + "/admin.token");
    ASSERT_TRUE(WaitUntil([&] { return SiteUp("sh-edge"); }, 20s)) << ReadFile(home_ + "/up.log");
  }
  void Stop() {
    up_->Signal(SIGINT);
    EXPECT_NE(up_->Wait(20s), -1);
    up_.reset();
  }
  const std::string& home() const { return home_; }
  httplib::Client Client(const std::string& token) const {
    httplib::Client c(url_);
    c.set_tcp_nodelay(true);
    c.set_ca_cert_path(home_ + "/ca.pem");  // `up` serves HTTPS with its home's CA
    c.enable_server_certificate_verification(true);
    c.set_connection_timeout(5);
    c.set_read_timeout(10);
    if (!token.empty()) c.set_bearer_token_auth(token);
    return c;
  }
  httplib::Client Admin() const { return Client(admin_); }
  std::string AgentToken(const std::string& site) const { return FirstLine(home_ + "/agents/" + site + "/agent.token"); }
  bool Healthy() const {
    auto r = Client("").Get("/healthz");
    return r && r->status == 200;
  }
  bool SiteUp(const std::string& site) const {
    auto r = Admin().Get("/v1/sites/" + site);
    return r && r->status == 200 && json::parse(r->body).value("up", false);
  }
  // A new tenant and a token of `role` for it.
  std::string Token(const std::string& tenant, const std::string& role) {
    (void)Admin().Post("/v1/tenants", json{{"id", tenant}}.dump(), "application/json");
    auto r = Admin().Post("/v1/tokens", json{{"tenant", tenant}, {"role", role}}.dump(), "application/json");
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r && r->status == 201 ? json::parse(r->body)["token"].get<std::string>() : "";
  }
  json Job(uint64_t id) const {
    auto r = Admin().Get("/v1/jobs/" + std::to_string(id));
    return r && r->status == 200 ? json::parse(r->body) : json{};
  }
  json WaitForState(uint64_t id, const std::string& state, std::chrono::milliseconds timeout = 20s) const {
    json j;
    WaitUntil([&] { return (j = Job(id)).value("state", "") == state; }, timeout);
    return j;
  }

 private:
  std::string home_, url_, admin_;
  std::unique_ptr<ChildProcess> up_;
};

json ShellJob(const std::string& name, const std::string& script) {
  return json{{"name", name},
              {"resources", {{"cpu", 0.1}, {"memory_mib", 64}}},
              {"command", {"sh", "-c", script}},
              {"tier", "t1"},
              {"origin", "sh"}};
}

// A job file as raw bytes (nlohmann would refuse to write invalid UTF-8 itself).
std::string JobWithCommand(const std::string& raw_arg) {
  return "{\"name\":\"x\",\"resources\":{\"cpu\":0.1,\"memory_mib\":64},\"command\":[\"echo\",\"" + raw_arg +
         "\"],\"tier\":\"t1\",\"origin\":\"sh\"}";
}

// Finding 1: invalid bytes are refused naming the field; nothing kills the server; a stored job
// that cannot be processed is quarantined at the next start instead of crashing it forever.
TEST(Attacks, MalformedBytesNeitherCrashTheServerNorPoisonItsRestart) {
  Up up("bytes");
  auto admin = up.Admin();
  const uint64_t good = json::parse(admin.Post("/v1/jobs", ShellJob("good", "true").dump(), "application/json")->body)["id"];
  auto bad = admin.Post("/v1/jobs", JobWithCommand("\xff\xfe"), "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_EQ(bad->get_header_value("Content-Type"), "application/problem+json");
  auto yaml_bad = admin.Post("/v1/jobs", "name: x\nresources: {cpu: 1}\ncommand: [\"a\\0b\"]\n", "application/yaml");
  ASSERT_TRUE(yaml_bad);
  EXPECT_EQ(yaml_bad->status, 400) << yaml_bad->body;
  EXPECT_NE(yaml_bad->body.find("command[0]"), std::string::npos) << yaml_bad->body;  // names the field
  auto bad_name = admin.Post("/v1/jobs", "{\"name\":\"\xc3\x28\",\"resources\":{\"cpu\":1},\"command\":[\"true\"]}", "application/json");
  ASSERT_TRUE(bad_name);
  EXPECT_EQ(bad_name->status, 400) << bad_name->body;
  auto bad_key = admin.Post("/v1/jobs", httplib::Headers{{"Idempotency-Key", "k\xff\xfe"}}, ShellJob("k", "true").dump(),
                            "application/json");
  ASSERT_TRUE(bad_key);
  EXPECT_EQ(bad_key->status, 400) << bad_key->body;
  EXPECT_NE(bad_key->body.find("Idempotency-Key"), std::string::npos);
  auto bad_path = admin.Get("/v1/jobs/\xff\xfe");
  ASSERT_TRUE(bad_path) << httplib::to_string(bad_path.error());
  EXPECT_GE(bad_path->status, 400);
  EXPECT_LT(bad_path->status, 500);
  EXPECT_TRUE(json::accept(bad_path->body)) << bad_path->body;
  // A registration with a non-string source, from the site's own agent credential.
  auto agent = up.Client(up.AgentToken("sh-edge"));
  auto beat = agent.Post("/v1/sites/sh-edge/heartbeat", json{{"agent", "x"}, {"resources", {{"source", 5}}}}.dump(),
                         "application/json");
  ASSERT_TRUE(beat);
  EXPECT_TRUE(up.Healthy());
  EXPECT_EQ(up.WaitForState(good, "succeeded")["state"], "succeeded");

  // A job stored with bytes that no longer parse (an older version, or the database edited)
  // must not stop the server from starting.
  up.Stop();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((up.home() + "/suanwang.db").c_str(), &db), SQLITE_OK);
  const std::string poison = JobWithCommand("\xff\xfe");
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "INSERT INTO jobs (tenant, name, spec, state, site, reason, submitted_ms, updated_ms, version) "
                               "VALUES ('system', 'poison', ?, 'queued', '', 'submitted', 1, 1, 1)",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  sqlite3_bind_blob(stmt, 1, poison.data(), static_cast<int>(poison.size()), SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE);
  const auto poison_id = static_cast<uint64_t>(sqlite3_last_insert_rowid(db));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  up.Start();
  EXPECT_TRUE(up.Healthy());
  const json quarantined = up.WaitForState(poison_id, "rejected", 10s);
  EXPECT_EQ(quarantined["state"], "rejected") << quarantined.dump();
  EXPECT_TRUE(quarantined.value("reason", "").starts_with("quarantined: ")) << quarantined.dump();
  EXPECT_EQ(up.Job(good)["state"], "succeeded");  // nothing acknowledged was lost
  // The server still takes work.
  const uint64_t after = json::parse(up.Admin().Post("/v1/jobs", ShellJob("after", "true").dump(), "application/json")->body)["id"];
  EXPECT_EQ(up.WaitForState(after, "succeeded")["state"], "succeeded");
}

// Finding 4: nobody but the site's own credential speaks its protocol; the lease and the receipt
// key cannot be taken over; nothing unsigned, or signed by another key, or longer than the
// server's own record is billed.
TEST(Attacks, BillingCannotBeForged) {
  Up up("billing");
  auto admin = up.Admin();
  const std::string operator_token = up.Token("system", "operator");
  const std::string user = up.Token("alpha", "user");
  const json beat = {{"agent", "evil"}, {"receipt_key", std::string(64, 'a')}};
  // Admin, operator, user and another site's agent: none may heartbeat sh-edge.
  for (const std::string& token : {FirstLine(up.home() + "/admin.token"), operator_token, user, up.AgentToken("zjk-1")}) {
    auto r = up.Client(token).Post("/v1/sites/sh-edge/heartbeat", beat.dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << r->body;
  }
  // A second agent credential of the site cannot take over the live lease, nor its receipt key.
  auto second = admin.Post("/v1/tokens", json{{"role", "agent"}, {"site", "sh-edge"}}.dump(), "application/json");
  ASSERT_EQ(second->status, 201) << second->body;
  auto other = up.Client(json::parse(second->body)["token"].get<std::string>());
  auto takeover = other.Post("/v1/sites/sh-edge/heartbeat", beat.dump(), "application/json");
  EXPECT_EQ(takeover->status, 403) << takeover->body;
  // Even the site's own credential cannot swap the pinned receipt key.
  auto swap = up.Client(up.AgentToken("sh-edge")).Post("/v1/sites/sh-edge/heartbeat", beat.dump(), "application/json");
  EXPECT_EQ(swap->status, 403) << swap->body;
  EXPECT_NE(swap->body.find("pinned"), std::string::npos) << swap->body;

  // A real job; forged reports about it with the site's credential.
  const uint64_t id =
      json::parse(up.Client(user).Post("/v1/jobs", ShellJob("short", "sleep 2").dump(), "application/json")->body)["id"];
  ASSERT_EQ(up.WaitForState(id, "running")["state"], "running");
  auto site = up.Client(up.AgentToken("sh-edge"));
  const auto forged = [&](const std::string& event, int64_t wall_ms, const std::string& receipt) {
    json r = {{"job", id}, {"task", 0}, {"attempt", 1}, {"event", event}, {"at_ms", 1}, {"exit_code", 0},
              {"cpu_ms", 1000}, {"wall_ms", wall_ms}, {"stdout_tail", "forged output\n"}};
    if (!receipt.empty()) r["receipt"] = receipt;
    return json{{"agent", "forger"}, {"reports", json::array({r})}}.dump();
  };
  EXPECT_EQ(site.Post("/v1/sites/sh-edge/reports", forged("start_failed", 3'600'000, ""), "application/json")->status, 403);
  EXPECT_EQ(site.Post("/v1/sites/sh-edge/reports", forged("exited", 3'600'000, std::string(128, '0')), "application/json")->status,
            403);
  // Signed with the site's real key (read here as root would: an attacker on the agent's host)
  // but claiming an hour for a job dispatched seconds ago: refused by the server's own record.
  const std::string secret = FirstLine(up.home() + "/agents/sh-edge/receipt.key");
  ASSERT_FALSE(secret.empty());
  suanwang::UsageReceipt u;
  u.site = "sh-edge";
  u.job = id;
  u.event = "exited";
  u.end_ms = 1;
  u.cpu_ms = 1000;
  u.wall_ms = 3'600'000;
  u.stdout_sha256 = suanwang::Sha256Digest("forged output\n");
  u.stderr_sha256 = u.error_sha256 = suanwang::Sha256Digest("");
  auto signature = suanwang::SignReceipt(secret, u);
  ASSERT_TRUE(signature);
  auto too_long = site.Post("/v1/sites/sh-edge/reports", forged("exited", 3'600'000, *signature), "application/json");
  EXPECT_EQ(too_long->status, 400) << too_long->body;
  EXPECT_NE(too_long->body.find("since the server dispatched"), std::string::npos) << too_long->body;

  const json done = up.WaitForState(id, "succeeded");
  ASSERT_EQ(done["state"], "succeeded") << done.dump();
  EXPECT_LT(done["tasks"][0]["wall_seconds"].get<double>(), 60);
  EXPECT_EQ(up.Client(user).Get("/v1/jobs/" + std::to_string(id) + "/logs")->body.find("forged"), std::string::npos);
  // The usage billed is the real run's.
  auto usage = json::parse(admin.Get("/v1/usage?job=" + std::to_string(id))->body);
  ASSERT_EQ(usage["usage"].size(), 1u) << usage.dump();
  EXPECT_LT(usage["usage"][0]["end_ms"].get<int64_t>() - usage["usage"][0]["start_ms"].get<int64_t>(), 60'000);
  // Only an operator releases the lease (audited); afterwards the site's agent takes it again.
  EXPECT_EQ(up.Client(user).Post("/v1/sites/sh-edge/release", "", "text/plain")->status, 403);
  auto released = up.Client(operator_token).Post("/v1/sites/sh-edge/release", "", "text/plain");
  EXPECT_EQ(released->status, 200) << released->body;
  EXPECT_TRUE(WaitUntil([&] { return up.SiteUp("sh-edge"); }, 20s));
}

// Finding 5: an operator is the platform's; a tenant's operator token is refused at creation
// (it would either see every tenant or be a user by another name).
TEST(Attacks, OperatorsAreThePlatformsAndTenantsSeeOnlyThemselves) {
  Up up("operators");
  auto admin = up.Admin();
  (void)admin.Post("/v1/tenants", json{{"id", "alpha"}}.dump(), "application/json");
  for (const char* role : {"operator", "admin"}) {
    auto r = admin.Post("/v1/tokens", json{{"tenant", "alpha"}, {"role", role}}.dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << role << ": " << r->body;
  }
  const std::string alpha = up.Token("alpha", "user"), beta = up.Token("beta", "user");
  json job = ShellJob("secret-argv", "echo s3cret");
  const uint64_t id = json::parse(up.Client(beta).Post("/v1/jobs", job.dump(), "application/json")->body)["id"];
  EXPECT_EQ(up.Client(alpha).Get("/v1/jobs/" + std::to_string(id))->status, 404);
  EXPECT_EQ(up.Client(alpha).Get("/v1/jobs?tenant=beta")->body.find("s3cret"), std::string::npos);
  EXPECT_EQ(up.Client(alpha).Get("/v1/metrics")->status, 404);  // no such route for anyone
  EXPECT_EQ(up.Client(alpha).Get("/metrics")->status, 403);
  EXPECT_EQ(up.WaitForState(id, "succeeded")["state"], "succeeded");
}

// Findings 6-8 (the parts at the API): a reused Idempotency-Key with another body is a 422, keys
// are bounded, tiny CPU asks are refused, files at rest are private, CLI errors name the file.
TEST(Attacks, SmallerFindings) {
  Up up("smaller");
  auto admin = up.Admin();
  const httplib::Headers key{{"Idempotency-Key", "once"}};
  auto first = admin.Post("/v1/jobs", key, ShellJob("a", "true").dump(), "application/json");
  ASSERT_EQ(first->status, 201) << first->body;
  EXPECT_EQ(admin.Post("/v1/jobs", key, ShellJob("a", "true").dump(), "application/json")->status, 200);  // a retry
  auto other = admin.Post("/v1/jobs", key, ShellJob("b", "true").dump(), "application/json");
  EXPECT_EQ(other->status, 422) << other->body;
  auto long_key = admin.Post("/v1/jobs", httplib::Headers{{"Idempotency-Key", std::string(300, 'k')}},
                             ShellJob("c", "true").dump(), "application/json");
  EXPECT_EQ(long_key->status, 400) << long_key->body;
  json tiny = ShellJob("tiny", "true");
  tiny["resources"]["cpu"] = 0.0001;
  auto refused = admin.Post("/v1/jobs", tiny.dump(), "application/json");
  EXPECT_EQ(refused->status, 400) << refused->body;
  EXPECT_NE(refused->body.find("resources.cpu"), std::string::npos);

  // Files at rest: the home and everything secret in it are the server's alone.
  const auto mode = [](const std::string& path) {
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0777u + 1;
  };
  EXPECT_EQ(mode(up.home()), 0700u);
  for (const std::string f : {"suanwang.db", "suanwang.db-wal", "admin.token", "dispatch.key", "agents/sh-edge/agent.token"}) {
    EXPECT_EQ(mode(up.home() + "/" + f) & 077, 0u) << f << " is readable by others: " << std::oct << mode(up.home() + "/" + f);
  }

  // The CLI: a bad job file's error names the file; a device is refused, not read forever.
  const std::string env = "SUANWANG_CA=" + up.home() + "/ca.pem SUANWANG_URL=" + FirstLine(up.home() + "/url") + " SUANWANG_TOKEN=" +
                          FirstLine(up.home() + "/admin.token") + " ";
  const std::string file = up.home() + "/bad-origin.yaml";
  suanwang::testing::RunShell("printf 'name: x\\nresources: {cpu: 1}\\ncommand: [true]\\ntier: t1\\norigin: atlantis\\n' > " + file);
  const auto named = RunShell(env + SW_BINARY + " submit " + file + " 2>&1");
  EXPECT_EQ(named.exit_code, 2) << named.output;
  EXPECT_NE(named.output.find(file + ":1: field 'origin'"), std::string::npos) << named.output;
  const auto start = std::chrono::steady_clock::now();
  const auto zero = RunShell(env + "timeout 20 " + SW_BINARY + " submit /dev/zero 2>&1");
  EXPECT_EQ(zero.exit_code, 2) << zero.output;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

}  // namespace
