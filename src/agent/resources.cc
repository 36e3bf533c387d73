#include "agent/resources.h"

#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace suanwang {
namespace {

using nlohmann::json;

int64_t MemoryMib() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemTotal:") return kib / 1024;
  }
  return 0;
}

int CpuCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
}

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// "NVIDIA A100-SXM4-80GB, 81920" per line.
json NvidiaGpus() {
  json gpus = json::array();
  if (!OnPath("nvidia-smi")) return gpus;
  FILE* pipe = popen("nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits 2>/dev/null", "r");
  if (!pipe) return gpus;
  char line[512];
  while (std::fgets(line, sizeof line, pipe)) {
    std::string text(line);
    const auto comma = text.rfind(',');
    if (comma == std::string::npos) continue;
    std::string name = text.substr(0, comma);
    int64_t memory = std::atoll(text.c_str() + comma + 1);
    gpus.push_back({{"model", name}, {"memory_mib", memory}});
  }
  pclose(pipe);
  return gpus;
}

}  // namespace

std::string DiscoverResources() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return json{{"source", "discovered"},
              {"hostname", host},
              {"cpu_cores", CpuCores()},
              {"memory_mib", MemoryMib()},
              {"gpus", NvidiaGpus()}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::string> ReadDeclaredResources(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kUnavailable, path + ": cannot read the resources file");
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, path + ": expected a JSON object of resources");
  }
  for (const char* number : {"cpu_cores", "memory_mib"}) {
    if (j.contains(number) && !j[number].is_number()) {
      return MakeError(ErrorCode::kInvalidArgument, path + ": field '" + number + "': expected a number");
    }
  }
  if (j.contains("gpus") && !j["gpus"].is_array()) {
    return MakeError(ErrorCode::kInvalidArgument, path + ": field 'gpus': expected a list");
  }
  j["source"] = "declared";
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string WithConfinement(const std::string& resources_json, const std::string& confinement,
                            const std::string& limits) {
  nlohmann::json j = nlohmann::json::parse(resources_json, nullptr, false);
  if (!j.is_object()) j = nlohmann::json::object();
  j["confinement"] = confinement;
  j["limits"] = limits;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace suanwang
