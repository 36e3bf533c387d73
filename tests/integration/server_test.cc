// Starts the real `suanwang server` on 127.0.0.1 with port 0 and a temp home, and talks HTTP.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "security/dispatch_signing.h"
#include "server/control_plane.h"
#include "testlib/child_process.h"
#include "testlib/test_cluster.h"

namespace {

using json = nlohmann::json;

class ServerProcess {
 public:
  explicit ServerProcess(std::string home, std::vector<std::string> extra_args = {})
      : home_(std::move(home)), extra_args_(std::move(extra_args)) {
    Start();
  }
  // After every test the ledger it left must be intact and balanced.
  ~ServerProcess() {
    Kill(SIGTERM);
    std::string store = " --home " + home_;
    for (size_t i = 0; i + 1 < extra_args_.size(); ++i) {
      if (extra_args_[i] == "--store") store = " --store '" + extra_args_[i + 1] + "'";
    }
    const auto verified = suanwang::testing::RunShell(std::string(SW_BINARY) + " ledger verify" + store + " 2>&1");
    EXPECT_EQ(verified.exit_code, 0) << verified.output;
  }

  void Start() {
    std::filesystem::remove(home_ + "/url");
    pid_ = fork();
    if (pid_ == 0) {
      const std::string log = home_ + "/server.log";
      freopen(log.c_str(), "a", stdout);
      freopen(log.c_str(), "a", stderr);
      std::vector<std::string> args = {SW_BINARY, "server", "--listen", "127.0.0.1:0", "--home", home_};
      args.insert(args.end(), extra_args_.begin(), extra_args_.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(SW_BINARY, argv.data());
      _exit(127);
    }
    for (int i = 0; i < 200 && !std::filesystem::exists(home_ + "/url"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    std::ifstream(home_ + "/url") >> url_;
    ASSERT_FALSE(url_.empty()) << "server did not start; see " << home_ << "/server.log";
    std::ifstream(home_ + "/admin.token") >> admin_token_;
    ASSERT_TRUE(admin_token_.starts_with("sw_")) << "no admin token in " << home_;
  }
  void Kill(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  const std::string& url() const { return url_; }
  // A client with the agent credential of `site` (created by the admin on first use): only it
  // may speak the site's protocol.
  httplib::Client AgentClient(const std::string& site) {
    if (!agent_tokens_.contains(site)) {
      auto r = Client().Post("/v1/tokens", json{{"role", "agent"}, {"site", site}}.dump(), "application/json");
      EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
      agent_tokens_[site] = r && r->status == 201 ? json::parse(r->body)["token"].get<std::string>() : "";
    }
    return Client(agent_tokens_[site]);
  }
  const std::string& admin_token() const { return admin_token_; }
  // A client acting with `token` (default: the bootstrap admin token).
  httplib::Client Client(const std::string& token = "") const {
    httplib::Client c(url_);
    c.set_tcp_nodelay(true);
    c.set_bearer_token_auth(token.empty() ? admin_token_ : token);
    return c;
  }

 private:
  std::string home_;
  std::vector<std::string> extra_args_;
  std::map<std::string, std::string> agent_tokens_;
  std::string url_;
  std::string admin_token_;
  pid_t pid_ = -1;
};

std::string Home() {
  std::string home = std::filesystem::path(suanwang::testing::WriteTempFile("marker", "")).parent_path() / "home";
  std::filesystem::remove_all(home);
  std::filesystem::create_directories(home);
  return home;
}

const char* kGang =
    "name: gang\ntasks: 4\nresources: {cpu: 8, memory_mib: 32768, gpus: 1, gpu_models: [A100]}\n"
    "command: [python3, train.py]\ntier: t3\norigin: bj\n";

json WaitForState(httplib::Client& c, uint64_t id, const std::string& not_state, int tries = 200) {
  for (int i = 0; i < tries; ++i) {
    auto r = c.Get("/v1/jobs/" + std::to_string(id));
    if (r && r->status == 200) {
      json j = json::parse(r->body);
      if (j["state"] != not_state) return j;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return json{};
}

// The reason on a job's first task once it mentions `needle` (or the last one seen, after 2 s).
std::string WaitForTaskReason(httplib::Client& c, uint64_t id, const std::string& needle) {
  std::string reason;
  for (int i = 0; i < 200 && reason.find(needle) == std::string::npos; ++i) {
    const json j = json::parse(c.Get("/v1/jobs/" + std::to_string(id))->body);
    if (!j["tasks"].empty()) reason = j["tasks"][0].value("reason", "");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return reason;
}

TEST(ServerTest, SubmitPlaceListCancel) {
  ServerProcess server(Home());
  auto c = server.Client();
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  auto submitted = c.Post("/v1/jobs", httplib::Headers{{"Idempotency-Key", "k-1"}}, kGang, "application/yaml");
  ASSERT_TRUE(submitted);
  ASSERT_EQ(submitted->status, 201) << submitted->body;
  const json job = json::parse(submitted->body);
  EXPECT_EQ(job["name"], "gang");
  EXPECT_EQ(job["state"], "queued");
  const uint64_t id = job["id"];

  auto again = c.Post("/v1/jobs", httplib::Headers{{"Idempotency-Key", "k-1"}}, kGang, "application/yaml");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);  // the same job, not a second one
  EXPECT_EQ(json::parse(again->body)["id"], id);

  const json placed = WaitForState(c, id, "queued");
  EXPECT_EQ(placed["state"], "placed");
  EXPECT_EQ(placed["site"], "wuhu-1");  // the A100 site nearest to Beijing (15.5 ms; zw-1 is 16.1)

  auto list = c.Get("/v1/jobs?limit=10");
  ASSERT_TRUE(list);
  EXPECT_EQ(json::parse(list->body)["jobs"].size(), 1u);

  auto cancel = c.Post("/v1/jobs/" + std::to_string(id) + "/cancel", "", "text/plain");
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->status, 200);
  EXPECT_EQ(json::parse(cancel->body)["state"], "cancelled");
  auto twice = c.Post("/v1/jobs/" + std::to_string(id) + "/cancel", "", "text/plain");
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->status, 409);
  EXPECT_EQ(json::parse(twice->body)["detail"], "job " + std::to_string(id) + " is already cancelled");

  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("suanwang_jobs_submitted_total 1\n"), std::string::npos) << metrics->body;
}

TEST(ServerTest, MalformedRequestsGetProblemsAndChangeNothing) {
  ServerProcess server(Home());
  auto c = server.Client();
  struct Case {
    std::string body;
    int status;
    std::string field;
  };
  for (const Case& k : std::vector<Case>{
           {"{not json", 400, ""},
           {"{\"name\": \"x\", \"resources\": {\"cpu\": \"lots\"}, \"command\": [\"a\"]}", 400, "resources.cpu"},
           {"{\"name\": \"x\", \"resources\": {\"cpu\": 1}, \"command\": [\"a\"], \"colour\": 1}", 400, "job.colour"},
           {"{\"name\": \"x\", \"resources\": {\"cpu\": 1}, \"command\": [\"a\"], \"tier\": \"t1\", \"origin\": \"mars\"}", 400, "origin"},
           {"{\"name\": \"x\", \"tasks\": 1.5, \"resources\": {\"cpu\": 1}, \"command\": [\"a\"]}", 400, "job.tasks"},
       }) {
    auto r = c.Post("/v1/jobs", k.body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, k.status) << k.body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
    const json problem = json::parse(r->body);
    EXPECT_EQ(problem["status"], k.status);
    if (!k.field.empty()) {
      EXPECT_EQ(problem["invalid-params"][0]["name"], k.field) << r->body;
    }
  }
  auto big = c.Post("/v1/jobs", std::string(2 << 20, 'x'), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  auto c2 = server.Client();
  EXPECT_EQ(c2.Get("/v1/jobs/abc")->status, 400);
  EXPECT_EQ(c2.Get("/v1/jobs/12345")->status, 404);
  EXPECT_EQ(c2.Get("/v1/nothing")->status, 404);
  EXPECT_EQ(c2.Delete("/v1/jobs")->status, 405);
  EXPECT_EQ(c2.Get("/v1/jobs?limit=0")->status, 400);
  // The agents' endpoints and the logs refuse what is malformed the same way.
  auto agent = server.AgentClient("wuhu-1");
  struct SiteCase {
    std::string path, body;
    int status;
    std::string field;
  };
  for (const SiteCase& k : std::vector<SiteCase>{
           {"/v1/sites/wuhu-1/heartbeat", "{not json", 400, ""},
           {"/v1/sites/wuhu-1/heartbeat", R"({"agent": 5})", 400, "agent"},
           {"/v1/sites/wuhu-1/heartbeat", R"({"agent": "a", "colour": 1})", 400, "colour"},
           {"/v1/sites/wuhu-1/heartbeat", R"({"agent": "a", "resources": [1]})", 400, "resources"},
           {"/v1/sites/atlantis-1/heartbeat", R"({"agent": "a"})", 403, ""},  // not its site
           {"/v1/sites/wuhu-1/reports", R"({"agent": "a", "reports": [{"job": 1, "task": 0, "attempt": 1, "event": "exploded"}]})", 400, "reports[0].event"},
           {"/v1/sites/wuhu-1/reports", R"({"agent": "a", "reports": [{"job": "1", "task": 0, "attempt": 1, "event": "started"}]})", 400, "reports[0].job"},
           {"/v1/sites/wuhu-1/reports", R"({"agent": "a"})", 400, "reports"},
       }) {
    auto r = agent.Post(k.path, k.body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, k.status) << k.path << " " << k.body << ": " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
    if (!k.field.empty()) {
      EXPECT_EQ(json::parse(r->body)["invalid-params"][0]["name"], k.field) << r->body;
    }
  }
  EXPECT_EQ(agent.Post("/v1/sites/wuhu-1/reports", std::string(2 << 20, 'x'), "application/json")->status, 413);
  EXPECT_EQ(agent.Get("/v1/sites/wuhu-1/dispatches?wait_ms=99999")->status, 400);
  EXPECT_EQ(c2.Get("/v1/sites/atlantis-1")->status, 404);
  EXPECT_EQ(c2.Get("/v1/jobs/1/logs?stream=stdin")->status, 400);
  EXPECT_EQ(c2.Get("/v1/jobs/1/logs?task=abc")->status, 400);
  auto list = c2.Get("/v1/jobs");
  ASSERT_TRUE(list);
  EXPECT_TRUE(json::parse(list->body)["jobs"].empty());  // nothing was stored
  const json sites = json::parse(c2.Get("/v1/sites")->body)["sites"];
  for (const auto& site : sites) EXPECT_TRUE(site["agent"].is_null()) << site.dump();  // no agent registered
}

TEST(ServerTest, AcknowledgedJobsSurviveKillNine) {
  const std::string home = Home();
  std::vector<uint64_t> acknowledged;
  {
    ServerProcess server(home);
    auto c = server.Client();
    for (int i = 0; i < 20; ++i) {
      auto r = c.Post("/v1/jobs", kGang, "application/yaml");
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 201);
      acknowledged.push_back(json::parse(r->body)["id"]);
    }
    server.Kill(SIGKILL);
  }
  ServerProcess again(home);
  auto c = again.Client();
  auto list = c.Get("/v1/jobs?limit=1000");
  ASSERT_TRUE(list);
  const json jobs = json::parse(list->body)["jobs"];
  ASSERT_EQ(jobs.size(), acknowledged.size());
  for (size_t i = 0; i < jobs.size(); ++i) EXPECT_EQ(jobs[i]["id"], acknowledged[i]);
  // The engine gets the unfinished jobs back: every job ends placed or queued, none lost.
  for (uint64_t id : acknowledged) {
    json j = WaitForState(c, id, "");
    EXPECT_TRUE(j["state"] == "placed" || j["state"] == "queued") << j.dump();
  }
}

TEST(ServerTest, RateLimitPerTokenAnswers429AndChangesNothing) {
  // 0.5 requests/s with a burst of 3: the fourth quick request of a token is refused.
  ServerProcess server(Home(), {"--rate-limit", "0.5", "--rate-limit-burst", "3"});
  auto admin = server.Client();
  ASSERT_EQ(admin.Post("/v1/tenants", json{{"id", "alpha"}}.dump(), "application/json")->status, 201);
  auto made = admin.Post("/v1/tokens", json{{"tenant", "alpha"}, {"role", "user"}, {"name", "u"}}.dump(),
                         "application/json");
  ASSERT_EQ(made->status, 201);
  const std::string user_token = json::parse(made->body)["token"];
  EXPECT_EQ(admin.Get("/v1/jobs")->status, 200);
  auto refused = admin.Post("/v1/jobs", kGang, "application/yaml");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429) << refused->body;
  EXPECT_EQ(refused->get_header_value("Content-Type"), "application/problem+json");
  EXPECT_GE(std::stoi(refused->get_header_value("Retry-After")), 1);
  EXPECT_EQ(json::parse(refused->body)["status"], 429);
  EXPECT_EQ(server.Client().Get("/v1/tenants")->status, 429);

  // Another token has its own bucket.
  auto user = server.Client(user_token);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(user.Get("/v1/jobs")->status, 200);
  EXPECT_EQ(user.Get("/v1/jobs")->status, 429);

  // After the refill the admin may act again, and the refused submit left nothing behind.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto list = admin.Get("/v1/jobs");
  ASSERT_EQ(list->status, 200) << list->body;
  EXPECT_TRUE(json::parse(list->body)["jobs"].empty());
}

using CliRun = suanwang::testing::ShellRun;

CliRun Cli(const std::string& url, const std::string& args, const std::string& token = "") {
  return suanwang::testing::RunShell("SUANWANG_URL=" + url + " SUANWANG_TOKEN=" + token + " " + SW_BINARY + " " +
                                     args + " 2>&1");
}

TEST(ServerTest, CliSubmitJobJobsCancel) {
  ServerProcess server(Home());
  const std::string jobs = SW_SOURCE_DIR "/examples/jobs/";
  const std::string token = server.admin_token();
  auto cli = [&](const std::string& args) { return Cli(server.url(), args, token); };
  CliRun submitted = cli("submit " + jobs + "t1-shanghai.json -o json");
  ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  const uint64_t id = json::parse(submitted.output)[0]["id"];
  json job;
  for (int i = 0; i < 200; ++i) {
    CliRun shown = cli("job " + std::to_string(id) + " -o json");
    ASSERT_EQ(shown.exit_code, 0) << shown.output;
    job = json::parse(shown.output);
    if (job["state"] != "queued") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(job["state"], "placed");
  EXPECT_EQ(job["site"], "sh-edge");  // t1 from Shanghai: only the city's edge site
  CliRun never = cli("submit " + jobs + "never-fits.yaml -o json");
  ASSERT_EQ(never.exit_code, 0);
  CliRun listed = cli("jobs --all -o json");
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_EQ(json::parse(listed.output).size(), 2u);
  CliRun table = cli("jobs");
  EXPECT_NE(table.output.find("shop-inference"), std::string::npos) << table.output;
  CliRun missing = cli("cancel 999");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.output, "error: 404: job 999 not found\n");
  std::string bad = suanwang::testing::WriteTempFile("bad.yaml", "name: x\nresources: {cpu: 1}\n");
  CliRun invalid = cli("submit " + bad);
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_EQ(invalid.output, "error: 400: " + bad + ":1: field 'command': missing\n  field command: missing\n");  // names the file
  EXPECT_EQ(Cli("http://127.0.0.1:1", "jobs").exit_code, 3);
  CliRun anonymous = Cli(server.url(), "jobs");
  EXPECT_EQ(anonymous.exit_code, 2);
  EXPECT_TRUE(anonymous.output.starts_with("error: 401: missing, unknown or revoked token")) << anonymous.output;

  // Sites, tenants, tokens, logs.
  CliRun sites = cli("sites -o json");
  ASSERT_EQ(sites.exit_code, 0) << sites.output;
  EXPECT_EQ(json::parse(sites.output).size(), 13u);  // every site of the default network
  EXPECT_NE(cli("sites").output.find("sh-edge"), std::string::npos);
  CliRun logs = cli("logs " + std::to_string(id));
  EXPECT_EQ(logs.exit_code, 2);  // no agent ran it: its task has not ended
  EXPECT_TRUE(logs.output.starts_with("error: 409: task 0 of job")) << logs.output;
  ASSERT_EQ(cli("tenants create acme").exit_code, 0);
  EXPECT_NE(cli("tenants -o json").output.find("\"acme\""), std::string::npos);
  EXPECT_EQ(cli("tenants create acme").exit_code, 2);  // exists: 409
  CliRun made = cli("tokens create --tenant acme --role user --name ci -o json");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const json token_json = json::parse(made.output);
  const std::string user_token = token_json["token"];
  CliRun agent_made = cli("tokens create --role agent --site wuhu-1 -o json");
  ASSERT_EQ(agent_made.exit_code, 0) << agent_made.output;
  EXPECT_EQ(json::parse(agent_made.output)["site"], "wuhu-1");
  EXPECT_EQ(cli("tokens create --tenant acme --role operator").exit_code, 2);  // operators are the platform's
  EXPECT_EQ(cli("tokens create --role agent --site atlantis").exit_code, 2);
  CliRun tokens = cli("tokens");
  EXPECT_NE(tokens.output.find("ci"), std::string::npos);
  EXPECT_EQ(tokens.output.find("sw_"), std::string::npos);  // secrets are never listed
  // URL and token from the config file when neither flag nor environment gives them.
  const std::string config =
      suanwang::testing::WriteTempFile("config.yaml", "url: " + server.url() + "\ntoken: " + user_token + "\n");
  auto with_config = [&](const std::string& args) {
    return suanwang::testing::RunShell("SUANWANG_URL= SUANWANG_TOKEN= SUANWANG_CONFIG=" + config + " " + SW_BINARY +
                                       " " + args + " 2>&1");
  };
  CliRun as_user = with_config("jobs -o json");
  ASSERT_EQ(as_user.exit_code, 0) << as_user.output;
  EXPECT_TRUE(json::parse(as_user.output).empty());  // tenant acme has no jobs
  ASSERT_EQ(cli("tokens revoke " + std::to_string(token_json["id"].get<uint64_t>())).exit_code, 0);
  EXPECT_EQ(with_config("jobs").exit_code, 2);
}

// Every endpoint x role x tenant: a user never reaches another tenant's jobs; only admins
// manage tenants and tokens; revoked tokens stop working.
json Dispatches(ServerProcess& server, const std::string& site, uint64_t after) {
  auto r = server.AgentClient(site).Get("/v1/sites/" + site + "/dispatches?after=" + std::to_string(after));
  EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  return r ? json::parse(r->body) : json{};
}

// Polls a site's dispatches after `after` until there are `count` (at most 2 s).
json WaitForDispatches(ServerProcess& server, const std::string& site, uint64_t after, size_t count) {
  json got = Dispatches(server, site, after);
  for (int i = 0; i < 200 && got["dispatches"].size() < count; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    got = Dispatches(server, site, after);
  }
  return got;
}

suanwang::SignedCommand AsCommand(const json& d) {
  return suanwang::SignedCommand{d["site"], d["seq"], d["payload"], d["signature"]};
}

TEST(ServerTest, PlacementsAndCancelsBecomeSignedDispatchesInSequence) {
  const std::string home = Home();
  std::string public_key;
  auto verifier = [&]() -> std::optional<suanwang::DispatchVerifier> {
    std::ifstream(home + "/dispatch.key.pub") >> public_key;
    auto v = suanwang::DispatchVerifier::Create(public_key, "wuhu-1", 0);
    if (!v) return std::nullopt;
    return *v;
  };
  std::optional<suanwang::DispatchVerifier> agent;
  {
    ServerProcess server(home);
    auto c = server.Client();
    agent = verifier();
    ASSERT_TRUE(agent) << "no public key in " << home;
    const uint64_t id = json::parse(c.Post("/v1/jobs", kGang, "application/yaml")->body)["id"];
    ASSERT_EQ(WaitForState(c, id, "queued")["site"], "wuhu-1");
    const json got = WaitForDispatches(server, "wuhu-1", 0, 4);
    ASSERT_EQ(got["dispatches"].size(), 4u) << got.dump();  // one per task of the gang
    EXPECT_EQ(got["next_after"], 4);
    for (size_t t = 0; t < 4; ++t) {
      const json& d = got["dispatches"][t];
      EXPECT_EQ(d["seq"], t + 1);
      EXPECT_EQ(d["job"], id);
      const json payload = json::parse(d["payload"].get<std::string>());
      EXPECT_EQ(payload["op"], "run");
      EXPECT_EQ(payload["task"], t);
      EXPECT_EQ(payload["argv"], json::array({"python3", "train.py"}));
      EXPECT_EQ(payload["cpu_milli"], 8000);
      EXPECT_EQ(payload["memory_mib"], 32768);
      EXPECT_EQ(payload["gpus"].size(), 1u);
      // A tampered copy is refused; the genuine command is accepted in order.
      suanwang::SignedCommand tampered = AsCommand(d);
      tampered.payload.replace(tampered.payload.find("train.py"), 8, "evil.sh!");
      EXPECT_FALSE(agent->Accept(tampered));
      auto accepted = agent->Accept(AsCommand(d));
      EXPECT_TRUE(accepted) << accepted.error().message;
    }
    ASSERT_EQ(c.Post("/v1/jobs/" + std::to_string(id) + "/cancel", "", "text/plain")->status, 200);
    const json kill = Dispatches(server, "wuhu-1", 4);
    ASSERT_EQ(kill["dispatches"].size(), 1u);
    EXPECT_EQ(json::parse(kill["dispatches"][0]["payload"].get<std::string>()),
              (json{{"op", "kill"}, {"job", id}}));
    EXPECT_TRUE(agent->Accept(AsCommand(kill["dispatches"][0])));
    EXPECT_EQ(server.AgentClient("wuhu-1").Get("/v1/sites/atlantis/dispatches")->status, 403);  // not its site
    EXPECT_EQ(c.Get("/v1/sites/wuhu-1/dispatches")->status, 403);  // nor an admin's to read
    EXPECT_EQ(server.AgentClient("wuhu-1").Get("/v1/sites/wuhu-1/dispatches?limit=0")->status, 400);
  }
  // After a restart the key is the same and the sequence goes on: the pinned agent accepts.
  ServerProcess again(home);
  auto c = again.Client();
  const uint64_t second = json::parse(c.Post("/v1/jobs", kGang, "application/yaml")->body)["id"];
  ASSERT_EQ(WaitForState(c, second, "queued")["site"], "wuhu-1");
  const json got = WaitForDispatches(again, "wuhu-1", 5, 4);
  ASSERT_EQ(got["dispatches"].size(), 4u) << got.dump();
  for (const json& d : got["dispatches"]) {
    auto accepted = agent->Accept(AsCommand(d));
    EXPECT_TRUE(accepted) << accepted.error().message;
  }
  EXPECT_EQ(agent->last_seq(), 9u);
}

TEST(ServerTest, ARestartDoesNotDispatchAPlacedJobAgain) {
  const std::string home = Home();
  uint64_t id = 0;
  {
    ServerProcess server(home);
    auto c = server.Client();
    id = json::parse(c.Post("/v1/jobs", kGang, "application/yaml")->body)["id"].get<uint64_t>();
    ASSERT_EQ(WaitForState(c, id, "queued")["site"], "wuhu-1");
    ASSERT_EQ(WaitForDispatches(server, "wuhu-1", 0, 4)["dispatches"].size(), 4u);
    server.Kill(SIGKILL);
  }
  ServerProcess again(home);
  auto c = again.Client();
  // A later job is placed and dispatched after the recovered one has been through the engine.
  const uint64_t later = json::parse(c.Post("/v1/jobs", kGang, "application/yaml")->body)["id"];
  WaitForState(c, later, "queued");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  size_t runs_of_first = 0;
  for (const char* site : {"zjk-1", "yrd-1", "wuhu-1", "sg-1", "tf-1", "cq-1", "ga-1", "hlg-1", "qy-1", "zw-1",
                           "sh-edge", "bj-edge", "gz-edge"}) {
    const json listed = Dispatches(again, site, 0);
    for (const json& d : listed["dispatches"]) {
      if (d["job"].get<uint64_t>() == id) ++runs_of_first;
    }
  }
  EXPECT_EQ(runs_of_first, 4u) << Dispatches(again, "wuhu-1", 0).dump();
  EXPECT_EQ(json::parse(c.Get("/v1/jobs/" + std::to_string(id))->body)["site"], "wuhu-1");
}

TEST(ServerTest, AuthorisationMatrix) {
  ServerProcess server(Home());
  auto admin = server.Client();
  for (const char* t : {"alpha", "beta"}) {
    auto r = admin.Post("/v1/tenants", json{{"id", t}}.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
  }
  EXPECT_EQ(admin.Post("/v1/tenants", json{{"id", "alpha"}}.dump(), "application/json")->status, 409);
  std::map<std::string, std::string> token;
  std::map<std::string, uint64_t> token_id;
  for (auto [name, tenant, role] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"user-alpha", "alpha", "user"}, {"user-beta", "beta", "user"}, {"operator", "system", "operator"},
           {"agent-wuhu", "wuhu-1", "agent"}, {"agent-sh", "sh-edge", "agent"}}) {
    json ask{{"tenant", tenant}, {"role", role}, {"name", name}};
    if (role == "agent") ask = json{{"role", role}, {"site", tenant}, {"name", name}};  // bound to a site
    auto r = admin.Post("/v1/tokens", ask.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    token[name] = json::parse(r->body)["token"];
    token_id[name] = json::parse(r->body)["id"];
  }
  token["admin"] = server.admin_token();
  // Each submits one job; it lands in the submitter's tenant.
  std::map<std::string, uint64_t> job;
  for (const std::string who : {"user-alpha", "user-beta"}) {
    auto r = server.Client(token[who]).Post("/v1/jobs", kGang, "application/yaml");
    ASSERT_EQ(r->status, 201);
    json j = json::parse(r->body);
    EXPECT_EQ(j["tenant"], who == "user-alpha" ? "alpha" : "beta");
    job[who] = j["id"];
  }
  const std::string a = std::to_string(job["user-alpha"]), b = std::to_string(job["user-beta"]);
  // Every route x every caller: admin, operator, a user of the thing's tenant (alpha), a user of
  // another tenant (beta), and no valid token. {id} is a job of tenant alpha (a fresh one per
  // call for cancel) or a throwaway token; {site} is a site of the network. A route missing
  // from this table fails the test, so a new endpoint cannot skip it.
  // Two agent credentials: the one of {site} (wuhu-1) and the one of another site.
  const std::vector<std::string> callers = {"admin", "operator", "user-alpha", "user-beta", "agent-wuhu", "agent-sh", "nobody"};
  std::map<std::pair<std::string, std::string>, std::vector<int>> expected = {
      {{"GET", "/healthz"}, {200, 200, 200, 200, 200}},
      {{"GET", "/metrics"}, {200, 200, 403, 403, 401}},
      {{"POST", "/v1/jobs"}, {201, 201, 201, 201, 401}},
      {{"GET", "/v1/jobs"}, {200, 200, 200, 200, 401}},
      {{"GET", "/v1/jobs/{id}"}, {200, 200, 200, 404, 401}},
      {{"POST", "/v1/jobs/{id}/cancel"}, {200, 200, 200, 404, 401}},
      {{"GET", "/v1/jobs/{id}/logs"}, {409, 409, 409, 404, 401}},  // 409: its task has not ended
      {{"POST", "/v1/tenants"}, {201, 403, 403, 403, 401}},
      {{"GET", "/v1/tenants"}, {200, 200, 403, 403, 401}},
      {{"POST", "/v1/tokens"}, {201, 403, 403, 403, 401}},
      {{"GET", "/v1/tokens"}, {200, 403, 403, 403, 401}},
      {{"POST", "/v1/tokens/{id}/revoke"}, {200, 403, 403, 403, 401}},
      {{"GET", "/v1/reports/energy"}, {200, 200, 200, 200, 401}},
      {{"GET", "/v1/usage"}, {200, 200, 200, 200, 401}},  // users: their own tenant's only
      {{"GET", "/v1/invoices/{tenant}"}, {200, 200, 200, 403, 401}},
      {{"POST", "/v1/tenants/{tenant}/topup"}, {201, 403, 403, 403, 401}},
      {{"POST", "/v1/offers"}, {201, 403, 403, 403, 401}},  // providers: tested with owned sites
      {{"GET", "/v1/offers"}, {200, 200, 200, 200, 401}},
      {{"POST", "/v1/offers/{id}/withdraw"}, {200, 403, 403, 403, 401}},
      {{"POST", "/v1/offers/{id}/reserve"}, {409, 409, 409, 409, 401}},  // {id} is a spot offer
      {{"GET", "/v1/prices"}, {200, 200, 200, 200, 401}},
      {{"GET", "/v1/bids"}, {200, 200, 200, 200, 401}},  // users: their own tenant's only
      {{"GET", "/v1/statements/{site}"}, {200, 200, 403, 403, 401}},
      {{"POST", "/v1/market/clear"}, {202, 403, 403, 403, 401}},
      {{"GET", "/v1/sites"}, {200, 200, 200, 200, 401}},
      {{"GET", "/v1/sites/{site}"}, {200, 200, 200, 200, 401}},
      {{"GET", "/v1/sites/{site}/dispatches"}, {403, 403, 403, 403, 200, 403, 401}},
      {{"POST", "/v1/sites/{site}/heartbeat"}, {403, 403, 403, 403, 200, 403, 401}},
      {{"POST", "/v1/sites/{site}/reports"}, {403, 403, 403, 403, 200, 403, 401}},
      // After the agent's heartbeat (routes run in this map's order): the admin releases its
      // live lease; then there is none left to release (409).
      {{"POST", "/v1/sites/{site}/release"}, {200, 409, 403, 403, 403, 403, 401}},
      {{"POST", "/v1/sites/{site}/receipt-key"}, {200, 200, 403, 403, 403, 403, 401}},
  };
  // An agent credential may do nothing but speak its own site's protocol.
  for (auto& [route, statuses] : expected) {
    if (statuses.size() == 5) statuses.insert(statuses.begin() + 4, 2, route.second == "/healthz" ? 200 : 403);
  }
  for (const auto& route : suanwang::ApiRoutes()) {
    ASSERT_TRUE(expected.contains(route)) << route.first << " " << route.second << " is not in the matrix";
  }
  EXPECT_EQ(expected.size(), suanwang::ApiRoutes().size());
  int unique = 0;
  for (const auto& [route, statuses] : expected) {
    for (size_t k = 0; k < callers.size(); ++k) {
      const std::string& who = callers[k];
      std::string path = route.second, body = "{}", type = "application/json";
      if (path.find("{id}") != std::string::npos) {
        std::string id = a;
        if (path.starts_with("/v1/offers")) {
          auto o = admin.Post("/v1/offers", json{{"site", "wuhu-1"}, {"pool", "a100"}, {"price_cny_per_scu_h", 0.02}}.dump(),
                              "application/json");
          id = std::to_string(json::parse(o->body).value("id", 0));
        } else if (path.starts_with("/v1/tokens")) {
          auto t = admin.Post("/v1/tokens", json{{"tenant", "alpha"}, {"role", "user"}}.dump(), "application/json");
          id = std::to_string(json::parse(t->body)["id"].get<uint64_t>());
        } else if (path.ends_with("/cancel")) {
          auto fresh = server.Client(token["user-alpha"]).Post("/v1/jobs", kGang, "application/yaml");
          id = std::to_string(json::parse(fresh->body)["id"].get<uint64_t>());
        } else if (path.ends_with("/logs")) {
          WaitForState(admin, job["user-alpha"], "queued");  // placed: its tasks are dispatched
        }
        path.replace(path.find("{id}"), 4, id);
      }
      if (auto at = path.find("{site}"); at != std::string::npos) path.replace(at, 6, "wuhu-1");
      if (auto at = path.find("{tenant}"); at != std::string::npos) path.replace(at, 8, "alpha");
      if (route.second == "/v1/jobs") {
        body = kGang;
        type = "application/yaml";
      } else if (route.second == "/v1/tenants") {
        body = json{{"id", "t" + std::to_string(++unique)}}.dump();
      } else if (route.second == "/v1/tokens") {
        body = json{{"tenant", "beta"}, {"role", "user"}}.dump();
      } else if (route.second == "/v1/offers") {
        body = json{{"site", "wuhu-1"}, {"pool", "a100"}, {"price_cny_per_scu_h", 0.02}}.dump();
      } else if (route.second.ends_with("/topup")) {
        body = json{{"cny", 10}}.dump();
      } else if (route.second.ends_with("/receipt-key")) {
        body = json{{"receipt_key", std::string(64, 'a')}}.dump();
      } else if (route.second.ends_with("/heartbeat")) {
        body = json{{"agent", "matrix"}}.dump();
      } else if (route.second.ends_with("/reports")) {
        body = json{{"agent", "matrix"}, {"reports", json::array()}}.dump();
      }
      auto c = server.Client(who == "nobody" ? "sw_not-a-token" : token[who]);
      auto r = route.first == "GET" ? c.Get(path) : c.Post(path, body, type);
      ASSERT_TRUE(r) << who << " " << route.first << " " << path;
      EXPECT_EQ(r->status, statuses[k]) << who << " " << route.first << " " << path << ": " << r->body;
    }
  }
  // Listings: users see their own tenant only, whatever they ask for.
  auto alpha_list = json::parse(server.Client(token["user-alpha"]).Get("/v1/jobs?tenant=beta")->body)["jobs"];
  ASSERT_GE(alpha_list.size(), 1u);
  for (const auto& j : alpha_list) EXPECT_EQ(j["tenant"], "alpha");
  const json beta_list = json::parse(server.Client(token["user-beta"]).Get("/v1/jobs")->body)["jobs"];
  ASSERT_GE(beta_list.size(), 1u);
  for (const auto& j : beta_list) EXPECT_EQ(j["tenant"], "beta");
  std::set<std::string> tenants_seen;
  auto operator_list = server.Client(token["operator"]).Get("/v1/jobs");
  ASSERT_EQ(operator_list->status, 200) << operator_list->body;
  const json all_jobs = json::parse(operator_list->body)["jobs"];
  for (const auto& j : all_jobs) {
    tenants_seen.insert(j["tenant"].get<std::string>());
  }
  EXPECT_EQ(tenants_seen, (std::set<std::string>{"alpha", "beta", "system"}));
  // Usage and invoices: a user cannot name another tenant; alpha's top-ups are not on beta's.
  EXPECT_EQ(server.Client(token["user-beta"]).Get("/v1/usage?tenant=alpha")->status, 403);
  const json beta_invoice = json::parse(server.Client(token["user-beta"]).Get("/v1/invoices/beta")->body);
  EXPECT_EQ(beta_invoice["payments_cny"], "0.000000") << beta_invoice.dump();
  EXPECT_TRUE(beta_invoice["lines"].empty());
  const json alpha_invoice = json::parse(server.Client(token["user-alpha"]).Get("/v1/invoices/alpha")->body);
  EXPECT_EQ(alpha_invoice["payments_cny"], "10.000000") << alpha_invoice.dump();
  EXPECT_EQ(alpha_invoice["closing_cny"], "10.000000");
  // The job of beta is untouched by alpha's attempt to cancel it.
  EXPECT_NE(json::parse(server.Client(token["user-beta"]).Get("/v1/jobs/" + b)->body)["state"], "cancelled");
  // Secrets are never listed; revocation takes effect at once.
  auto listed = admin.Get("/v1/tokens");
  EXPECT_EQ(listed->body.find("sw_"), std::string::npos);
  EXPECT_EQ(admin.Post("/v1/tokens/" + std::to_string(token_id["user-alpha"]) + "/revoke", "", "text/plain")->status, 200);
  EXPECT_EQ(server.Client(token["user-alpha"]).Get("/v1/jobs")->status, 401);
  EXPECT_EQ(server.Client(token["user-beta"]).Get("/v1/jobs")->status, 200);
}

// A job whose cost estimate exceeds its budget is refused with the numbers; a prepaid tenant
// cannot submit work its balance does not cover. Nothing is stored for a refused job.
TEST(ServerTest, BudgetsAndPrepaidBalancesRefuseWithTheNumbers) {
  ServerProcess server(Home());
  auto admin = server.Client();
  // 4 Xeon 8380 cores (0.0736 SCU each) for 10 h at 0.025 CNY/SCU-h = 0.0736 CNY.
  auto job = [](const std::string& extra) {
    return "name: est\nresources: {cpu: 4, memory_mib: 64}\ncommand: [sleep, '1']\nruntime_s: 36000\n" + extra;
  };
  auto r = admin.Post("/v1/jobs", job("budget_cny: 0.05\n"), "application/yaml");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422) << r->body;
  EXPECT_NE(r->body.find("estimate 0.073600 CNY (1 tasks x 0.2944 SCU x 10.0000 h x 0.025000 CNY/SCU-h) exceeds its "
                         "budget_cny 0.050000"),
            std::string::npos)
      << r->body;
  EXPECT_EQ(json::parse(admin.Get("/v1/jobs")->body)["jobs"].size(), 0u);
  EXPECT_EQ(admin.Post("/v1/jobs", job("budget_cny: 0.08\n"), "application/yaml")->status, 201);
  r = admin.Post("/v1/jobs", "name: b\nresources: {cpu: 1}\ncommand: [x]\nbudget_cny: 1\n", "application/yaml");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("budget_cny': needs runtime_s"), std::string::npos) << r->body;

