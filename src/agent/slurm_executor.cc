#include "agent/slurm_executor.h"

#include "agent/task_claim.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

namespace suanwang {
namespace {

// "KEY=VALUE" fields of a `scontrol -o show job` line.
std::map<std::string, std::string> Fields(const std::string& line) {
  std::map<std::string, std::string> fields;
  std::istringstream in(line);
  std::string word;
  while (in >> word) {
    const auto eq = word.find('=');
    if (eq != std::string::npos) fields.emplace(word.substr(0, eq), word.substr(eq + 1));
  }
  return fields;
}

// "[D-]HH:MM:SS" or "MM:SS" in milliseconds; 0 when unreadable.
Timestamp ParseRunTime(const std::string& text) {
  int64_t days = 0, h = 0, m = 0, s = 0;
  std::string rest = text;
  if (auto dash = rest.find('-'); dash != std::string::npos) {
    days = std::atoll(rest.substr(0, dash).c_str());
    rest = rest.substr(dash + 1);
  }
  std::vector<int64_t> parts;
  std::stringstream in(rest);
  std::string part;
  while (std::getline(in, part, ':')) parts.push_back(std::atoll(part.c_str()));
  if (parts.size() == 3) {
    h = parts[0], m = parts[1], s = parts[2];
  } else if (parts.size() == 2) {
    m = parts[0], s = parts[1];
  } else {
    return 0;
  }
  return (((days * 24 + h) * 60 + m) * 60 + s) * 1000;
}

bool IsPendingOrRunning(const std::string& state) {
  static const std::set<std::string> live = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED",
                                             "REQUEUED", "RESIZING", "STAGE_OUT", "SIGNALING", "REQUEUE_HOLD",
                                             "REQUEUE_FED", "RESV_DEL_HOLD", "STOPPED"};
  return live.contains(state);
}

}  // namespace

Result<std::optional<SlurmJobEnd>> ParseScontrolJob(const std::string& line, Timestamp* run_ms) {
  const auto fields = Fields(line);
  auto state = fields.find("JobState");
  auto exit = fields.find("ExitCode");
  if (state == fields.end() || exit == fields.end()) {
    return MakeError(ErrorCode::kInvalidArgument, "scontrol show job: no JobState or ExitCode in '" + line + "'");
  }
  if (run_ms) *run_ms = fields.contains("RunTime") ? ParseRunTime(fields.at("RunTime")) : 0;
  if (IsPendingOrRunning(state->second)) return std::optional<SlurmJobEnd>{};
  SlurmJobEnd end;
  const auto colon = exit->second.find(':');
  end.exit_code = std::atoi(exit->second.substr(0, colon).c_str());
  if (colon != std::string::npos) end.signal = std::atoi(exit->second.substr(colon + 1).c_str());
  const std::string& s = state->second;
  end.state = s;
  if (s == "CANCELLED") {
    end.cancelled = true;
  } else if (s == "OUT_OF_MEMORY") {
    end.out_of_memory = true;
  } else if (s == "TIMEOUT") {
    end.error = "Slurm ended it at its time limit (TIMEOUT)";
  } else if (s != "COMPLETED" && s != "FAILED") {
    end.error = "Slurm job ended " + s;  // NODE_FAIL, BOOT_FAIL, DEADLINE, PREEMPTED, ...
  }
  if (!end.error.empty() && end.exit_code == 0 && end.signal == 0) end.exit_code = 255;
  return std::optional<SlurmJobEnd>{end};
}

