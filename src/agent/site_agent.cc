#include "agent/site_agent.h"

#include "common/text.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace suanwang {
namespace {

std::string ReadTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff start = std::max<std::streamoff>(0, size - static_cast<std::streamoff>(max_bytes));
  in.seekg(start);
  std::string data(static_cast<size_t>(size - start), '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  // A task may print any bytes; the report (JSON) and its signed digest carry valid UTF-8, the
  // same on both sides: ill-formed bytes become U+FFFD, and the front is cut back to
  // `max_bytes` at a character boundary.
  data = SanitizedUtf8(data);
  size_t cut = data.size() > max_bytes ? data.size() - max_bytes : 0;
  while (cut < data.size() && (static_cast<unsigned char>(data[cut]) & 0xC0) == 0x80) ++cut;
  return data.substr(cut);
}

TaskReport BaseReport(const AgentTask& t, TaskEvent event, Timestamp now) {
  TaskReport r;
  r.job = t.job;
  r.task = t.task;
  r.attempt = t.attempt;
  r.event = event;
  r.at_ms = now;
  return r;
}

}  // namespace

Result<std::unique_ptr<SiteAgent>> SiteAgent::Create(SiteAgentOptions options, const std::string& public_key_hex,
                                                     ControlPlaneClient& server, Executor& executor,
                                                     const Clock& clock, Log log) {
  SW_TRY(state, LoadAgentState(options.state_path));
  SW_TRY(verifier, DispatchVerifier::Create(public_key_hex, options.site, state.last_seq));
  std::unique_ptr<SiteAgent> agent(
      new SiteAgent(std::move(options), std::move(verifier), server, executor, clock, std::move(log)));
  agent->public_key_hex_ = public_key_hex;
  agent->state_ = std::move(state);
  agent->Adopt();
  SW_CHECK(SaveAgentState(agent->options_.state_path, agent->state_));
  return agent;
}

SiteAgent::SiteAgent(SiteAgentOptions options, DispatchVerifier verifier, ControlPlaneClient& server,
                     Executor& executor, const Clock& clock, Log log)
    : options_(std::move(options)),
      verifier_(std::move(verifier)),
      server_(server),
      executor_(executor),
      clock_(clock),
      log_(std::move(log)),
      rng_(static_cast<uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(clock.Now())) {}

// Tasks in the state file are from a previous run of the agent: watch those still alive,
// report the others as lost (a task saved as starting may or may not have started; it is not
// started again).
// Tasks in the state file are from a previous run of the agent: the executor takes back those
// it can still find; the others are reported lost (a task saved as starting may or may not
// have started; it is not started again).
void SiteAgent::Adopt() {
  const Timestamp now = clock_.Now();
  for (auto it = state_.tasks.begin(); it != state_.tasks.end();) {
    const AgentTask& t = it->second;
    // An empty handle: saved as starting; an executor that tags its tasks may still find it.
    if (executor_.Adopt(it->first, t.handle, t.workdir)) {
      log_("found task " + it->first + " (" + t.handle + ") again after a restart; watching it");
      ++it;
      continue;
    }
    TaskReport r = BaseReport(t, TaskEvent::kExited, now);
    r.exit_code = 255;
    r.fenced = true;  // the task did not fail; it was lost with the agent: the server requeues it
    r.error = t.handle.empty() ? "the agent restarted while starting it; not started again"
                               : "lost: the agent restarted and found no trace of the task";
    r.stdout_tail = ReadTail(t.workdir + "/stdout", kLogTailBytes);
    r.stderr_tail = ReadTail(t.workdir + "/stderr", kLogTailBytes);
    log_("task " + it->first + ": " + r.error);
    state_.unsent.push_back(std::move(r));
    it = state_.tasks.erase(it);
  }
}

bool SiteAgent::lease_live() const { return lease_until_ms_ != 0 && clock_.Now() < FenceAt(); }

Timestamp SiteAgent::FenceAt() const { return lease_until_ms_ == 0 ? 0 : lease_until_ms_ - lease_ms_ / 10; }

