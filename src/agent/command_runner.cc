#include "agent/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>
#include <chrono>
#include <cstring>

extern char** environ;

namespace suanwang {
namespace {

class ProcessRunner final : public CommandRunner {
 public:
  explicit ProcessRunner(Timestamp timeout_ms) : timeout_ms_(timeout_ms) {}

  Result<CommandOutput> Run(const std::vector<std::string>& argv) override {
    if (argv.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty command");
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Failed(argv, "pipe", errno);
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
      const int e = errno;
      ::close(out_pipe[0]);
      ::close(out_pipe[1]);
      return Failed(argv, "pipe", e);
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    // sbatch, squeue, useradd start with fds 0-2 only, whatever the agent holds without O_CLOEXEC.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (rc != 0) {
      ::close(out_pipe[0]);
      ::close(err_pipe[0]);
      return Failed(argv, "start", rc);
    }
    CommandOutput output;
    const bool finished = Drain(out_pipe[0], err_pipe[0], output);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    if (!finished) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!finished) {
      return MakeError(ErrorCode::kUnavailable,
                       "'" + argv[0] + "' did not finish within " + std::to_string(timeout_ms_) + " ms");
    }
    output.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return output;
  }

 private:
  static Error FailedError(const std::vector<std::string>& argv, const char* what, int err) {
    return Error{ErrorCode::kUnavailable, std::string(what) + " '" + argv[0] + "': " + std::strerror(err)};
  }
  static std::unexpected<Error> Failed(const std::vector<std::string>& argv, const char* what, int err) {
    return std::unexpected(FailedError(argv, what, err));
  }

  // Reads both pipes to their end; false when the timeout passed first.
  bool Drain(int out_fd, int err_fd, CommandOutput& output) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    int open = 2;
    char buf[8192];
    while (open > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      const int n = ::poll(fds, 2, static_cast<int>(left.count()));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
        if (got > 0) {
          (i == 0 ? output.out : output.err).append(buf, static_cast<size_t>(got));
        } else if (got == 0 || errno != EINTR) {
          fds[i].fd = -1;
          --open;
        }
      }
    }
    return true;
  }

  const Timestamp timeout_ms_;
};

}  // namespace

std::vector<Result<CommandOutput>> CommandRunner::RunMany(const std::vector<std::vector<std::string>>& commands,
                                                          int parallel) {
  std::vector<Result<CommandOutput>> results(commands.size(), MakeError(ErrorCode::kInternal, "not run"));
  if (parallel <= 1 || commands.size() <= 1) {
    for (size_t i = 0; i < commands.size(); ++i) results[i] = Run(commands[i]);
    return results;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < parallel && static_cast<size_t>(w) < commands.size(); ++w) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < commands.size(); i = next++) results[i] = Run(commands[i]);
    });
  }
  for (auto& t : workers) t.join();
  return results;
}

std::unique_ptr<CommandRunner> MakeProcessRunner(Timestamp timeout_ms) {
  return std::make_unique<ProcessRunner>(timeout_ms);
}

}  // namespace suanwang
