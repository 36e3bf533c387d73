#include "agent/local_executor.h"

#include "agent/task_claim.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace suanwang {
namespace {

Result<void> CheckTaskId(const std::string& id) {
  if (id.empty() || id.starts_with('.') || id.find('/') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "task id '" + id + "': must be non-empty, without '/', not starting with '.'");
  }
  return {};
}

bool IsExecutableFile(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// argv[0] as execve needs it: a path as given, or the first match on PATH.
Result<std::string> ResolveProgram(const std::string& program, const std::string& path_env) {
  if (program.find('/') != std::string::npos) {
    if (IsExecutableFile(program)) return program;
  } else {
    size_t begin = 0;
    while (begin <= path_env.size()) {
      size_t end = path_env.find(':', begin);
      if (end == std::string::npos) end = path_env.size();
      std::string dir = path_env.substr(begin, end - begin);
      if (dir.empty()) dir = ".";
      const std::string candidate = dir + "/" + program;
      if (IsExecutableFile(candidate)) return candidate;
      begin = end + 1;
    }
  }
  return MakeError(ErrorCode::kNotFound,
                   "command '" + program + "': no executable file by that name (PATH=" +
                       path_env + ")");
}

// Owns the file descriptors a child inherits until the parent has forked.
struct ChildFds {
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1, error_read = -1, error_write = -1;
  ~ChildFds() {
    for (int fd : {stdin_fd, stdout_fd, stderr_fd, error_read, error_write}) {
      if (fd >= 0) ::close(fd);
    }
  }
};

Result<void> OpenChildFds(const std::string& workdir, ChildFds& fds) {
  // O_NOFOLLOW: nothing but the agent writes in `workdir`, but a link there is never followed.
  const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW;
  fds.stdin_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  fds.stdout_fd = ::open((workdir + "/stdout").c_str(), flags, 0600);
  fds.stderr_fd = ::open((workdir + "/stderr").c_str(), flags, 0600);
  int pipe_fds[2];
  if (fds.stdin_fd < 0 || fds.stdout_fd < 0 || fds.stderr_fd < 0 ||
      ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "task files in '" + workdir + "': " + std::strerror(errno));
  }
  fds.error_read = pipe_fds[0];
  fds.error_write = pipe_fds[1];
  return {};
}

// Everything the forked child needs, made before the fork (the child allocates nothing).
struct ChildPlan {
  const ChildFds* fds = nullptr;
  std::vector<int> cgroup_fds;      // cgroup.procs of each group the keeper joins
  const char* workdir = nullptr;    // the keeper's directory; the task's is "work" inside it
  const char* program = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  bool confine = false;             // switch to uid/gid, private mount namespace
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<const char*> tmp_mounts;  // fresh tmpfs mounts in the task's namespace
  const char* tmp_options = nullptr;
  int64_t nproc_limit = 0;          // RLIMIT_NPROC for the task's uid; 0: none
};

// Closes (or, with `cloexec`, marks close-on-exec) every descriptor from `first` up.
void CloseFrom(unsigned first, unsigned last, bool cloexec) {
  if (first > last) return;
  if (::close_range(first, last, cloexec ? CLOSE_RANGE_CLOEXEC : 0) == 0) return;
  // Kernels before 5.11 (CLOSE_RANGE_CLOEXEC) or 5.9 (close_range): one at a time.
  ::rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  const unsigned top = static_cast<unsigned>(std::min<rlim_t>(files.rlim_cur, 1u << 20));
  for (unsigned fd = first; fd < top && fd <= last; ++fd) {
    if (cloexec) {
      ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    } else {
      ::close(static_cast<int>(fd));
    }
  }
}

// Writes `text` to a /proc file of this process; 0 or an errno.
int WriteProcSelf(const char* path, const char* text, size_t len) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int err = ::write(fd, text, len) == static_cast<ssize_t>(len) ? 0 : errno;
  ::close(fd);
  return err;
}