// No call may block past the moment the agent must fence; `held_ms` is how long the server may
// hold this call on purpose.
void SiteAgent::LimitCallTime(Timestamp held_ms) {
  Timestamp limit = 2000 + held_ms;
  // Once fenced there is nothing left to protect: calls get their normal time to get through.
  if (lease_until_ms_ != 0 && !fenced_) limit = std::clamp<Timestamp>(FenceAt() - clock_.Now(), 50, limit);
  server_.SetTimeout(limit);
}

Timestamp SiteAgent::Step() {
  const Timestamp now = clock_.Now();
  bool answered = true;
  if (now >= next_heartbeat_ms_) answered = Heartbeat(now);
  if (answered) answered = FetchAndApply();
  Collect();
  Fence(clock_.Now());
  if (answered) answered = Flush();
  if (answered) {
    failures_ = 0;
    return options_.poll_ms;
  }
  ++failures_;
  return Backoff();
}

// Exponential backoff with full jitter: poll_ms * 2^failures, at most max_backoff_ms.
Timestamp SiteAgent::Backoff() {
  Timestamp ceiling = options_.poll_ms;
  for (int i = 0; i < failures_ && ceiling < options_.max_backoff_ms; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, options_.max_backoff_ms);
  return options_.poll_ms + static_cast<Timestamp>(rng_.Next() % static_cast<uint64_t>(std::max<Timestamp>(1, ceiling)));
}

bool SiteAgent::Heartbeat(Timestamp now) {
  suanwang::Heartbeat beat{options_.agent_id, options_.resources_json, {}, !state_.synced, options_.receipt_public_hex};
  for (const auto& [key, t] : state_.tasks) beat.running.push_back(key);
  for (const TaskReport& r : state_.unsent) beat.running.push_back(TaskKey(r.job, r.task, r.attempt));
  LimitCallTime();
  auto answer = server_.SendHeartbeat(beat);
  if (!answer) {
    log_("heartbeat: " + answer.error().message);
    next_heartbeat_ms_ = now;  // retry on the next round
    return false;
  }
  const Timestamp lease = answer->lease_ms;
  if (!lease_live()) log_("holds the lease of site " + options_.site + " (" + std::to_string(lease) + " ms)");
  if (!state_.synced) {
    // No history: start after the log's current end (the server requeued what the site had).
    auto verifier = DispatchVerifier::Create(public_key_hex_, options_.site, answer->log_end);
    if (verifier) verifier_ = std::move(*verifier);
    state_.last_seq = answer->log_end;
    state_.synced = true;
    Save();
    log_("new to site " + options_.site + ": reading its commands after #" + std::to_string(answer->log_end));
  }
  // Counted from when the heartbeat was sent: the agent's lease ends no later than the server's.
  lease_until_ms_ = now + lease;
  lease_ms_ = lease;
  fenced_ = false;
  next_heartbeat_ms_ = now + std::min(options_.heartbeat_ms, lease / 3);
  return true;
}

bool SiteAgent::FetchAndApply() {
  // Held at most until the next heartbeat is due, and never past the fence.
  Timestamp wait = options_.wait_ms;
  if (lease_until_ms_ != 0) wait = std::min(wait, std::max<Timestamp>(0, FenceAt() - clock_.Now() - 100));
  wait = std::clamp<Timestamp>(std::min(wait, next_heartbeat_ms_ - clock_.Now()), 0, options_.wait_ms);
  LimitCallTime(wait);
  // A bounded batch: starting tasks can take a while (sbatch is a round trip to slurmctld), and
  // the next heartbeat must not wait behind a long batch, or the lease would lapse while the
  // agent is merely busy.
  auto commands = FetchBatch(wait);
  if (!commands) {
    log_("dispatches: " + commands.error().message);
    return false;
  }
  // Two durable steps per batch, not per command: every accepted command (and each new task as
  // "starting") is saved before any process starts; then the tasks start and are saved again.
  std::vector<RunCommand> to_start;
  for (const SignedCommand& command : *commands) {
    if (auto ok = verifier_.Accept(command); !ok) {
      ++counters_.rejected;
      log_("rejected dispatch seq " + std::to_string(command.seq) + ": " + ok.error().message);
      break;  // order matters: nothing after a refused command is applied
    }
    ++counters_.accepted;
    state_.last_seq = verifier_.last_seq();
    auto parsed = ParseSiteCommand(command.payload);
    if (!parsed) {
      log_("dispatch seq " + std::to_string(command.seq) + " is signed but malformed (skipped): " +
           parsed.error().message);
      continue;
    }
    if (const auto* run = std::get_if<RunCommand>(&*parsed)) {
      const std::string key = TaskKey(run->job, run->task, run->attempt);
      if (state_.tasks.contains(key)) continue;
      state_.tasks[key] = AgentTask{run->job, run->task, run->attempt, "", "", clock_.Now(), false, false};
      to_start.push_back(*run);
    } else {
      ApplyKill(std::get<KillCommand>(*parsed).job, std::get<KillCommand>(*parsed).notice_s);
    }
  }
  if (commands->empty()) return true;
  Save();
  StartTasks(to_start);
  if (!to_start.empty()) Save();
  return true;
}