Result<std::string> DiscoverSlurmResources(CommandRunner& runner, const std::string& partition, int queue_depth) {
  SW_TRY(out, runner.Run({"sinfo", "--noheader", "--format=%P|%D|%c|%m|%G"}));
  if (out.exit_code != 0) return MakeError(ErrorCode::kUnavailable, "sinfo: " + out.err);
  nlohmann::json partitions = nlohmann::json::array();
  std::istringstream lines(out.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> f;
    std::stringstream parts(line);
    std::string part;
    while (std::getline(parts, part, '|')) f.push_back(part);
    if (f.size() != 5) continue;
    const bool is_default = !f[0].empty() && f[0].back() == '*';  // sinfo marks the default partition
    if (is_default) f[0].pop_back();
    partitions.push_back({{"name", f[0]},
                          {"default", is_default},
                          {"nodes", std::atoll(f[1].c_str())},
                          {"cpus", std::atoll(f[2].c_str())},
                          {"memory_mb", std::atoll(f[3].c_str())},
                          {"gres", f[4]}});
  }
  return nlohmann::json{{"source", "slurm"}, {"partition", partition}, {"queue_depth", queue_depth},
                        {"partitions", partitions}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

SlurmExecutor::SlurmExecutor(SlurmExecutorOptions options, CommandRunner& runner, const Clock& clock)
    : options_(std::move(options)), runner_(runner), clock_(clock) {}

Result<std::string> SlurmExecutor::Prepare(const TaskSpec& spec, const std::string& job_name, int array_index) {
  if (spec.task_id.empty() || spec.task_id.starts_with('.') || spec.task_id.find('/') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "task id '" + spec.task_id + "': must be non-empty, without '/'");
  }
  if (spec.argv.empty()) return MakeError(ErrorCode::kInvalidArgument, "task '" + spec.task_id + "': empty command");
  if (jobs_.contains(spec.task_id)) {
    return MakeError(ErrorCode::kConflict, "task '" + spec.task_id + "' is already running");
  }
  SW_TRY(user, UserForTask(options_.users, spec.tenant, spec.task_id));
  const std::string workdir = options_.work_root + "/" + spec.task_id;
  std::error_code ec;
  std::filesystem::create_directories(workdir, ec);
  if (!ec && user) {
    // As the local executor: the task's directory is the agent's (0700), the program's own
    // directory inside it is its user's.
    const std::string taskdir = workdir + "/work";
    std::filesystem::permissions(workdir, std::filesystem::perms::owner_all, ec);
    if (!ec) std::filesystem::create_directories(taskdir, ec);
    if (!ec) std::filesystem::permissions(taskdir, std::filesystem::perms::owner_all, ec);
    if (!ec && ::lchown(taskdir.c_str(), user->uid, user->gid) != 0) ec = std::error_code(errno, std::generic_category());
  }
  if (ec) return MakeError(ErrorCode::kUnavailable, "working directory '" + workdir + "': " + ec.message());
  ClearClaim(workdir);
  SW_CHECK(WriteTaskScript(spec, workdir, job_name, array_index, user));
  return workdir;
}

std::string SlurmExecutor::JobName(const std::vector<TaskSpec>& specs, const Group& group) const {
  const TaskSpec& first = specs[group.members[0]];
  switch (group.kind) {
    case Group::kGang:
      return options_.job_prefix + first.gang;
    case Group::kArray:
      return options_.job_prefix + first.task_id + "+" + std::to_string(group.members.size() - 1);
    case Group::kOne:
      break;
  }
  return options_.job_prefix + first.task_id;
}

Result<std::vector<std::string>> SlurmExecutor::Submission(const std::vector<TaskSpec>& specs, const Group& group) {
  const std::string name = JobName(specs, group);
  std::vector<std::string> workdirs;
  for (size_t k = 0; k < group.members.size(); ++k) {
    const int index = group.kind == Group::kArray ? static_cast<int>(k) : -1;
    SW_TRY(workdir, Prepare(specs[group.members[k]], name, index));
    workdirs.push_back(std::move(workdir));
  }
  std::string script = workdirs[0] + "/run.sh";
  if (group.kind != Group::kOne) {
    SW_TRY(path, group.kind == Group::kGang ? WriteGangScript(workdirs) : WriteArrayScript(workdirs));
    script = path;
  }
  SbatchRequest request{name, workdirs[0], script, 1, 0, &specs[group.members[0]], options_.partition};
  if (group.kind == Group::kGang) request.tasks = static_cast<int>(group.members.size());
  if (group.kind == Group::kArray) request.array = static_cast<int>(group.members.size());
  return SbatchCommand(request);
}

namespace {

bool IsSlurmId(const std::string& id) {  // "123", or "123_4" for an element of an array
  const auto bar = id.find('_');
  const std::string job = id.substr(0, bar);
  if (job.empty() || job.find_first_not_of("0123456789") != std::string::npos) return false;
  if (bar == std::string::npos) return true;
  const std::string index = id.substr(bar + 1);
  return !index.empty() && index.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

Result<TaskStarted> SlurmExecutor::Submitted(const TaskSpec& spec, const std::string& job_name, int array_index,
                                             const Result<CommandOutput>& sbatch) {
  if (!sbatch) return std::unexpected(sbatch.error());
  const CommandOutput& out = *sbatch;
  const std::string workdir = options_.work_root + "/" + spec.task_id;
  std::string id = out.out.substr(0, out.out.find_first_of(";\n"));
  if (out.exit_code != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    std::string why = out.err.empty() ? out.out : out.err;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return MakeError(ErrorCode::kUnavailable, "task '" + spec.task_id + "': sbatch refused it: " + why);
  }
  if (array_index >= 0) id += "_" + std::to_string(array_index);
  jobs_[spec.task_id] = Job{id, job_name, workdir, clock_.Now(), false, 0, 0};
  TaskStarted started;
  started.task_id = spec.task_id;
  started.workdir = workdir;
  started.limits_enforced = true;  // Slurm allocates the CPUs and memory asked for
  started.handle = id;
  return started;
}

Result<TaskStarted> SlurmExecutor::Start(const TaskSpec& spec) { return StartMany({spec}).at(0); }

// A gang's tasks that all came go as one job, in rank order; tasks of their own with the same
// shape as arrays; anything else one job per task.
std::vector<SlurmExecutor::Group> SlurmExecutor::Groups(const std::vector<TaskSpec>& specs) const {
  std::map<std::string, std::vector<size_t>> gangs;
  std::map<std::tuple<int64_t, int64_t, int>, std::vector<size_t>> shapes;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!specs[i].gang.empty() && specs[i].gang_size > 1) gangs[specs[i].gang].push_back(i);
  }
  std::vector<Group> groups;
  std::set<size_t> grouped;
  for (auto& [gang, members] : gangs) {
    std::sort(members.begin(), members.end(), [&](size_t a, size_t b) { return specs[a].gang_index < specs[b].gang_index; });
    bool whole = static_cast<int>(members.size()) == specs[members[0]].gang_size;
    for (size_t k = 0; whole && k < members.size(); ++k) whole = specs[members[k]].gang_index == static_cast<int>(k);
    if (!whole) continue;
    groups.push_back({Group::kGang, members});
    grouped.insert(members.begin(), members.end());
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (grouped.contains(i)) continue;
    const int64_t cpus = std::max<int64_t>(1, (specs[i].cpu_milli + 999) / 1000);
    shapes[{cpus, specs[i].memory_mib, specs[i].gpus}].push_back(i);
  }
  const size_t most = static_cast<size_t>(std::max(1, options_.array_max));
  for (const auto& [shape, members] : shapes) {
    for (size_t from = 0; from < members.size(); from += most) {
      std::vector<size_t> part(members.begin() + static_cast<std::ptrdiff_t>(from),
                               members.begin() + static_cast<std::ptrdiff_t>(std::min(members.size(), from + most)));
      if (part.size() == 1) {
        groups.push_back({Group::kOne, part});
      } else {
        groups.push_back({Group::kArray, part});
      }
    }
  }
  return groups;
}

std::vector<Result<TaskStarted>> SlurmExecutor::StartMany(const std::vector<TaskSpec>& specs) {
  std::vector<Result<TaskStarted>> results(specs.size(), MakeError(ErrorCode::kInternal, "not started"));
  std::vector<std::vector<std::string>> commands;
  std::vector<Group> submitted;
  for (const Group& group : Groups(specs)) {
    auto argv = Submission(specs, group);
    if (!argv) {
      for (size_t i : group.members) results[i] = std::unexpected(argv.error());
      continue;
    }
    commands.push_back(std::move(*argv));
    submitted.push_back(group);
  }
  auto outputs = runner_.RunMany(commands, options_.parallel_submits);
  for (size_t k = 0; k < submitted.size(); ++k) {
    const Group& group = submitted[k];
    const std::string name = JobName(specs, group);
    for (size_t m = 0; m < group.members.size(); ++m) {
      const int index = group.kind == Group::kArray ? static_cast<int>(m) : -1;
      results[group.members[m]] = Submitted(specs[group.members[m]], name, index, outputs[k]);
    }
  }
  return results;
}

Result<void> SlurmExecutor::Kill(const std::string& task_id, Timestamp grace_ms) {
  auto it = jobs_.find(task_id);
  if (it == jobs_.end()) return MakeError(ErrorCode::kNotFound, "task '" + task_id + "' is not running");
  Job& job = it->second;
  job.kill_requested = true;
  const int level = grace_ms <= 0 ? 2 : 1;
  // A gang's tasks share the Slurm job: one scancel of each kind serves them all.
  for (const auto& [unused, sibling] : jobs_) {
    if (sibling.slurm_id == job.slurm_id && sibling.kill_sent >= level) {
      job.kill_sent = sibling.kill_sent;
      return {};
    }
  }
  std::vector<std::string> argv = {"scancel"};
  if (level == 2) argv.push_back("--signal=KILL");
  argv.push_back(job.slurm_id);
  SW_TRY(out, runner_.Run(argv));
  if (out.exit_code != 0) return MakeError(ErrorCode::kUnavailable, "scancel " + job.slurm_id + ": " + out.err);
  job.kill_sent = level;
  return {};
}

TaskExit SlurmExecutor::Recorded(const std::string& task_id, const Job& job, const SlurmExitRecord& record) {
  TaskExit exit;
  exit.task_id = task_id;
  exit.exit_code = record.exit_code;
  exit.killed_by_request = job.kill_requested;
  exit.usage.cpu_seconds = record.cpu_seconds;
  exit.usage.wall_ms = record.elapsed_ms > 0 ? record.elapsed_ms : clock_.Now() - job.started_ms;
  // Slurm's cancel reaches the program as SIGTERM (then SIGKILL); the script still writes its
  // record. After a controller crash Slurm may cancel a job of its own accord (an id collision).
  if (!job.kill_requested && (record.exit_code == 128 + 15 || record.exit_code == 128 + 9)) {
    auto shown = runner_.Run({"scontrol", "-o", "show", "job", job.slurm_id});
    if (shown && shown->exit_code == 0 && Fields(shown->out)["JobName"] == job.name) {
      auto end = ParseScontrolJob(shown->out, nullptr);
      if (end && end->has_value() && (*end)->cancelled) {
        exit.signal = record.exit_code - 128;
        exit.killed_by_request = true;
        exit.error = "cancelled in Slurm (not through suanwang)";
      }
    }
  }
  return exit;
}

// Slurm shows the job running, but its script has not claimed the task's directory: normal for
// a moment. After start_grace_ms it is a job Slurm only thinks runs (a controller restarted
// with -9 "starts" jobs whose ids a node still holds, and the node refuses them). The agent
// claims the directory (so the script can never run it), cancels the job and reports the task
// lost: the control plane runs it again.
std::optional<TaskExit> SlurmExecutor::NeverStarted(const std::string& task_id, Job& job, bool running, Timestamp now) {
  if (!running || std::filesystem::exists(job.workdir + "/" + kClaimFile)) {
    job.running_since_ms = 0;
    return std::nullopt;
  }
  if (job.running_since_ms == 0) job.running_since_ms = now;
  if (now - job.running_since_ms < options_.start_grace_ms) return std::nullopt;
  if (ClaimForAgent(job.workdir) != ClaimOutcome::kAgentHolds) return std::nullopt;  // it just started
  (void)runner_.Run({"scancel", job.slurm_id});
  return Lost(task_id, job,
              "Slurm showed job " + job.slurm_id + " running for " + std::to_string(options_.start_grace_ms / 1000) +
                  " s but it never started (given up; runs again)");
}

// A task that did not fail but whose job Slurm lost: the server runs it again.
TaskExit SlurmExecutor::Lost(const std::string& task_id, const Job& job, std::string error) const {
  TaskExit exit;
  exit.task_id = task_id;
  exit.exit_code = 255;
  exit.lost = true;
  exit.error = std::move(error);
  exit.usage.wall_ms = clock_.Now() - job.started_ms;
  return exit;
}

bool SlurmExecutor::StillBeating(Job& job, Timestamp now) const {
  const Timestamp beat = SlurmHeartbeatMs(job.workdir);
  if (job.forgotten_since_ms == 0 || beat != job.heartbeat_mark) {
    if (job.forgotten_since_ms == 0) job.forgotten_since_ms = now;
    job.heartbeat_mark = beat;
    job.heartbeat_seen_ms = now;
  }
  return now - job.heartbeat_seen_ms < options_.lost_grace_ms;
}

std::optional<TaskExit> SlurmExecutor::Collect(const std::string& task_id, Job& job, Timestamp now) {
  if (auto record = ReadSlurmExitRecord(job.workdir)) return Recorded(task_id, job, *record);
  auto shown = runner_.Run({"scontrol", "-o", "show", "job", job.slurm_id});
  if (!shown) return std::nullopt;  // the controller is away: try again later
  TaskExit exit;
  exit.task_id = task_id;
  exit.killed_by_request = job.kill_requested;
  // Only "Invalid job id" (or, for an element of an array, "Job 12_3 not found" on stdout) means
  // Slurm no longer knows it (it aged out of the controller's memory, or a controller restarted
  // from an older state never knew it); anything else (the controller restarting) decides nothing.
  const bool unknown = shown->exit_code != 0 && (shown->err.find("Invalid job id") != std::string::npos ||
                                                 shown->out.find("Job " + job.slurm_id + " not found") != std::string::npos);
  if (shown->exit_code != 0 && !unknown) return std::nullopt;
  if (unknown || Fields(shown->out)["JobName"] != job.name) {
    // Forgotten, or its id now names another job (a controller restarted from an older state
    // hands out ids again): it never ran to its end, since it left no record. Claimed by the
    // agent now, it cannot start later either (if the controller still had it somewhere). Run
    // it again.
    const bool started = ClaimForAgent(job.workdir) == ClaimOutcome::kTaskHolds;
    if (auto record = ReadSlurmExitRecord(job.workdir)) return Recorded(task_id, job, *record);  // ended meanwhile
    // Its script started: the node may still be running it though the controller forgot it.
    // Running it again then would run it twice: its record is awaited while its heartbeat
    // changes and lost_grace_ms after it last did.
    if (started && StillBeating(job, now)) return std::nullopt;
    exit = Lost(task_id, job,
                "Slurm lost job " + job.slurm_id + " (a controller restart) " +
                    (started ? "after it started; its script stopped before it ran to its end" : "before it started"));
    exit.killed_by_request = job.kill_requested;
    return exit;
  }
  Timestamp run_ms = 0;
  auto end = ParseScontrolJob(shown->out, &run_ms);
  if (!end || !end->has_value()) return std::nullopt;
  const SlurmJobEnd& e = **end;
  // Ended by Slurm itself (not through suanwang) before its script started: cancelled (by
  // the controller's own recovery after a crash, or an operator) or a node failure. The task
  // did not fail; claimed by the agent now, it never starts here, and it runs again.
  const bool infrastructure = (e.cancelled && !job.kill_requested) || e.state == "NODE_FAIL" || e.state == "BOOT_FAIL";
  if (infrastructure && ClaimForAgent(job.workdir) == ClaimOutcome::kAgentHolds) {
    exit = Lost(task_id, job, "Slurm ended job " + job.slurm_id + " (" + e.state + ") before it started");
    exit.killed_by_request = job.kill_requested;
    return exit;
  }
  exit.exit_code = e.exit_code;
  exit.signal = e.signal;
  exit.out_of_memory = e.out_of_memory;
  exit.killed_by_request = job.kill_requested || e.cancelled;
  exit.error = e.error;
  if (e.cancelled && !job.kill_requested) exit.error = "cancelled in Slurm (not through suanwang)";
  exit.usage.wall_ms = run_ms;
  return exit;
}

std::vector<TaskExit> SlurmExecutor::Poll() {
  std::vector<TaskExit> exits;
  const Timestamp now = clock_.Now();
  // Tasks that wrote their exit record are done without asking the controller.
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    auto record = ReadSlurmExitRecord(it->second.workdir);
    if (!record) {
      ++it;
      continue;
    }
    exits.push_back(Recorded(it->first, it->second, *record));
    it = jobs_.erase(it);
  }
  // The others (pending, running, or ended without a record: cancelled, failed to start, lost)
  // by one squeue, at most every poll_ms: the controller's time is the cluster's.
  const Timestamp interval =
      std::max(options_.poll_ms, options_.poll_ms_per_job * static_cast<Timestamp>(jobs_.size()));
  if (jobs_.empty() || now - last_poll_ms_ < interval) return exits;
  last_poll_ms_ = now;
  std::set<std::string> unique;  // a gang's tasks share one job
  for (const auto& [task, job] : jobs_) unique.insert(job.slurm_id);
  std::string ids;
  for (const std::string& id : unique) ids += (ids.empty() ? "" : ",") + id;
  auto listed = runner_.Run({"squeue", "--noheader", "--states=all", "--array", "--jobs=" + ids, "--format=%i|%T|%j"});
  if (!listed) return exits;  // the controller is away (restarting): nothing is decided
  // squeue refuses a whole list when one id is unknown ("Invalid job id"): then each job is
  // asked for below. Any other failure (the controller restarting) decides nothing this round.
  if (listed->exit_code != 0 && listed->err.find("Invalid job id") == std::string::npos) return exits;
  std::map<std::string, std::pair<std::string, std::string>> state;  // id -> (state, name)
  std::istringstream lines(listed->out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto bar = line.find('|'), bar2 = line.find('|', bar + 1);
    if (bar2 != std::string::npos) state[line.substr(0, bar)] = {line.substr(bar + 1, bar2 - bar - 1), line.substr(bar2 + 1)};
  }
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    auto s = state.find(it->second.slurm_id);
    const bool ours = s != state.end() && s->second.second == it->second.name;
    std::optional<TaskExit> exit;
    if (ours && IsPendingOrRunning(s->second.first)) {
      exit = NeverStarted(it->first, it->second, s->second.first == "RUNNING", now);
      if (!exit) {
        ++it;
        continue;
      }
    } else {
      exit = Collect(it->first, it->second, now);
    }
    if (!exit) {
      ++it;
      continue;
    }
    exits.push_back(std::move(*exit));
    it = jobs_.erase(it);
  }
  return exits;
}

