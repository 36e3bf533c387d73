#include "agent/confinement.h"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "agent/cgroup_v1.h"

namespace suanwang {

const char* LimitEnforcementName(LimitEnforcement e) {
  switch (e) {
    case LimitEnforcement::kCgroup2: return "cgroup2";
    case LimitEnforcement::kCgroup1: return "cgroup1";
    case LimitEnforcement::kRlimit: return "rlimit";
    case LimitEnforcement::kNone: return "none";
  }
  return "none";
}

bool CanConfineTasks() {
  if (::geteuid() == 0) return true;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with("CapEff:")) continue;
    const uint64_t caps = std::strtoull(line.c_str() + 7, nullptr, 16);
    constexpr int kChown = 0, kSetgid = 6, kSetuid = 7, kSysAdmin = 21;
    for (int cap : {kChown, kSetgid, kSetuid, kSysAdmin}) {
      if ((caps & (uint64_t{1} << cap)) == 0) return false;
    }
    return true;
  }
  return false;
}

LimitEnforcement DetectLimitEnforcement(const std::optional<std::string>& cgroup2_parent, bool confined,
                                        std::string* why) {
  if (cgroup2_parent) return LimitEnforcement::kCgroup2;
  auto v1 = TaskCgroupV1::Probe();
  if (v1) return LimitEnforcement::kCgroup1;
  if (why) *why = "no SUANWANG_CGROUP_PARENT (cgroup v2); " + v1.error().message;
  return confined ? LimitEnforcement::kRlimit : LimitEnforcement::kNone;
}

}  // namespace suanwang