// A bounded batch, but never part of a gang: a gang's run commands are consecutive in the log,
// task 0 first, and its tasks start together (the executor may make them one unit). The
// payloads are only peeked at here; FetchAndApply verifies every command in order.
Result<std::vector<SignedCommand>> SiteAgent::FetchBatch(Timestamp wait) {
  SW_TRY(commands, server_.FetchDispatches(state_.last_seq, options_.batch_limit, wait));
  while (!commands.empty()) {
    auto last = ParseSiteCommand(commands.back().payload);
    const RunCommand* run = last ? std::get_if<RunCommand>(&*last) : nullptr;
    if (run == nullptr || run->task + 1 >= run->tasks) break;
    LimitCallTime();
    SW_TRY(more, server_.FetchDispatches(commands.back().seq, static_cast<size_t>(run->tasks - 1 - run->task), 0));
    if (more.empty()) break;
    commands.insert(commands.end(), more.begin(), more.end());
  }
  return commands;
}

// Starts the tasks saved as "starting" (all at once: the executor may overlap them), except
// those a later command of the batch already stopped.
void SiteAgent::StartTasks(const std::vector<RunCommand>& runs) {
  const Timestamp now = clock_.Now();
  std::vector<TaskSpec> specs;
  for (const RunCommand& run : runs) {
    const std::string key = TaskKey(run.job, run.task, run.attempt);
    AgentTask& t = state_.tasks[key];
    if (t.kill_requested) {
      TaskReport r = BaseReport(t, TaskEvent::kExited, now);
      r.killed = true;
      r.error = "stopped before it started";
      state_.unsent.push_back(std::move(r));
      state_.tasks.erase(key);
      continue;
    }
    TaskSpec spec;
    spec.task_id = key;
    spec.tenant = run.tenant;
    spec.argv = run.argv;
    spec.cpu_milli = run.cpu_milli;
    spec.memory_mib = run.memory_mib;
    spec.gpus = static_cast<int>(run.gpus.size());
    if (run.tasks > 1) {
      spec.gang = "j" + std::to_string(run.job) + "-a" + std::to_string(run.attempt);
      spec.gang_size = run.tasks;
      spec.gang_index = run.task;
    }
    spec.env = {{"SUANWANG_JOB_ID", std::to_string(run.job)},
                {"SUANWANG_TASK_INDEX", std::to_string(run.task)},
                {"SUANWANG_ATTEMPT", std::to_string(run.attempt)},
                {"SUANWANG_SITE", options_.site},
                {"SUANWANG_NODE", run.node}};
    std::string gpus;
    for (int g : run.gpus) gpus += (gpus.empty() ? "" : ",") + std::to_string(g);
    if (!gpus.empty()) spec.env.push_back({"CUDA_VISIBLE_DEVICES", gpus});
    specs.push_back(std::move(spec));
  }
  auto results = executor_.StartMany(specs);
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string& key = specs[i].task_id;
    AgentTask& t = state_.tasks[key];
    if (!results[i]) {
      TaskReport r = BaseReport(t, TaskEvent::kStartFailed, now);
      r.error = results[i].error().message;
      log_("task " + key + " could not start: " + r.error);
      state_.unsent.push_back(std::move(r));
      state_.tasks.erase(key);
      continue;
    }
    ++counters_.started;
    t.handle = results[i]->handle;
    t.workdir = results[i]->workdir;
    state_.unsent.push_back(BaseReport(t, TaskEvent::kStarted, now));
  }
}