std::vector<std::string> SlurmExecutor::Running() const {
  std::vector<std::string> ids;
  for (const auto& [task, job] : jobs_) ids.push_back(task);
  return ids;
}

bool SlurmExecutor::Adopt(const std::string& task_id, const std::string& handle, const std::string& workdir) {
  if (jobs_.contains(task_id)) return false;
  const std::string dir = workdir.empty() ? options_.work_root + "/" + task_id : workdir;
  // The name it was submitted under (its own, or its gang's), as its directory keeps it.
  std::string name, index;
  std::ifstream(dir + "/" + kSlurmJobNameFile) >> name >> index;
  if (name.empty()) name = options_.job_prefix + task_id;
  std::string id = handle;
  if (id.empty()) {  // saved as starting: look for it by its name (and index in its array)
    auto found = runner_.Run({"squeue", "--noheader", "--states=all", "--array", "--name=" + name, "--format=%i"});
    std::istringstream lines(found && found->exit_code == 0 ? found->out : "");
    for (std::string line; id.empty() && std::getline(lines, line);) {
      if (index.empty() || line.ends_with("_" + index)) id = line;
    }
  }
  if (id.empty()) {
    // Not in the queue: it never reached Slurm, or its sbatch is still on its way (it outlived
    // the agent), or the controller is away. Claim it so that it never runs; unless it ran.
    if (ClaimForAgent(dir) != ClaimOutcome::kTaskHolds) return false;
    id = ClaimOwner(dir);
  }
  if (!IsSlurmId(id)) return false;
  // A controller that answers and shows another job under this id: ours is gone. One that does
  // not answer decides nothing (Poll asks again).
  auto shown = runner_.Run({"scontrol", "-o", "show", "job", id});
  if (shown && shown->exit_code == 0 && Fields(shown->out)["JobName"] != name) return false;
  jobs_[task_id] = Job{id, name, dir, clock_.Now(), false, 0, 0};
  return true;
}

}  // namespace suanwang
