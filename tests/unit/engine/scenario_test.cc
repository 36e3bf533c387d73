// Runs every tests/scenarios/*.scenario file against the real engine: events in, and the
// commands that must come out, in order. Format (one directive per line, # comments):
//   network FILE                 a network YAML under tests/data/
//   policy NAME                  node policy (default bestfit)
//   quota TENANT gpus=G cores=C  tenant caps
//   preemption on|off
//   at MS submit id=N [tenant=T tasks=K cores=C mem_gib=M gpus=G share=MILLI models=A|B
//                      tier=t1 origin=PLACE priority=P data=PLACE:GB hubs=H1,H2]
//   at MS finish N | at MS cancel N
//   at MS site ID down|up        the site loses or regains its agent
//   at MS restore id=N site=ID [job args as submit]   the host says N already runs at ID
//   at MS nodes ID count=N cores=C mem_gib=M [gpus=G model=X]  the site's host registered
//                                these nodes (they replace its inventory once nothing runs there)
//   expect KIND JOB [site=ID] [reason~TEXT]   one line per command, in order
//   expect error TEXT                          the event was refused with this message
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/scheduler.h"
#include "sim/files.h"

namespace suanwang {
namespace {

std::vector<std::string> ScenarioFiles() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(SW_SOURCE_DIR "/tests/scenarios")) {
    if (e.path().extension() == ".scenario") files.push_back(e.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::map<std::string, std::string> Args(std::istringstream& in) {
  std::map<std::string, std::string> args;
  std::string word;
  while (in >> word) {
    auto eq = word.find('=');
    if (eq == std::string::npos) {
      args[word] = "";
    } else {
      args[word.substr(0, eq)] = word.substr(eq + 1);
    }
  }
  return args;
}

class ScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioTest, CommandsMatch) {
  std::ifstream file(SW_SOURCE_DIR "/tests/scenarios/" + GetParam());
  ASSERT_TRUE(file);
  Network network;
  GpuModelTable models;
  SchedulerConfig config;
  config.node_policy = "bestfit";
  std::unique_ptr<Scheduler> scheduler;
  std::vector<Command> pending;
  std::string pending_error;
  size_t next = 0;
  std::string line;
  int lineno = 0;
  auto ensure = [&] {
    if (scheduler) return;
    auto s = Scheduler::Create(network, models, config, PolicyContext{});
    ASSERT_TRUE(s) << s.error().message;
    scheduler = std::move(*s);
  };
  auto flush = [&] {
    EXPECT_EQ(next, pending.size()) << GetParam() << ": " << pending.size() - next
                                    << " command(s) not expected before line " << lineno
                                    << (next < pending.size() ? ", first: " +
                                        std::string(CommandKindName(pending[next].kind)) + " " +
                                        std::to_string(pending[next].job) + " " + pending[next].reason : "");
    EXPECT_TRUE(pending_error.empty()) << GetParam() << ": unexpected error " << pending_error;
  };
  while (std::getline(file, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string directive;
    in >> directive;
    const std::string where = GetParam() + ":" + std::to_string(lineno);
    if (directive == "network") {
      std::string name;
      in >> name;
      auto loaded = LoadNetworkFile(SW_SOURCE_DIR "/tests/data/" + name);
      ASSERT_TRUE(loaded) << loaded.error().message;
      network = std::move(*loaded);
    } else if (directive == "policy") {
      in >> config.node_policy;
    } else if (directive == "preemption") {
      std::string v;
      in >> v;
      config.preemption = v == "on";
    } else if (directive == "quota") {
      std::string tenant;
      in >> tenant;
      auto args = Args(in);
      TenantQuota q;
      if (args.contains("gpus")) q.gpu_milli = static_cast<int64_t>(std::stod(args["gpus"]) * 1000);
      if (args.contains("cores")) q.cpu_milli = static_cast<int64_t>(std::stod(args["cores"]) * 1000);
      config.quotas[tenant] = q;
    } else if (directive == "at") {
      ensure();
      flush();
      pending.clear();
      pending_error.clear();
      next = 0;
      Timestamp now = 0;
      std::string what;
      in >> now >> what;
      Result<std::vector<Command>> result;
      if (what == "submit" || what == "restore") {
        auto a = Args(in);
        JobSpec j;
        j.id = std::stoull(a["id"]);
        j.tenant = a.contains("tenant") ? a["tenant"] : "default";
        j.tasks = a.contains("tasks") ? std::stoi(a["tasks"]) : 1;
        j.task.cpu_milli = static_cast<int64_t>(std::stod(a.contains("cores") ? a["cores"] : "1") * 1000);
        j.task.memory_mib = static_cast<int64_t>(std::stod(a.contains("mem_gib") ? a["mem_gib"] : "1") * 1024);
        j.task.gpu_count = a.contains("gpus") ? std::stoi(a["gpus"]) : 0;
        j.task.gpu_milli = j.task.gpu_count ? (a.contains("share") ? std::stoi(a["share"]) : 1000) : 0;
        if (a.contains("models")) j.task.gpu_models = *models.ParseMask(a["models"]);
        j.tier = a.contains("tier") ? *ParseTier(a["tier"]) : Tier::kAny;
        j.origin = a["origin"];
        j.priority = a.contains("priority") ? std::stoi(a["priority"]) : 0;
        if (a.contains("data")) {
          auto colon = a["data"].find(':');
          j.data_place = a["data"].substr(0, colon);
          j.data_gb = std::stod(a["data"].substr(colon + 1));
        }
        if (a.contains("hubs")) {
          std::stringstream hubs(a["hubs"]);
          std::string hub;
          while (std::getline(hubs, hub, ',')) j.allowed_hubs.push_back(hub);
        }
        j.submit_ms = now;
        if (what == "restore") {
          auto site = network.SiteIndex(a["site"]);
          ASSERT_TRUE(site) << where << ": no site '" << a["site"] << "'";
          result = scheduler->Apply(RestoreJob{j, *site}, now);
        } else {
          result = scheduler->Apply(SubmitJob{j}, now);
        }
      } else if (what == "finish" || what == "cancel") {
        JobId id = 0;
        in >> id;
        result = what == "finish" ? scheduler->Apply(JobFinished{id}, now) : scheduler->Apply(CancelJob{id}, now);
      } else if (what == "nodes") {
        std::string id;
        in >> id;
        auto a = Args(in);
        auto index = network.SiteIndex(id);
        ASSERT_TRUE(index) << where << ": no site '" << id << "'";
        Pool pool{"registered", std::stoll(a["count"]), static_cast<int64_t>(std::stod(a["cores"]) * 1000),
                  static_cast<int64_t>(std::stod(a["mem_gib"]) * 1024), a.contains("gpus") ? std::stoi(a["gpus"]) : 0,
                  a.contains("model") ? a["model"] : ""};
        auto nodes = PoolNodes(id, {pool}, models);
        ASSERT_TRUE(nodes) << where << ": " << nodes.error().message;
        result = scheduler->Apply(SiteNodes{*index, *nodes}, now);
      } else if (what == "site") {
        std::string id, status;
        in >> id >> status;
        auto index = network.SiteIndex(id);
        ASSERT_TRUE(index) << where << ": no site '" << id << "'";
        result = scheduler->Apply(SiteStatus{*index, status == "up"}, now);
      } else {
        FAIL() << where << ": unknown event '" << what << "'";
      }
      if (result) {
        pending = std::move(*result);
      } else {
        pending_error = result.error().message;
      }
    } else if (directive == "expect") {
      std::string kind;
      in >> kind;
      if (kind == "error") {
        std::string text;
        std::getline(in, text);
        text.erase(0, text.find_first_not_of(' '));
        EXPECT_EQ(pending_error, text) << where;
        pending_error.clear();
        continue;
      }
      ASSERT_LT(next, pending.size()) << where << ": expected '" << line << "' but no more commands";
      const Command& c = pending[next++];
      JobId job = 0;
      in >> job;
      EXPECT_EQ(CommandKindName(c.kind), kind) << where << " (" << c.reason << ")";
      EXPECT_EQ(c.job, job) << where;
      std::string rest;
      std::getline(in, rest);
      if (auto s = rest.find("site="); s != std::string::npos) {
        std::string site = rest.substr(s + 5, rest.find(' ', s) == std::string::npos ? std::string::npos : rest.find(' ', s) - s - 5);
        ASSERT_TRUE(c.site.has_value()) << where;
        EXPECT_EQ(network.sites[*c.site].id, site) << where;
      }
      if (auto r = rest.find("reason~"); r != std::string::npos) {
        std::string text = rest.substr(r + 7);
        EXPECT_NE(c.reason.find(text), std::string::npos) << where << ": reason was: " << c.reason;
      }
      if (kind == "start") {
        EXPECT_FALSE(c.placements.empty()) << where;
      }
    } else {
      FAIL() << where << ": unknown directive '" << directive << "'";
    }
  }
  flush();
}

INSTANTIATE_TEST_SUITE_P(Files, ScenarioTest, ::testing::ValuesIn(ScenarioFiles()),
                         [](const auto& param_info) {
                           std::string name = param_info.param.substr(0, param_info.param.find('.'));
                           for (char& c : name) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace suanwang