void SiteAgent::ApplyKill(uint64_t job, int64_t notice_s) {
  const Timestamp grace = std::max<Timestamp>(options_.kill_grace_ms, notice_s * 1000);
  for (auto& [key, t] : state_.tasks) {
    if (t.job == job) Kill(key, t, grace);
  }
}

void SiteAgent::Collect() {
  const Timestamp now = clock_.Now();
  bool changed = false;
  for (const TaskExit& exit : executor_.Poll()) {
    auto it = state_.tasks.find(exit.task_id);
    if (it == state_.tasks.end()) continue;
    const AgentTask& t = it->second;
    TaskReport r = BaseReport(t, TaskEvent::kExited, now);
    r.exit_code = exit.exit_code;
    r.signal = exit.signal;
    r.killed = exit.killed_by_request || t.kill_requested;
    r.fenced = t.fenced;
    if (t.fenced) r.error = "its agent could not renew the site's lease";
    r.out_of_memory = exit.out_of_memory;
    r.cpu_ms = static_cast<int64_t>(exit.usage.cpu_seconds * 1000);
    r.peak_memory_kib = exit.usage.peak_memory_kib;
    r.wall_ms = exit.usage.wall_ms;
    r.stdout_tail = ReadTail(t.workdir + "/stdout", kLogTailBytes);
    r.stderr_tail = ReadTail(t.workdir + "/stderr", kLogTailBytes);
    if (!exit.error.empty() && r.error.empty()) r.error = exit.error;
    if (exit.lost) r.fenced = true;  // the server requeues it
    state_.unsent.push_back(std::move(r));
    state_.tasks.erase(it);
    ++counters_.exited;
    changed = true;
  }
  if (changed) Save();
}

void SiteAgent::Fence(Timestamp now) {
  if (lease_until_ms_ == 0 || now < FenceAt() || fenced_) return;
  fenced_ = true;
  if (state_.tasks.empty()) return;
  log_("lease of site " + options_.site + " ran out without renewal: killing every task (the server requeues them)");
  for (auto& [key, t] : state_.tasks) {
    if (!t.kill_requested) {
      ++counters_.fenced;
      log_("killed task " + key + ": the agent could not renew its lease");
    }
    t.fenced = true;
    Kill(key, t, 0);
  }
  Save();
}

void SiteAgent::StopAll(const std::string& why) {
  for (auto& [key, t] : state_.tasks) {
    if (t.kill_requested) continue;
    Kill(key, t, options_.kill_grace_ms);
    log_("stopping task " + key + ": " + why);
  }
  Save();
}

void SiteAgent::Kill(const std::string& key, AgentTask& t, Timestamp grace_ms) {
  t.kill_requested = true;
  if (!t.handle.empty()) (void)executor_.Kill(key, grace_ms);
}

bool SiteAgent::Flush() {
  if (state_.unsent.empty()) return true;
  const size_t n = std::min<size_t>(state_.unsent.size(), 500);
  ReportBatch batch{options_.agent_id, {state_.unsent.begin(), state_.unsent.begin() + static_cast<std::ptrdiff_t>(n)}};
  if (!options_.receipt_secret_hex.empty()) {
    // Every report is signed: each one changes a task's state, and an exit also carries usage.
    for (TaskReport& r : batch.reports) {
      if (!r.receipt.empty()) continue;
      auto signed_receipt = SignReceipt(options_.receipt_secret_hex, ReceiptOf(options_.site, r));
      if (signed_receipt) r.receipt = *signed_receipt;
    }
  }
  LimitCallTime();
  if (auto sent = server_.SendReports(batch); !sent) {
    log_("reports: " + sent.error().message);
    return false;
  }
  state_.unsent.erase(state_.unsent.begin(), state_.unsent.begin() + static_cast<std::ptrdiff_t>(n));
  Save();
  return true;
}

void SiteAgent::Save() {
  if (auto ok = SaveAgentState(options_.state_path, state_); !ok) log_("state file: " + ok.error().message);
}

}  // namespace suanwang
