// cgroup v2 limits for one task, where the machine offers a writable cgroup v2 hierarchy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "common/error.h"

namespace suanwang {

// A cgroup v2 directory created for one task and removed by Remove().
class TaskCgroup {
 public:
  // Creates `parent/name` with cpu.max, memory.max and (where the pids controller is enabled)
  // pids.max set (0 = unlimited) and opens its
  // cgroup.procs for the child to join. Errors: kUnavailable (no cgroup v2 at `parent`, the
  // controllers are not enabled there, or it is not writable; the message says which).
  static Result<TaskCgroup> Create(const std::string& parent, const std::string& name,
                                   int64_t cpu_milli, int64_t memory_mib, int64_t pids_max = 0);

  // The cgroup v2 directory under which tasks get their groups: $SUANWANG_CGROUP_PARENT, or
  // none when unset (nothing is guessed; the operator delegates a subtree to the agent).
  static std::optional<std::string> ParentFromEnvironment();

  TaskCgroup(TaskCgroup&& other) noexcept;
  TaskCgroup& operator=(TaskCgroup&& other) noexcept;
  TaskCgroup(const TaskCgroup&) = delete;
  TaskCgroup& operator=(const TaskCgroup&) = delete;
  ~TaskCgroup();

  // A file descriptor on cgroup.procs; the child writes "0" to it to join before exec.
  int procs_fd() const { return procs_fd_; }
  // Peak memory in KiB (memory.peak), or 0 where the kernel does not report it.
  int64_t PeakMemoryKib() const;
  // Whether the kernel's OOM killer acted inside the group (memory.events oom_kill).
  bool OomKilled() const;
  // Kills what is left in the group and removes the directory.
  void Remove();

 private:
  TaskCgroup(std::string path, int procs_fd) : path_(std::move(path)), procs_fd_(procs_fd) {}
  std::string path_;
  int procs_fd_ = -1;
};

}  // namespace suanwang
