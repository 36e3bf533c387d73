#include "cli/client_commands.h"

#include <httplib.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/http_client.h"
#include "sim/files.h"

namespace suanwang {
namespace {

using json = nlohmann::json;

int ExitFor(const httplib::Result& r, const std::string& url) {
  if (!r) {
    std::fprintf(stderr, "error: cannot reach the server at %s: %s (set SUANWANG_URL or --url)\n", url.c_str(),
                 httplib::to_string(r.error()).c_str());
    return 3;
  }
  if (r->status < 400) return 0;
  std::string detail = r->body;
  try {
    json problem = json::parse(r->body);
    detail = problem.value("detail", r->body);
    if (problem.contains("invalid-params")) {
      for (const auto& p : problem["invalid-params"]) {
        detail += "\n  field " + p.value("name", "?") + ": " + p.value("reason", "?");
      }
    }
  } catch (const json::exception&) {
  }
  std::fprintf(stderr, "error: %d: %s\n", r->status, detail.c_str());
  return r->status >= 500 ? 1 : 2;
}

std::string Yaml(const json& j, int indent = 0) {
  std::string pad(static_cast<size_t>(indent), ' '), out;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (v.is_structured() && !v.empty()) {
        out += pad + k + ":\n" + Yaml(v, indent + 2);
      } else {
        out += pad + k + ": " + (v.is_string() ? json(v).dump() : v.dump()) + "\n";
      }
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      std::string item = Yaml(v, indent + 2);
      if (item.size() > static_cast<size_t>(indent) + 2) item.replace(static_cast<size_t>(indent), 2, "- ");
      out += item;
    }
  } else {
    out += pad + j.dump() + "\n";
  }
  return out;
}

void PrintJobs(const json& jobs, const std::string& output) {
  if (output == "json") {
    std::printf("%s\n", jobs.dump(2).c_str());
    return;
  }
  if (output == "yaml") {
    std::printf("%s", Yaml(jobs).c_str());
    return;
  }
  std::printf("%-8s %-24s %-10s %-10s %s\n", "ID", "NAME", "STATE", "SITE", "REASON");
  for (const auto& j : jobs) {
    std::string reason = j.value("reason", "");
    if (reason.size() > 70) reason = reason.substr(0, 67) + "...";
    std::printf("%-8llu %-24s %-10s %-10s %s\n", j["id"].get<unsigned long long>(), j.value("name", "").c_str(),
                j.value("state", "").c_str(), j["site"].is_null() ? "-" : j["site"].get<std::string>().c_str(),
                reason.c_str());
  }
}

bool ValidOutput(const std::string& o) {
  if (o == "table" || o == "json" || o == "yaml") return true;
  std::fprintf(stderr, "error: -o '%s': expected table, json or yaml\n", o.c_str());
  return false;
}

}  // namespace

int RunSubmit(const ClientOptions& o, const std::string& file, const std::string& key) {
  if (!ValidOutput(o.output)) return 2;
  auto text = ReadTextFile(file);
  if (!text) {
    std::fprintf(stderr, "error: %s\n", text.error().message.c_str());
    return 2;
  }
  const Endpoint e = ResolveEndpoint(o.url, o.token);
  auto client = MakeClient(e);
  httplib::Headers headers;
  if (!key.empty()) headers.emplace("Idempotency-Key", key);
  const bool is_json = file.ends_with(".json");
  auto r = client->Post("/v1/jobs", headers, *text, is_json ? "application/json" : "application/yaml");
  if (int code = ExitFor(r, e.url); code != 0) return code;
  PrintJobs(json::array({json::parse(r->body)}), o.output);
  return 0;
}

int RunJobs(const ClientOptions& o, const std::string& state, bool all) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token);
  auto client = MakeClient(e);
  json jobs = json::array();
  std::string after = "0";
  do {
    std::string path = "/v1/jobs?limit=1000&after=" + after;
    if (!state.empty()) path += "&state=" + state;
    auto r = client->Get(path);
    if (int code = ExitFor(r, e.url); code != 0) return code;
    json page = json::parse(r->body);
    for (auto& j : page["jobs"]) jobs.push_back(j);
    after = page["next_after"].is_null() ? "" : std::to_string(page["next_after"].get<unsigned long long>());
  } while (all && !after.empty());
  PrintJobs(jobs, o.output);
  return 0;
}

int RunJob(const ClientOptions& o, const std::string& id) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token);
  auto r = MakeClient(e)->Get("/v1/jobs/" + id);
  if (int code = ExitFor(r, e.url); code != 0) return code;
  json job = json::parse(r->body);
  if (o.output == "table") {
    std::printf("%s", Yaml(job).c_str());
  } else {
    PrintJobs(job, o.output);
  }
  return 0;
}

int RunCancel(const ClientOptions& o, const std::string& id) {
  if (!ValidOutput(o.output)) return 2;
  const Endpoint e = ResolveEndpoint(o.url, o.token);
  auto r = MakeClient(e)->Post("/v1/jobs/" + id + "/cancel", "", "text/plain");
  if (int code = ExitFor(r, e.url); code != 0) return code;
  PrintJobs(json::array({json::parse(r->body)}), o.output);
  return 0;
}

}  // namespace suanwang
