#include "agent/cgroup_v1.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "agent/cgroup_files.h"

namespace suanwang {
namespace {

constexpr const char* kControllers[] = {"memory", "pids", "cpu"};

// The agent's own group in the hierarchy of `controller` ("/" at the root), from /proc/self/cgroup
// ("ID:CONTROLLER[,CONTROLLER..]:PATH" per line); empty when the controller is not mounted (v1).
std::string OwnGroup(const std::string& controller) {
  std::istringstream lines(ReadCgroupFile("/proc/self/cgroup"));
  std::string line;
  while (std::getline(lines, line)) {
    const auto first = line.find(':');
    const auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::istringstream names(line.substr(first + 1, second - first - 1));
    std::string name;
    while (std::getline(names, name, ',')) {
      if (name == controller) return line.substr(second + 1);
    }
  }
  return "";
}

// Kills every process listed in `dir`/cgroup.procs until none is left (a bounded number of rounds).
void KillMembers(const std::string& dir) {
  for (int round = 0; round < 50; ++round) {
    std::istringstream procs(ReadCgroupFile(dir + "/cgroup.procs"));
    bool any = false;
    for (int pid = 0; procs >> pid;) {
      if (pid > 0) ::kill(pid, SIGKILL);
      any = true;
    }
    if (!any) return;
    ::usleep(2000);
  }
}

}  // namespace

Result<TaskCgroupV1> TaskCgroupV1::Create(const std::string& name, int64_t cpu_milli, int64_t memory_mib,
                                          int64_t pids_max) {
  std::vector<std::string> paths;
  std::vector<int> fds;
  auto fail = [&](const std::string& why) -> Result<TaskCgroupV1> {
    TaskCgroupV1 partial(std::move(paths), std::move(fds));
    partial.Remove();
    return MakeError(ErrorCode::kUnavailable, "cgroup v1: " + why);
  };
  for (const char* controller : kControllers) {
    const std::string own = OwnGroup(controller);
    if (own.empty()) return fail(std::string("the ") + controller + " controller is not mounted (v1)");
    const std::string path = "/sys/fs/cgroup/" + std::string(controller) + (own == "/" ? "" : own) + "/" + name;
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return fail(path + ": " + std::strerror(errno));
    paths.push_back(path);
    KillMembers(path);  // a group left by an agent that died keeps nothing running
    std::string why;
    bool ok = true;
    if (std::string(controller) == "memory") {
      const std::string bytes = memory_mib > 0 ? std::to_string(memory_mib * 1024 * 1024) : "-1";
      ok = WriteCgroupFile(path + "/memory.limit_in_bytes", bytes, &why);
      // Where swap is accounted, the same figure for memory+swap: the task cannot swap past it.
      if (ok && ::access((path + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0) {
        ok = WriteCgroupFile(path + "/memory.memsw.limit_in_bytes", bytes, &why);
      }
    } else if (std::string(controller) == "pids") {
      ok = WriteCgroupFile(path + "/pids.max", pids_max > 0 ? std::to_string(pids_max) : "max", &why);
    } else {
      // cfs quota in microseconds per 100 ms period: 1000 milli-cores = one full period.
      ok = WriteCgroupFile(path + "/cpu.cfs_period_us", "100000", &why) &&
           WriteCgroupFile(path + "/cpu.cfs_quota_us",
                     cpu_milli > 0 ? std::to_string(std::max<int64_t>(1000, cpu_milli * 100)) : "-1", &why);
    }
    if (!ok) return fail(why);
    const int fd = ::open((path + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return fail(path + "/cgroup.procs: " + std::strerror(errno));
    fds.push_back(fd);
  }
  return TaskCgroupV1(std::move(paths), std::move(fds));
}

Result<void> TaskCgroupV1::Probe() {
  SW_TRY(group, Create("suanwang-probe-" + std::to_string(::getpid()), 1000, 64, 16));
  group.Remove();
  return {};
}

TaskCgroupV1::TaskCgroupV1(TaskCgroupV1&& other) noexcept
    : paths_(std::exchange(other.paths_, {})), procs_fds_(std::exchange(other.procs_fds_, {})) {}

TaskCgroupV1& TaskCgroupV1::operator=(TaskCgroupV1&& other) noexcept {
  if (this != &other) {
    Remove();
    paths_ = std::exchange(other.paths_, {});
    procs_fds_ = std::exchange(other.procs_fds_, {});
  }
  return *this;
}

TaskCgroupV1::~TaskCgroupV1() { Remove(); }

int64_t TaskCgroupV1::PeakMemoryKib() const {
  if (paths_.empty()) return 0;
  const std::string peak = ReadCgroupFile(paths_[0] + "/memory.max_usage_in_bytes");
  return peak.empty() ? 0 : std::strtoll(peak.c_str(), nullptr, 10) / 1024;
}

bool TaskCgroupV1::OomKilled() const {
  if (paths_.empty()) return false;
  return CountsOomKill(ReadCgroupFile(paths_[0] + "/memory.oom_control"));
}

void TaskCgroupV1::Remove() {
  for (int fd : procs_fds_) ::close(fd);
  procs_fds_.clear();
  for (const std::string& path : paths_) {
    KillMembers(path);
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (::rmdir(path.c_str()) == 0 || errno == ENOENT) break;
      ::usleep(2000);
    }
  }
  paths_.clear();
}

}  // namespace suanwang
