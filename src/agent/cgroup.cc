#include "agent/cgroup.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/cgroup_files.h"

namespace suanwang {
namespace {

// cpu.max takes "quota period" in microseconds: 1000 milli-cores = one full period.
std::string CpuMax(int64_t cpu_milli) {
  if (cpu_milli <= 0) return "max 100000";
  const int64_t quota = std::max<int64_t>(1000, cpu_milli * 100);
  return std::to_string(quota) + " 100000";
}

}  // namespace

std::optional<std::string> TaskCgroup::ParentFromEnvironment() {
  const char* parent = std::getenv("SUANWANG_CGROUP_PARENT");
  if (parent == nullptr || *parent == '\0') return std::nullopt;
  return std::string(parent);
}

Result<TaskCgroup> TaskCgroup::Create(const std::string& parent, const std::string& name,
                                      int64_t cpu_milli, int64_t memory_mib, int64_t pids_max) {
  const std::string controllers = ReadCgroupFile(parent + "/cgroup.subtree_control");
  if (controllers.find("memory") == std::string::npos ||
      controllers.find("cpu") == std::string::npos) {
    return MakeError(ErrorCode::kUnavailable,
                     "cgroup v2 parent '" + parent +
                         "': cpu and memory controllers are not enabled in cgroup.subtree_control");
  }
  const std::string path = parent + "/" + name;
  std::error_code ec;
  std::filesystem::create_directory(path, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable, "cgroup '" + path + "': " + ec.message());
  }
  std::string why;
  const std::string memory =
      memory_mib > 0 ? std::to_string(memory_mib * 1024 * 1024) : std::string("max");
  if (!WriteCgroupFile(path + "/cpu.max", CpuMax(cpu_milli), &why) ||
      !WriteCgroupFile(path + "/memory.max", memory, &why) ||
      !WriteCgroupFile(path + "/memory.swap.max", "0", &why) ||
      (controllers.find("pids") != std::string::npos &&
       !WriteCgroupFile(path + "/pids.max", pids_max > 0 ? std::to_string(pids_max) : "max", &why))) {
    std::filesystem::remove(path, ec);
    return MakeError(ErrorCode::kUnavailable, "cgroup limits: " + why);
  }
  const int fd = ::open((path + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    std::filesystem::remove(path, ec);
    return MakeError(ErrorCode::kUnavailable,
                     "cgroup '" + path + "/cgroup.procs': " + std::strerror(errno));
  }
  return TaskCgroup(path, fd);
}

TaskCgroup::TaskCgroup(TaskCgroup&& other) noexcept
    : path_(std::move(other.path_)), procs_fd_(std::exchange(other.procs_fd_, -1)) {
  other.path_.clear();
}

TaskCgroup& TaskCgroup::operator=(TaskCgroup&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    other.path_.clear();
    procs_fd_ = std::exchange(other.procs_fd_, -1);
  }
  return *this;
}

TaskCgroup::~TaskCgroup() { Remove(); }

int64_t TaskCgroup::PeakMemoryKib() const {
  if (path_.empty()) return 0;
  const std::string peak = ReadCgroupFile(path_ + "/memory.peak");
  return peak.empty() ? 0 : std::strtoll(peak.c_str(), nullptr, 10) / 1024;
}

bool TaskCgroup::OomKilled() const {
  if (path_.empty()) return false;
  return CountsOomKill(ReadCgroupFile(path_ + "/memory.events"));
}

void TaskCgroup::Remove() {
  if (procs_fd_ >= 0) ::close(std::exchange(procs_fd_, -1));
  if (path_.empty()) return;
  std::string why;
  WriteCgroupFile(path_ + "/cgroup.kill", "1", &why);  // kernels before 5.14 lack it; rmdir then fails
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (::rmdir(path_.c_str()) == 0 || errno == ENOENT) break;
    ::usleep(2000);
  }
  path_.clear();
}

}  // namespace suanwang