// The keeper's own confinement, before it starts the task: a mount namespace whose /tmp,
// /var/tmp and /dev/shm are fresh and the task's alone; 0 or an errno.
int EnterPrivateMounts(const ChildPlan& plan) {
  if (::unshare(CLONE_NEWNS) != 0) return errno;
  // rslave: mounts made here never reach the host; the host's later mounts and unmounts reach here.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) return errno;
  for (const char* target : plan.tmp_mounts) {
    if (::mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, plan.tmp_options) != 0) return errno;
  }
  return 0;
}

// In the task's process, just before exec: its user, its limits, nothing inherited but 0-2.
// Raw syscalls for the ids: they act on this (only) thread, with no glibc broadcast machinery.
int BecomeTask(const ChildPlan& plan) {
  if (::chdir("work") != 0) return errno;
  if (plan.confine) {
    // The keeper shields itself from the OOM killer; the task must not inherit that.
    WriteProcSelf("/proc/self/oom_score_adj", "0", 1);  // raising it needs no privilege
  }
  if (plan.nproc_limit > 0) {
    const ::rlimit nproc{static_cast<rlim_t>(plan.nproc_limit), static_cast<rlim_t>(plan.nproc_limit)};
    if (::setrlimit(RLIMIT_NPROC, &nproc) != 0) return errno;
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  if (plan.confine) {
    if (::syscall(SYS_setgroups, 0, nullptr) != 0) return errno;
    if (::syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0) return errno;
    if (::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0) return errno;
    if (::getuid() != plan.uid || ::geteuid() != plan.uid || ::getegid() != plan.gid) return EPERM;
  }
  // The error pipe stays open (close-on-exec) so that a failed exec can still be reported.
  CloseFrom(3, ~0U, true);
  return 0;
}

// Decimal digits of `v` into `out` (async-signal-safe); returns the length.
size_t FormatNumber(int64_t v, char* out) {
  char digits[24];
  size_t n = 0;
  const bool negative = v < 0;
  uint64_t u = negative ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
  do {
    digits[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  size_t len = 0;
  if (negative) out[len++] = '-';
  while (n > 0) out[len++] = digits[--n];
  return len;
}

// Writes "exited CODE|signaled SIG cpu_us N maxrss_kib M\n" to kKeeperStatusFile in the
// working directory (through a temporary file and rename, so it is whole or absent).
void WriteKeeperStatus(int status, const ::rusage& usage) {
  char text[160];
  size_t len = 0;
  auto put = [&](const char* s) {
    while (*s) text[len++] = *s++;
  };
  if (WIFSIGNALED(status)) {
    put("signaled ");
    len += FormatNumber(WTERMSIG(status), text + len);
  } else {
    put("exited ");
    len += FormatNumber(WEXITSTATUS(status), text + len);
  }
  put(" cpu_us ");
  const int64_t cpu_us = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000 + usage.ru_utime.tv_usec +
                         usage.ru_stime.tv_usec;
  len += FormatNumber(cpu_us, text + len);
  put(" maxrss_kib ");
  len += FormatNumber(usage.ru_maxrss, text + len);
  put("\n");
  const int fd = ::open("exit_status.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  [[maybe_unused]] auto written = ::write(fd, text, len);
  ::fsync(fd);
  ::close(fd);
  ::rename("exit_status.tmp", kKeeperStatusFile);
}

// The keeper's side of the claim (agent/task_claim.h), async-signal-safe: creates ".claim"
// exclusively with the keeper's pid in it; 0 or an errno (EEXIST: the agent holds it).
int ClaimForKeeper() {
  char digits[24];
  int n = 0;
  for (pid_t pid = ::getpid(); pid > 0; pid /= 10) digits[n++] = static_cast<char>('0' + pid % 10);
  char text[26];
  for (int i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
  text[n] = '\n';
  const int fd = ::open(kClaimFile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  const bool written = ::write(fd, text, n + 1) == n + 1;
  ::close(fd);
  return written ? 0 : EIO;
}

void SetSignals(void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) ::sigaction(sig, &action, nullptr);
}

// Runs in the forked child: only async-signal-safe calls. The child is the task's keeper: it
// leads the process group, starts the task as its own child, waits for it, writes how it ended
// to the working directory (so an agent that restarted meanwhile can still learn it), and ends
// the same way. It ignores the polite stop signals sent to the group (the task gets them);
// SIGKILL ends both. The keeper keeps the agent's user (it writes in the agent's directory);
// only the task becomes the tenant's.
[[noreturn]] void ExecChild(const ChildPlan& plan) {
  const ChildFds& fds = *plan.fds;
  ::setpgid(0, 0);
  ::umask(077);
  int err = 0;
  for (int fd : plan.cgroup_fds) {
    if (err == 0 && ::write(fd, "0", 1) != 1) err = errno;
  }
  // Best effort (it needs CAP_SYS_RESOURCE): the OOM killer then picks the task, not its keeper.
  if (err == 0 && plan.confine) WriteProcSelf("/proc/self/oom_score_adj", "-1000", 5);
  // The directory first: the fresh /tmp may hide it (a work root under /tmp); the cwd stays.
  if (err == 0 && ::chdir(plan.workdir) != 0) err = errno;
  if (err == 0 && plan.confine) err = EnterPrivateMounts(plan);
  if (err == 0) err = ClaimForKeeper();
  if (err == 0 && (::dup2(fds.stdin_fd, 0) < 0 || ::dup2(fds.stdout_fd, 1) < 0 ||
                   ::dup2(fds.stderr_fd, 2) < 0)) {
    err = errno;
  }
  // The keeper holds nothing of the agent's (sockets, keys, cgroup files) but its error pipe.
  const int error_fd = fds.error_write;
  if (err == 0) {
    CloseFrom(3, static_cast<unsigned>(error_fd) - 1, false);
    CloseFrom(static_cast<unsigned>(error_fd) + 1, ~0U, false);
  }
  SetSignals(SIG_IGN);
  const pid_t task = err == 0 ? ::fork() : -1;
  if (err == 0 && task < 0) err = errno;
  if (task == 0) {
    SetSignals(SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    err = BecomeTask(plan);
    if (err == 0) {
      ::execve(plan.program, plan.argv, plan.envp);
      err = errno;
    }
    [[maybe_unused]] auto written = ::write(error_fd, &err, sizeof err);
    ::_exit(127);
  }
  if (err != 0) {
    [[maybe_unused]] auto written = ::write(error_fd, &err, sizeof err);
    ::_exit(127);
  }
  ::close(error_fd);
  int status = 0;
  ::rusage usage{};
  while (::wait4(task, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  WriteKeeperStatus(status, usage);
  if (WIFSIGNALED(status)) {
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    ::sigaction(WTERMSIG(status), &action, nullptr);
    ::kill(::getpid(), WTERMSIG(status));
  }
  ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

std::vector<std::string> TaskEnvironment(const TaskSpec& spec, const std::string& path_env,
                                         const std::string& workdir) {
  std::vector<std::string> env = {"PATH=" + path_env, "HOME=" + workdir + "/work",
                                  "SUANWANG_TASK_ID=" + spec.task_id};
  for (const auto& [key, value] : spec.env) env.push_back(key + "=" + value);
  return env;
}

// The task's cgroup v1 name: unique on the machine (agents of several sites share the
// hierarchies and number their tasks alike), so it carries a hash of the agent's work root.
std::string GroupName(const std::string& work_root, const std::string& task_id) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : work_root) hash = (hash ^ c) * 1099511628211ull;
  char hex[17];
  for (int i = 15; i >= 0; --i, hash >>= 4) hex[i] = "0123456789abcdef"[hash & 15];
  hex[16] = '\0';
  return std::string("suanwang-") + hex + "-" + task_id;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

LocalExecutor::LocalExecutor(LocalExecutorOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

LocalExecutor::~LocalExecutor() {
  for (auto& [id, task] : tasks_) {
    ::kill(-task.pid, SIGKILL);
    int status = 0;
    ::waitpid(task.pid, &status, 0);
  }
}

Result<TaskStarted> LocalExecutor::Start(const TaskSpec& spec) {
  SW_CHECK(CheckTaskId(spec.task_id));
  if (spec.argv.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "task '" + spec.task_id + "': empty command");
  }
  if (tasks_.contains(spec.task_id)) {
    return MakeError(ErrorCode::kConflict, "task '" + spec.task_id + "' is already running");
  }
  const char* path_value = std::getenv("PATH");
  const std::string path_env = path_value != nullptr ? path_value : "/usr/bin:/bin";
  SW_TRY(program, ResolveProgram(spec.argv[0], path_env));

  SW_TRY(user, UserForTask(options_.users, spec.tenant, spec.task_id));

  const std::string workdir = options_.work_root + "/" + spec.task_id;
  const std::string taskdir = workdir + "/work";
  std::error_code ec;
  std::filesystem::create_directories(options_.work_root, ec);
  if (!ec) std::filesystem::permissions(options_.work_root, std::filesystem::perms::owner_all, ec);
  if (!ec) std::filesystem::create_directories(taskdir, ec);
  if (!ec) std::filesystem::permissions(workdir, std::filesystem::perms::owner_all, ec);
  if (!ec) std::filesystem::permissions(taskdir, std::filesystem::perms::owner_all, ec);
  if (!ec && user && ::lchown(taskdir.c_str(), user->uid, user->gid) != 0) {
    ec = std::error_code(errno, std::generic_category());
  }
  if (ec) return MakeError(ErrorCode::kUnavailable, "working directory '" + workdir + "': " + ec.message());
  ClearClaim(workdir);
  ChildFds fds;
  SW_CHECK(OpenChildFds(workdir, fds));

  ChildPlan plan;
  std::optional<TaskCgroup> cgroup;
  std::optional<TaskCgroupV1> cgroup_v1;
  if (options_.cgroup_parent) {
    SW_TRY(group, TaskCgroup::Create(*options_.cgroup_parent, "task-" + spec.task_id, spec.cpu_milli,
                                     spec.memory_mib, options_.pids_max));
    cgroup.emplace(std::move(group));
    plan.cgroup_fds.push_back(cgroup->procs_fd());
  } else if (options_.limits == LimitEnforcement::kCgroup1) {
    SW_TRY(group, TaskCgroupV1::Create(GroupName(options_.work_root, spec.task_id), spec.cpu_milli,
                                       spec.memory_mib, options_.pids_max));
    cgroup_v1.emplace(std::move(group));
    plan.cgroup_fds = cgroup_v1->procs_fds();
  } else if (options_.limits == LimitEnforcement::kRlimit) {
    plan.nproc_limit = options_.pids_max;
  }

  std::vector<std::string> argv_strings = spec.argv;
  std::vector<std::string> env_strings = TaskEnvironment(spec, path_env, workdir);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  std::string tmp_options;
  if (user) {
    plan.confine = true;
    plan.uid = user->uid;
    plan.gid = user->gid;
    // The task's memory limit bounds what it keeps in its tmpfs (tmpfs pages are charged to it).
    tmp_options = "mode=0700,uid=" + std::to_string(user->uid) + ",gid=" + std::to_string(user->gid);
    if (spec.memory_mib > 0) tmp_options += ",size=" + std::to_string(std::max<int64_t>(spec.memory_mib, 16)) + "m";
    plan.tmp_options = tmp_options.c_str();
    for (const char* dir : {"/tmp", "/var/tmp", "/dev/shm"}) {
      struct stat st{};
      if (::lstat(dir, &st) == 0 && S_ISDIR(st.st_mode)) plan.tmp_mounts.push_back(dir);
    }
  }
  plan.fds = &fds;
  plan.workdir = workdir.c_str();
  plan.program = program.c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();

  const Timestamp started = clock_.Now();
  const pid_t pid = ::fork();
  if (pid < 0) return MakeError(ErrorCode::kUnavailable, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) ExecChild(plan);
  ::setpgid(pid, pid);  // also done by the child; whichever runs first wins the race
  ::close(std::exchange(fds.error_write, -1));
  int child_errno = 0;
  ssize_t got;
  do {
    got = ::read(fds.error_read, &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  if (got > 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return MakeError(ErrorCode::kUnavailable,
                     "task '" + spec.task_id + "': starting '" + program + "' failed: " +
                         std::strerror(child_errno));
  }
  const bool limits = cgroup.has_value() || cgroup_v1.has_value();
  tasks_.emplace(spec.task_id, Task{pid, started, std::nullopt, std::move(cgroup), std::move(cgroup_v1)});
  return TaskStarted{spec.task_id, pid, workdir, limits, std::to_string(pid) + ":" + std::to_string(ProcStartTicks(pid))};
}

Result<void> LocalExecutor::Kill(const std::string& task_id, Timestamp grace_ms) {
  if (auto a = adopted_.find(task_id); a != adopted_.end()) {
    const Timestamp deadline = clock_.Now() + std::max<Timestamp>(0, grace_ms);
    if (!a->second.kill_deadline_ms || deadline < *a->second.kill_deadline_ms) a->second.kill_deadline_ms = deadline;
    if (a->second.pid != 0) ::kill(-a->second.pid, grace_ms > 0 ? SIGTERM : SIGKILL);
    return {};
  }
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) {
    return MakeError(ErrorCode::kNotFound, "task '" + task_id + "' is not running");
  }
  Task& task = it->second;
  const Timestamp deadline = clock_.Now() + std::max<Timestamp>(0, grace_ms);
  if (!task.kill_deadline_ms || deadline < *task.kill_deadline_ms) task.kill_deadline_ms = deadline;
  ::kill(-task.pid, grace_ms > 0 ? SIGTERM : SIGKILL);
  return {};
}

std::vector<TaskExit> LocalExecutor::Poll() {
  std::vector<TaskExit> exits;
  const Timestamp now = clock_.Now();
  for (auto it = adopted_.begin(); it != adopted_.end();) {
    Adopted& a = it->second;
    if (a.pid != 0 && ProcStartTicks(a.pid) == a.start_ticks) {
      if (a.kill_deadline_ms && now >= *a.kill_deadline_ms) ::kill(-a.pid, SIGKILL);
      ++it;
      continue;
    }
    TaskExit exit;
    exit.task_id = it->first;
    exit.killed_by_request = a.kill_deadline_ms.has_value();
    if (auto status = ReadKeeperStatus(a.workdir)) {
      exit.exit_code = status->exit_code;
      exit.signal = status->signal;
      exit.usage.cpu_seconds = status->cpu_seconds;
      exit.usage.peak_memory_kib = status->peak_memory_kib;
    } else {
      exit.exit_code = 255;
      exit.error = "exit status unknown: the task ended while the agent was away and left no record";
    }
    exit.usage.wall_ms = now - a.adopted_ms;
    exits.push_back(std::move(exit));
    it = adopted_.erase(it);
  }
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    Task& task = it->second;
    int status = 0;
    ::rusage usage{};
    const pid_t done = ::wait4(task.pid, &status, WNOHANG, &usage);
    if (done == task.pid) {
      exits.push_back(Finish(it->first, task, status, usage));
      it = tasks_.erase(it);
      continue;
    }
    if (task.kill_deadline_ms && now >= *task.kill_deadline_ms) ::kill(-task.pid, SIGKILL);
    ++it;
  }
  return exits;
}

TaskExit LocalExecutor::Finish(const std::string& task_id, Task& task, int status,
                               const ::rusage& usage) {
  ::kill(-task.pid, SIGKILL);  // whatever the task left behind in its group
  TaskExit exit;
  exit.task_id = task_id;
  if (WIFEXITED(status)) exit.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) exit.signal = WTERMSIG(status);
  exit.killed_by_request = task.kill_deadline_ms.has_value();
  exit.usage.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  exit.usage.peak_memory_kib = usage.ru_maxrss;
  exit.usage.wall_ms = clock_.Now() - task.started_ms;
  if (task.cgroup) {
    exit.usage.peak_memory_kib = std::max(exit.usage.peak_memory_kib, task.cgroup->PeakMemoryKib());
    exit.out_of_memory = task.cgroup->OomKilled();
    task.cgroup->Remove();
  }
  if (task.cgroup_v1) {
    exit.usage.peak_memory_kib = std::max(exit.usage.peak_memory_kib, task.cgroup_v1->PeakMemoryKib());
    exit.out_of_memory = task.cgroup_v1->OomKilled();
    task.cgroup_v1->Remove();
  }
  return exit;
}

std::optional<KeeperStatus> ReadKeeperStatus(const std::string& workdir) {
  std::ifstream in(workdir + "/" + kKeeperStatusFile);
  std::string how, cpu_key, rss_key;
  int64_t value = 0, cpu_us = 0, maxrss = 0;
  if (!(in >> how >> value >> cpu_key >> cpu_us >> rss_key >> maxrss) || cpu_key != "cpu_us" ||
      rss_key != "maxrss_kib" || (how != "exited" && how != "signaled")) {
    return std::nullopt;
  }
  KeeperStatus status;
  if (how == "exited") {
    status.exit_code = static_cast<int>(value);
  } else {
    status.signal = static_cast<int>(value);
  }
  status.cpu_seconds = static_cast<double>(cpu_us) / 1e6;
  status.peak_memory_kib = maxrss;
  return status;
}

std::vector<std::string> LocalExecutor::Running() const {
  std::vector<std::string> ids;
  for (const auto& [id, task] : tasks_) ids.push_back(id);
  for (const auto& [id, task] : adopted_) ids.push_back(id);
  return ids;
}

bool LocalExecutor::Adopt(const std::string& task_id, const std::string& handle, const std::string& workdir) {
  if (tasks_.contains(task_id) || adopted_.contains(task_id)) return false;
  const std::string dir = workdir.empty() ? options_.work_root + "/" + task_id : workdir;
  Adopted a;
  a.workdir = dir;
  a.adopted_ms = clock_.Now();
  if (handle.empty()) {
    // Saved as starting: whether its keeper ever ran is in the claim; if none did, none will.
    if (ClaimForAgent(dir) != ClaimOutcome::kTaskHolds) return false;
    a.pid = std::atoi(ClaimOwner(dir).c_str());
    // A keeper writes its exit record before it ends: without one, that pid is still the keeper.
    const bool ended = ReadKeeperStatus(dir).has_value();
    a.start_ticks = a.pid > 0 && !ended ? ProcStartTicks(a.pid) : 0;
    if (a.start_ticks == 0 && !ended) return false;
    if (a.start_ticks == 0) a.pid = 0;
    adopted_[task_id] = std::move(a);
    return true;
  }
  const auto colon = handle.find(':');
  if (colon == std::string::npos) return false;
  try {
    a.pid = std::stoi(handle.substr(0, colon));
    a.start_ticks = std::stoull(handle.substr(colon + 1));
  } catch (const std::exception&) {
    return false;
  }
  const bool alive = a.pid > 0 && a.start_ticks != 0 && ProcStartTicks(a.pid) == a.start_ticks;
  if (!alive && !ReadKeeperStatus(dir)) return false;
  if (!alive) a.pid = 0;
  adopted_[task_id] = std::move(a);
  return true;
}

uint64_t ProcStartTicks(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return 0;
  // The command name (field 2) may hold spaces and parentheses: count from its last ')'.
  const auto paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 > text.size()) return 0;
  std::istringstream rest(text.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) return std::stoull(field);
  }
  return 0;
}

}  // namespace suanwang
