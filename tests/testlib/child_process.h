// Real processes for integration tests: start the suanwang binary with arguments, its stdout
// and stderr appended to a log file; signal it; wait for it. Also small file and shell helpers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace suanwang::testing {

class ChildProcess {
 public:
  // Starts `program args...` in its own process group (so a test can signal everything it
  // started); output appended to `log`.
  ChildProcess(const std::string& program, std::vector<std::string> args, const std::string& log);
  ~ChildProcess();  // SIGKILL to the group if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig) const;
  // Waits up to `timeout` for the process to end; its wait status, or -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// Polls `done` every 20 ms until it is true or `timeout` passes; returns its last value.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// The first line of a file ("" when it does not exist).
std::string FirstLine(const std::string& path);
// The whole file ("" when it does not exist).
std::string ReadFile(const std::string& path);

// Runs `command` with /bin/sh, stdout and stderr as it redirects them; its exit code (-1 when
// it did not exit) and stdout.
struct ShellRun {
  int exit_code = -1;
  std::string output;
};
ShellRun RunShell(const std::string& command);

}  // namespace suanwang::testing
