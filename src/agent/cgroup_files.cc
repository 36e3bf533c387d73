#include "agent/cgroup_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

namespace suanwang {

std::string ReadCgroupFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool WriteCgroupFile(const std::string& path, const std::string& value, std::string* why) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  const bool ok = fd >= 0 && ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  if (!ok) *why = path + ": " + std::strerror(errno);
  if (fd >= 0) ::close(fd);
  return ok;
}

bool CountsOomKill(const std::string& events) {
  std::istringstream lines(events);
  std::string key;
  int64_t count = 0;
  while (lines >> key >> count) {
    if (key == "oom_kill" && count > 0) return true;
  }
  return false;
}

}  // namespace suanwang
