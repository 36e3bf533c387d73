#include "agent/agent_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace suanwang {

using nlohmann::json;

Result<AgentState> LoadAgentState(const std::string& path) {
  AgentState state;
  if (!std::filesystem::exists(path)) return state;
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kUnavailable, path + ": cannot read: " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  try {
    json j = json::parse(text.str());
    state.synced = j.value("synced", false);
    state.last_seq = j.at("last_seq").get<uint64_t>();
    for (const auto& [key, t] : j.at("tasks").items()) {
      state.tasks[key] = AgentTask{t.at("job").get<uint64_t>(),   t.at("task").get<int>(),
                                   t.at("attempt").get<uint64_t>(), t.at("handle").get<std::string>(),
                                   t.at("workdir").get<std::string>(),
                                   t.at("started_ms").get<int64_t>(), t.at("kill_requested").get<bool>(),
                                   t.value("fenced", false)};
    }
    auto reports = ParseReports(json{{"agent", ""}, {"reports", j.at("unsent")}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (!reports) return MakeError(ErrorCode::kInvalidArgument, path + ": unsent reports: " + reports.error().message);
    state.unsent = std::move(reports->reports);
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, path + ": not an agent state file: " + e.what());
  }
  return state;
}

Result<void> SaveAgentState(const std::string& path, const AgentState& state) {
  json tasks = json::object();
  for (const auto& [key, t] : state.tasks) {
    tasks[key] = {{"job", t.job},
                  {"task", t.task},
                  {"attempt", t.attempt},
                  {"handle", t.handle},
                  {"workdir", t.workdir},
                  {"started_ms", t.started_ms},
                  {"kill_requested", t.kill_requested},
                  {"fenced", t.fenced}};
  }
  json unsent = json::parse(FormatReports(ReportBatch{"", state.unsent})).at("reports");
  const std::string text =
      json{{"synced", state.synced}, {"last_seq", state.last_seq}, {"tasks", tasks}, {"unsent", unsent}}.dump(-1, ' ', false,
                                                                                     json::error_handler_t::replace);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return MakeError(ErrorCode::kUnavailable, tmp + ": cannot write: " + std::strerror(errno));
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return MakeError(ErrorCode::kUnavailable, tmp + ": cannot write: " + why);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return MakeError(ErrorCode::kUnavailable, tmp + ": cannot sync: " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return MakeError(ErrorCode::kUnavailable, path + ": cannot replace: " + std::strerror(errno));
  }
  return {};
}

}  // namespace suanwang
