// cgroup v1 limits for one task, where the machine mounts the v1 `memory`, `pids` and `cpu`
// controllers read-write (under /sys/fs/cgroup/CONTROLLER) and the agent may create groups there
// (root). The task's group is made inside the agent's own group of each hierarchy (read from
// /proc/self/cgroup), so whatever limits the agent itself runs under still hold for its tasks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace suanwang {

class TaskCgroupV1 {
 public:
  // Creates a group `name` in each of the memory, pids and cpu hierarchies with
  // memory.limit_in_bytes (and memory.memsw.limit_in_bytes where swap is accounted, so the
  // task cannot swap past it) = memory_mib, pids.max = pids_max, cpu.cfs_quota_us for
  // cpu_milli over a 100 ms period (0 = unlimited for each), and opens each cgroup.procs for the
  // child to join. Errors: kUnavailable (a controller is not mounted or not writable; the
  // message names the file and the reason). Nothing is left behind after an error.
  static Result<TaskCgroupV1> Create(const std::string& name, int64_t cpu_milli, int64_t memory_mib,
                                     int64_t pids_max);
  // Whether groups can be created here: makes and removes a probe group. Errors: as Create.
  static Result<void> Probe();

  TaskCgroupV1(TaskCgroupV1&& other) noexcept;
  TaskCgroupV1& operator=(TaskCgroupV1&& other) noexcept;
  TaskCgroupV1(const TaskCgroupV1&) = delete;
  TaskCgroupV1& operator=(const TaskCgroupV1&) = delete;
  ~TaskCgroupV1();

  // Descriptors on the groups' cgroup.procs; the child writes "0" to each to join before exec.
  const std::vector<int>& procs_fds() const { return procs_fds_; }
  // memory.max_usage_in_bytes in KiB (0 when unknown).
  int64_t PeakMemoryKib() const;
  // Whether the OOM killer acted inside the memory group (memory.oom_control's oom_kill).
  bool OomKilled() const;
  // Kills what is left in the groups (SIGKILL to each member) and removes the directories.
  void Remove();

 private:
  TaskCgroupV1(std::vector<std::string> paths, std::vector<int> fds)
      : paths_(std::move(paths)), procs_fds_(std::move(fds)) {}
  std::vector<std::string> paths_;  // memory, pids, cpu (those created)
  std::vector<int> procs_fds_;
};

}  // namespace suanwang