  // Prepaid: 0.05 CNY does not cover 0.0736; a job without a runtime starts (nothing to
  // estimate) while the balance is positive.
  ASSERT_EQ(admin.Post("/v1/tenants", json{{"id", "alpha"}}.dump(), "application/json")->status, 201);
  auto made = admin.Post("/v1/tokens", json{{"tenant", "alpha"}, {"role", "user"}}.dump(), "application/json");
  auto alpha = server.Client(json::parse(made->body)["token"].get<std::string>());
  EXPECT_EQ(alpha.Post("/v1/jobs", job(""), "application/yaml")->status, 201);  // not prepaid yet
  auto paid = admin.Post("/v1/tenants/alpha/topup", json{{"cny", 0.05}}.dump(), "application/json");
  ASSERT_EQ(paid->status, 201) << paid->body;
  EXPECT_EQ(json::parse(paid->body)["balance_cny"], "0.050000");
  r = alpha.Post("/v1/jobs", job(""), "application/yaml");
  EXPECT_EQ(r->status, 402) << r->body;
  EXPECT_NE(r->body.find("tenant 'alpha': balance 0.050000 CNY does not cover job 'est': estimate 0.073600 CNY"),
            std::string::npos)
      << r->body;
  EXPECT_EQ(alpha.Post("/v1/jobs", "name: free\nresources: {cpu: 1}\ncommand: [x]\n", "application/yaml")->status, 201);
  EXPECT_EQ(admin.Post("/v1/tenants/alpha/topup", json{{"cny", -1}}.dump(), "application/json")->status, 400);
  EXPECT_EQ(admin.Post("/v1/tenants/nobody/topup", json{{"cny", 1}}.dump(), "application/json")->status, 404);
  // The metered precision: A100s have no fp8 figure, so a job that may only use A100s cannot
  // be metered at fp8; fp64 they have; an unknown precision names the field.
  const std::string a100 = "name: p\nresources: {cpu: 1, gpus: 1, gpu_models: [A100]}\ncommand: [x]\nprecision: ";
  r = admin.Post("/v1/jobs", a100 + "fp8\n", "application/yaml");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("no GPU model this job may use in the network has a fp8 figure"), std::string::npos) << r->body;
  EXPECT_EQ(admin.Post("/v1/jobs", a100 + "fp64\n", "application/yaml")->status, 201);
  r = admin.Post("/v1/jobs", a100 + "fp99\n", "application/yaml");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("field 'precision': 'fp99' is not fp64"), std::string::npos) << r->body;
}

