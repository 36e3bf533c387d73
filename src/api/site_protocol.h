// What the control plane and a site agent say to each other, as JSON on the wire. Both sides
// use these functions, so the format is written down once.
//
// Server -> agent: signed commands in the site's dispatch log (their payloads):
//   {"op":"run","job":J,"task":T,"attempt":A,"tenant":"acme","node":N,"gpus":[..],
//    "cpu_milli":..,"memory_mib":..,"gpu_milli":..,"argv":[..]}   start one task of a placed gang
//   {"op":"kill","job":J}                            stop every task of the job at the site
// Agent -> server:
//   POST /v1/sites/{site}/heartbeat  {"agent":ID,"resources":{..},"running":["j1-t0-a1",..],
//                                     "fresh":false}
//     answer {"lease_ms":L,"server_ms":T,"log_end":N}: the agent holds the site's lease for L
//     ms; N is the last sequence number of the site's dispatch log
//   POST /v1/sites/{site}/reports    {"agent":ID,"reports":[TaskReport..]}
//     answer {"accepted":N,"stale":M}
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/error.h"
#include "security/usage_receipt.h"
#include "common/time.h"

namespace suanwang {

struct RunCommand {
  uint64_t job = 0;
  int task = 0;
  int tasks = 1;  // the gang's size: its tasks are consecutive in the log, task 0 first
  uint64_t attempt = 1;
  // The job's tenant (1-64 of a-z 0-9 - _): the agent runs the task as that tenant's own
  // unprivileged user. Required: a command without a valid one is refused.
  std::string tenant;
  std::string node;
  std::vector<int> gpus;
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int64_t gpu_milli = 0;
  std::vector<std::string> argv;
};

struct KillCommand {
  uint64_t job = 0;
  // Spot preemption: seconds of notice between SIGTERM and SIGKILL (at least the agent's own
  // grace); 0: the agent's grace.
  int64_t notice_s = 0;
};

using SiteCommand = std::variant<RunCommand, KillCommand>;

std::string FormatSiteCommand(const SiteCommand& command);
// Whether `name` is a tenant id as the control plane accepts them: 1-64 of a-z 0-9 - _.
bool IsTenantName(const std::string& name);
// Errors: kInvalidArgument naming the field and the reason.
Result<SiteCommand> ParseSiteCommand(const std::string& payload);

// The executor's name for a task: "j{job}-t{task}-a{attempt}".
std::string TaskKey(uint64_t job, int task, uint64_t attempt);

enum class TaskEvent { kStarted, kExited, kStartFailed };

struct TaskReport {
  uint64_t job = 0;
  int task = 0;
  uint64_t attempt = 1;
  TaskEvent event = TaskEvent::kStarted;
  Timestamp at_ms = 0;
  // kExited:
  int exit_code = 0;
  int signal = 0;
  bool killed = false;         // ended because the agent was told (or decided) to stop it
  bool fenced = false;         // killed because the agent could not renew its lease: the task
                               // did not fail, its site did (the server requeues the job)
  bool out_of_memory = false;
  int64_t cpu_ms = 0;
  int64_t peak_memory_kib = 0;
  Timestamp wall_ms = 0;
  std::string stdout_tail;     // at most kLogTailBytes each
  std::string stderr_tail;
  // kStartFailed, or why the agent killed it:
  std::string error;
  // kExited: the agent's hex Ed25519 signature over ReceiptOf(site, report) (usage receipt).
  std::string receipt;
};

// The usage receipt an exited report carries, for `site` (security/usage_receipt.h).
UsageReceipt ReceiptOf(const std::string& site, const TaskReport& report);

// The most output of each stream a report carries (the end of it).
inline constexpr size_t kLogTailBytes = 64 * 1024;

struct ReportBatch {
  std::string agent;
  std::vector<TaskReport> reports;
};

std::string FormatReports(const ReportBatch& batch);
// Errors: kInvalidArgument naming the field (e.g. "reports[2].event") and the reason.
Result<ReportBatch> ParseReports(const std::string& body);

struct Heartbeat {
  std::string agent;
  std::string resources_json = "{}";  // an object: what the agent found or was told
  // Keys of every task the agent answers for: running, or ended with a report not yet
  // acknowledged. A new agent for a site that does not list a task the server has as running
  // there lost it (e.g. its state was wiped); the server requeues that job.
  std::vector<std::string> running;
  // An agent with no state yet (first start, or its state was lost): it knows no task and
  // starts reading the dispatch log after the answer's log_end; the server requeues whatever
  // the site was running or about to run.
  bool fresh = false;
  // The agent's public key (hex) for its usage receipts; empty: none (its reports of ended
  // tasks are then refused).
  std::string receipt_key;
};

struct HeartbeatAnswer {
  Timestamp lease_ms = 0;
  uint64_t log_end = 0;
};

std::string FormatHeartbeat(const Heartbeat& heartbeat);
// Errors: kInvalidArgument naming the field and the reason.
Result<Heartbeat> ParseHeartbeat(const std::string& body);

}  // namespace suanwang