// The live market on a network with provider-owned sites: providers post offers only for their
// own sites, a clearing publishes a price per hub and class, the price is the engine's cost term
// and max-price filter (a job waiting for cheaper compute starts where the clearing made it
// cheap enough), and providers see only their own sites' statements.
TEST(ServerTest, TheMarketClearsOffersAgainstBidsAndPricesPlacement) {
  ServerProcess server(Home(), {"--network", SW_SOURCE_DIR "/tests/data/market-network.yaml", "--weights", "money=1"});
  auto admin = server.Client();
  std::map<std::string, std::string> token;
  for (auto [tenant, role] : std::vector<std::pair<std::string, std::string>>{
           {"gpuco", "provider"}, {"westdc", "provider"}, {"alpha", "user"}, {"beta", "user"}}) {
    ASSERT_EQ(admin.Post("/v1/tenants", json{{"id", tenant}}.dump(), "application/json")->status, 201);
    auto r = admin.Post("/v1/tokens", json{{"tenant", tenant}, {"role", role}}.dump(), "application/json");
    ASSERT_EQ(r->status, 201) << r->body;
    token[tenant] = json::parse(r->body)["token"];
  }
  auto gpuco = server.Client(token["gpuco"]), westdc = server.Client(token["westdc"]);
  auto alpha = server.Client(token["alpha"]), beta = server.Client(token["beta"]);
  auto offer = [](const std::string& site, const std::string& pool, const std::string& kind, double price, double min) {
    return json{{"site", site}, {"pool", pool}, {"kind", kind}, {"price_cny_per_scu_h", price}, {"min_price_cny_per_scu_h", min}}
        .dump();
  };
  // Only a site's owner may offer it; bad offers name the field.
  auto r = gpuco.Post("/v1/offers", offer("zw-1", "a100", "spot", 0.03, 0.02), "application/json");
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(r->body.find("site 'zw-1' belongs to 'westdc', not to 'gpuco'"), std::string::npos) << r->body;
  r = gpuco.Post("/v1/offers", offer("yrd-1", "nope", "spot", 0.03, 0.02), "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("field 'pool': site 'yrd-1' has no pool 'nope'"), std::string::npos) << r->body;
  r = gpuco.Post("/v1/offers", offer("yrd-1", "a100", "spot", 0.03, 0.05), "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("field 'min_price_cny_per_scu_h'"), std::string::npos) << r->body;
  r = gpuco.Post("/v1/offers", offer("yrd-1", "a100", "auction", 0.03, 0.02), "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(alpha.Post("/v1/offers", offer("yrd-1", "a100", "spot", 0.03, 0.02), "application/json")->status, 403);
  r = gpuco.Post("/v1/offers", offer("yrd-1", "a100", "spot", 0.03, 0.02), "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  const uint64_t gpuco_offer = json::parse(r->body)["id"];
  r = westdc.Post("/v1/offers", offer("zw-1", "a100", "on_demand", 0.015, 0.015), "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  const uint64_t westdc_offer = json::parse(r->body)["id"];
  EXPECT_EQ(json::parse(alpha.Get("/v1/offers")->body)["offers"].size(), 2u);

  // A job that pays at most 0.018 CNY/SCU-h waits while every site is at the list price (0.025).
  const std::string job =
      "name: cheap\ntasks: 1\nresources: {cpu: 8, memory_mib: 1024, gpus: 8, gpu_models: [A100]}\n"
      "command: [sleep, '1']\ntier: any\norigin: sh\nruntime_s: 3600\nmax_price_cny_per_scu_h: 0.018\n";
  r = alpha.Post("/v1/jobs", job, "application/yaml");
  ASSERT_EQ(r->status, 201) << r->body;
  const uint64_t id = json::parse(r->body)["id"];
  json queued = WaitForState(admin, id, "submitted");
  for (int i = 0; i < 100 && queued["reason"].get<std::string>().find("max_price") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    queued = json::parse(admin.Get("/v1/jobs/" + std::to_string(id))->body);
  }
  EXPECT_EQ(queued["state"], "queued") << queued.dump();
  EXPECT_NE(queued["reason"].get<std::string>().find("above the job's max_price 0.018000"), std::string::npos) << queued.dump();
  const json bids = json::parse(alpha.Get("/v1/bids")->body)["bids"];
  ASSERT_EQ(bids.size(), 1u) << bids.dump();
  EXPECT_DOUBLE_EQ(bids[0]["max_price_cny_per_scu_h"].get<double>(), 0.018);
  EXPECT_TRUE(json::parse(beta.Get("/v1/bids")->body)["bids"].empty());

  // The clearing: 8 x 312 SCU bid at 0.018 in east and west; west sells at 0.015, east (ask
  // 0.02) sells nothing. The job starts at zw-1.
  EXPECT_EQ(alpha.Post("/v1/market/clear", "", "text/plain")->status, 403);
  ASSERT_EQ(admin.Post("/v1/market/clear", "", "text/plain")->status, 202);
  json prices;
  for (int i = 0; i < 200; ++i) {
    prices = json::parse(alpha.Get("/v1/prices?class=gpu:A100")->body)["prices"];
    if (prices.size() >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(prices.size(), 2u) << prices.dump();
  std::map<std::string, json> by_hub;
  for (const json& p : prices) by_hub[p["hub"]] = p;
  EXPECT_EQ(by_hub["west"]["price_cny_per_scu_h"], "0.015000") << prices.dump();
  EXPECT_TRUE(by_hub["west"]["traded"].get<bool>());
  EXPECT_DOUBLE_EQ(by_hub["west"]["sold_scu"].get<double>(), 8 * 312);
  EXPECT_DOUBLE_EQ(by_hub["west"]["offered_scu"].get<double>(), 4 * 8 * 312);
  EXPECT_EQ(by_hub["east"]["price_cny_per_scu_h"], "0.020000");
  EXPECT_FALSE(by_hub["east"]["traded"].get<bool>());
  EXPECT_DOUBLE_EQ(by_hub["east"]["demand_scu"].get<double>(), 8 * 312);  // waiting: it bids everywhere
  json placed = WaitForState(admin, id, "queued");
  EXPECT_EQ(placed["site"], "zw-1") << placed.dump();
  ASSERT_TRUE(placed["decision"].is_object()) << placed.dump();
  bool priced = false;
  for (const json& t : placed["decision"]["terms"]) {
    if (t["name"] == "price_cny") {
      EXPECT_NEAR(t["value"].get<double>(), 8 * 312 * 0.015 + 8 * 0.0736 * 0.025, 1e-6) << t.dump();
      priced = true;
    }
  }
  EXPECT_TRUE(priced) << placed["decision"].dump();

  // Spot: westdc also sells zw-1 on spot terms with 2 s of notice; a spot job fills the rest of
  // zw-1; a job that bids more, and may run only in the west, takes its place once the notice
  // is over.
  r = westdc.Post("/v1/offers",
                  json{{"site", "zw-1"}, {"pool", "a100"}, {"kind", "spot"}, {"price_cny_per_scu_h", 0.02},
                       {"min_price_cny_per_scu_h", 0.012}, {"notice_s", 2}}.dump(),
                  "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  ASSERT_EQ(admin.Post("/v1/market/clear", "", "text/plain")->status, 202);
  for (int i = 0; i < 200 && json::parse(alpha.Get("/v1/prices?class=gpu:A100")->body)["prices"].size() < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // The job placed at zw-1 holds its GPUs there: it bids in the west's market only now.
  prices = json::parse(alpha.Get("/v1/prices?class=gpu:A100")->body)["prices"];
  ASSERT_EQ(prices.size(), 4u) << prices.dump();
  for (size_t i = 2; i < 4; ++i) by_hub[prices[i]["hub"]] = prices[i];
  EXPECT_DOUBLE_EQ(by_hub["west"]["demand_scu"].get<double>(), 8 * 312) << prices.dump();
  EXPECT_DOUBLE_EQ(by_hub["east"]["demand_scu"].get<double>(), 0) << prices.dump();
  const std::string west = "command: [sleep, '1']\ntier: any\norigin: sh\nruntime_s: 3600\nallowed_hubs: [west]\n";
  r = beta.Post("/v1/jobs", "name: spotty\ntasks: 3\nresources: {cpu: 8, memory_mib: 1024, gpus: 8}\nspot: true\n"
                            "max_price_cny_per_scu_h: 0.016\n" + west, "application/yaml");
  ASSERT_EQ(r->status, 201) << r->body;
  const uint64_t spot = json::parse(r->body)["id"];
  EXPECT_EQ(WaitForState(admin, spot, "queued")["site"], "zw-1");
  r = alpha.Post("/v1/jobs", "name: urgent\nresources: {cpu: 8, memory_mib: 1024, gpus: 8}\nmax_price_cny_per_scu_h: 0.03\n" + west,
                 "application/yaml");
  ASSERT_EQ(r->status, 201) << r->body;
  const uint64_t urgent = json::parse(r->body)["id"];
  json held;
  for (int i = 0; i < 200; ++i) {
    held = json::parse(admin.Get("/v1/jobs/" + std::to_string(urgent))->body);
    if (held["reason"].get<std::string>().find("notice") != std::string::npos || held["state"] != "queued") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(held["state"], "queued") << held.dump();
  EXPECT_EQ(held["reason"], "placed at zw-1; starts when the notice of the spot work it preempted ends (2 s)") << held.dump();
  // The spot job is back in the queue; its preempted attempt's tasks say why.
  const std::string why = WaitForTaskReason(admin, spot, "preempted");
  EXPECT_NE(why.find("spot: it bids 0.030000 > 0.016000 CNY/SCU-h"), std::string::npos) << why;
  EXPECT_NE(why.find("notice 2 s"), std::string::npos) << why;
  // After the notice (and a second) the preempting job is dispatched, after the kill.
  EXPECT_EQ(WaitForState(admin, urgent, "queued", 500)["site"], "zw-1");
  const json dispatches = json::parse(server.AgentClient("zw-1").Get("/v1/sites/zw-1/dispatches")->body)["dispatches"];
  uint64_t kill_seq = 0, run_seq = 0;
  for (const json& d : dispatches) {
    const json payload = json::parse(d["payload"].get<std::string>());
    if (payload["op"] == "kill" && payload["job"] == spot && payload.value("notice_s", 0) == 2) kill_seq = d["seq"];
    if (payload["op"] == "run" && payload["job"] == urgent) run_seq = d["seq"];
  }
  EXPECT_GT(kill_seq, 0u) << dispatches.dump();
  EXPECT_GT(run_seq, kill_seq) << dispatches.dump();

  // Reserved: alpha's CPU gang fills zw-1's CPU pool (96 cores a task: the GPU nodes have 64);
  // beta buys the pool for the next hour, paying the whole window now, and its work then
  // reclaims the pool from alpha's (requeued).
  const std::string cpu_gang = "name: cpus\ntasks: 4\nresources: {cpu: 96, memory_mib: 1024}\n" + west;
  r = alpha.Post("/v1/jobs", cpu_gang, "application/yaml");
  ASSERT_EQ(r->status, 201) << r->body;
  const uint64_t alpha_cpus = json::parse(r->body)["id"];
  EXPECT_EQ(WaitForState(admin, alpha_cpus, "queued")["site"], "zw-1");
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  r = westdc.Post("/v1/offers",
                  json{{"site", "zw-1"}, {"pool", "cpu"}, {"kind", "reserved"}, {"price_cny_per_scu_h", 0.02},
                       {"until_ms", now_ms + 3'600'000}}.dump(),
                  "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  const uint64_t reserved = json::parse(r->body)["id"];
  r = beta.Post("/v1/offers/" + std::to_string(reserved) + "/reserve", "", "text/plain");
  ASSERT_EQ(r->status, 200) << r->body;
  const json bought = json::parse(r->body);
  EXPECT_EQ(bought["reserved_for"], "beta");
  // 4 nodes x 96 cores x 0.0736 SCU x 0.02 CNY/SCU-h for (just under) an hour.
  const double charged = std::stod(bought["charged_cny"].get<std::string>());
  EXPECT_LE(charged, 4 * 96 * 0.0736 * 0.02 + 1e-6);
  EXPECT_GT(charged, 4 * 96 * 0.0736 * 0.02 * 0.99);
  EXPECT_EQ(alpha.Post("/v1/offers/" + std::to_string(reserved) + "/reserve", "", "text/plain")->status, 409);
  EXPECT_EQ(westdc.Post("/v1/offers/" + std::to_string(reserved) + "/withdraw", "", "text/plain")->status, 409);
  const json beta_invoice = json::parse(beta.Get("/v1/invoices/beta")->body);
  EXPECT_EQ(beta_invoice["charges_cny"], bought["charged_cny"]) << beta_invoice.dump();
  r = beta.Post("/v1/jobs", "name: mine\nresources: {cpu: 96, memory_mib: 1024}\n" + west, "application/yaml");
  ASSERT_EQ(r->status, 201) << r->body;
  const uint64_t beta_cpus = json::parse(r->body)["id"];
  EXPECT_EQ(WaitForState(admin, beta_cpus, "queued")["site"], "zw-1");
  const std::string reclaimed = WaitForTaskReason(admin, alpha_cpus, "reserved");
  EXPECT_NE(reclaimed.find("reserved: tenant 'beta' holds pool cpu of site zw-1"), std::string::npos) << reclaimed;
  r = westdc.Post("/v1/offers",
                  json{{"site", "zw-1"}, {"pool", "cpu"}, {"kind", "reserved"}, {"price_cny_per_scu_h", 0.02}}.dump(),
                  "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("a reserved offer needs a window that ends in the future"), std::string::npos) << r->body;

  // Statements: a provider reads its own site's only; users none.
  const json statement = json::parse(westdc.Get("/v1/statements/zw-1")->body);
  EXPECT_NE(statement["earned_cny"], "0.000000") << statement.dump();  // 95 % of the reservation
  EXPECT_EQ(westdc.Get("/v1/statements/yrd-1")->status, 403);
  EXPECT_EQ(alpha.Get("/v1/statements/zw-1")->status, 403);
  EXPECT_EQ(admin.Get("/v1/statements/zw-1")->status, 200);
  // Withdrawing: only one's own offer.
  EXPECT_EQ(gpuco.Post("/v1/offers/" + std::to_string(westdc_offer) + "/withdraw", "", "text/plain")->status, 404);
  EXPECT_EQ(gpuco.Post("/v1/offers/" + std::to_string(gpuco_offer) + "/withdraw", "", "text/plain")->status, 200);
  EXPECT_EQ(gpuco.Post("/v1/offers/" + std::to_string(gpuco_offer) + "/withdraw", "", "text/plain")->status, 409);
  EXPECT_EQ(json::parse(alpha.Get("/v1/offers")->body)["offers"].size(), 3u);  // westdc's three
  // The CLI shows the same.
  CliRun shown = Cli(server.url(), "prices --hub west", token["alpha"]);
  EXPECT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("0.015000"), std::string::npos) << shown.output;
  EXPECT_EQ(Cli(server.url(), "market clear", server.admin_token()).exit_code, 0);
  EXPECT_EQ(Cli(server.url(), "market clear", token["alpha"]).exit_code, 2);  // 403
  CliRun offers = Cli(server.url(), "offers --all -o json", token["gpuco"]);
  EXPECT_EQ(offers.exit_code, 0) << offers.output;
  EXPECT_EQ(json::parse(offers.output)["offers"].size(), 1u) << offers.output;  // its own, withdrawn
}

TEST(ServerTest, AuditVerifyDetectsTampering) {
  const std::string home = Home();
  {
    ServerProcess server(home);
    auto c = server.Client();
    for (int i = 0; i < 3; ++i) ASSERT_EQ(c.Post("/v1/jobs", kGang, "application/yaml")->status, 201);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the decisions land
  }
  CliRun ok = Cli("", "audit verify --home " + home);
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_TRUE(ok.output.starts_with("audit log: ")) << ok.output;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((home + "/suanwang.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE audit SET detail = 'forged' WHERE seq = 2", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  CliRun bad = Cli("", "audit verify --home " + home);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.output, "error: audit entry 2: hash does not match its contents (altered)\n");
}

// docs/openapi.yaml lists exactly the routes the server serves, and each one answers.
TEST(ServerTest, OpenApiDocumentMatchesTheLiveRoutes) {
  YAML::Node doc = YAML::LoadFile(SW_SOURCE_DIR "/docs/openapi.yaml");
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& path : doc["paths"]) {
    for (const auto& op : path.second) {
      std::string method = op.first.as<std::string>();
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.emplace(method, path.first.as<std::string>());
    }
  }
  const auto& routes = suanwang::ApiRoutes();
  const std::set<std::pair<std::string, std::string>> served(routes.begin(), routes.end());
  EXPECT_EQ(documented, served);
  ServerProcess server(Home());
  auto c = server.Client();
  for (const auto& [method, path] : routes) {
    std::string concrete = path;
    if (auto at = concrete.find("{id}"); at != std::string::npos) concrete.replace(at, 4, "1");
    auto r = method == "GET" ? c.Get(concrete) : c.Post(concrete, "{}", "application/json");
    ASSERT_TRUE(r) << method << " " << concrete;
    EXPECT_EQ(r->body.find("no route for"), std::string::npos) << method << " " << concrete << ": " << r->body;
  }
}

}  // namespace
