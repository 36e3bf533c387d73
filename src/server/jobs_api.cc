// Jobs: submit, read, list, cancel, and the output of their tasks.
#include <nlohmann/json.hpp>

#include "api/job_codec.h"
#include "common/text.h"
#include "server/control_plane_impl.h"
#include "server/dispatch_log.h"
#include "server/task_reports.h"

namespace suanwang {
namespace {

// Idempotency keys are opaque to the server, but bounded: they are stored with every job.
constexpr size_t kMaxIdempotencyKeyBytes = 200;

}  // namespace

Result<void> ControlPlaneImpl::CheckAgainstNetwork(const JobSpec& job) const {
  auto bad = [](const std::string& field, const std::string& why) {
    return MakeError(ErrorCode::kInvalidArgument, "request body:1: field '" + field + "': " + why);
  };
  if (!job.origin.empty() && !network_.PlaceIndex(job.origin)) {
    return bad("origin", "'" + job.origin + "' is not a place of network '" + network_.name + "'");
  }
  if (!job.data_place.empty() && !network_.PlaceIndex(job.data_place)) {
    return bad("data.place", "'" + job.data_place + "' is not a place of the network");
  }
  for (const std::string& hub : job.allowed_hubs) {
    if (!network_.HubIndex(hub)) return bad("allowed_hubs", "'" + hub + "' is not a hub of the network");
  }
  return {};
}

HttpResponse ControlPlaneImpl::Submit(const HttpRequest& req, const Caller& who) {
  Result<JobRequest> parsed = [&] {
    std::lock_guard lock(models_mutex_);
    return ParseJobFile(req.body, "request body", models_);
  }();
  if (!parsed) return ProblemFor(parsed.error());
  if (auto ok = CheckAgainstNetwork(parsed->spec); !ok) return ProblemFor(ok.error());
  const std::string tenant = who.tenant;
  if (auto refused = CheckPrecision(parsed->spec)) return *refused;
  if (auto refused = CheckFunds(parsed->spec, tenant)) return *refused;
  const std::string key = req.Header("idempotency-key");
  if (key.size() > kMaxIdempotencyKeyBytes) {
    return Problem(400, "Bad Request", "header 'Idempotency-Key': longer than " +
                                           std::to_string(kMaxIdempotencyKeyBytes) + " bytes");
  }
  if (std::string why = TextProblem(key, ControlChars::kNone); !why.empty()) {
    return Problem(400, "Bad Request", "header 'Idempotency-Key': " + why);
  }
  const Timestamp now = clock_.Now();
  StoredJob row{0, tenant, parsed->spec.name, req.body, "queued", "", "submitted", now, now, 1, key, ""};
  std::optional<StoredJob> existing;
  auto committed = committer_->Run([&](Transaction& tx) -> Result<void> {
    if (!key.empty()) {
      SW_TRY(found, tx.FindByIdempotencyKey(tenant, key));
      if (found) {
        existing = std::move(found);
        return {};
      }
    }
    SW_TRY(id, tx.InsertJob(row));
    row.id = id;
    SW_CHECK(tx.AppendAudit(now, tenant, "job.submit", "job/" + std::to_string(id), row.name));
    return {};
  });
  if (!committed) return ProblemFor(committed.error());
  if (existing) {
    // A retry must be the same request: a key reused for another job is the caller's mistake,
    // and answering with the first job would hide it.
    if (existing->spec != req.body) {
      return Problem(422, "Unprocessable Content",
                     "header 'Idempotency-Key': already used for job " + std::to_string(existing->id) +
                         " with a different job file; use a new key for a new job");
    }
    return Json(200, JobJson(*existing));
  }
  ++jobs_submitted_;
  JobSpec spec = parsed->spec;
  spec.id = row.id;
  spec.tenant = tenant;
  spec.submit_ms = now;
  RememberCommand(row.id, parsed->command);
  Enqueue(SubmitJob{spec});
  return Json(201, JobJson(row));
}

Result<ControlPlaneImpl::JobWithTasks> ControlPlaneImpl::ReadJob(uint64_t id, const Caller& who) {
  SW_TRY(tx, store_->Begin());
  SW_TRY(job, tx->GetJob(id));
  // Another tenant's job is indistinguishable from no job.
  if (!who.Sees(job.tenant)) return MakeError(ErrorCode::kNotFound, "job " + std::to_string(id) + " not found");
  SW_TRY(tasks, tx->ListTasks(id));
  return JobWithTasks{std::move(job), std::move(tasks)};
}

HttpResponse ControlPlaneImpl::Get(uint64_t id, const Caller& who) {
  auto read = ReadJob(id, who);
  if (!read) return ProblemFor(read.error());
  return Json(200, JobJson(read->job, read->tasks));
}

HttpResponse ControlPlaneImpl::List(const std::map<std::string, std::string>& query, const Caller& who) {
  JobFilter filter;
  if (!who.SeesEverything()) {
    filter.tenant = who.tenant;
  } else if (auto it = query.find("tenant"); it != query.end()) {
    filter.tenant = it->second;
  }
  if (auto it = query.find("state"); it != query.end()) filter.state = it->second;
  auto page = ParsePage(query);
  if (!page) return ProblemFor(page.error());
  filter.after_id = page->after;
  filter.limit = page->limit;
  auto tx = store_->Begin();
  if (!tx) return ProblemFor(tx.error());
  auto jobs = (*tx)->ListJobs(filter);
  if (!jobs) return ProblemFor(jobs.error());
  const uint64_t next = jobs->size() == filter.limit ? jobs->back().id : 0;
  return Json(200, JobListJson(*jobs, next));
}

HttpResponse ControlPlaneImpl::Cancel(uint64_t id, const Caller& who) {
  const Timestamp now = clock_.Now();
  StoredJob after;
  auto committed = committer_->Run([&](Transaction& tx) -> Result<void> {
    SW_TRY(job, tx.GetJob(id));
    if (!who.Sees(job.tenant)) return MakeError(ErrorCode::kNotFound, "job " + std::to_string(id) + " not found");
    if (IsFinalJobState(job.state)) {
      return MakeError(ErrorCode::kConflict, "job " + std::to_string(id) + " is already " + job.state);
    }
    SW_TRY(version, tx.UpdateJob(id, job.version, "cancelled", job.site, "cancelled by the user", now));
    if (!job.site.empty()) SW_CHECK(AppendDispatch(tx, *signer_, job.site, id, KillPayload(id), now));
    SW_CHECK(tx.AppendAudit(now, who.tenant + "/" + who.role, "job.cancel", "job/" + std::to_string(id), ""));
    after = job;
    after.state = "cancelled";
    after.reason = "cancelled by the user";
    after.version = version;
    after.updated_ms = now;
    return {};
  });
  if (!committed) return ProblemFor(committed.error());
  Enqueue(CancelJob{id});
  return Json(200, JobJson(after));
}

void ControlPlaneImpl::RememberCommand(uint64_t id, std::vector<std::string> argv) {
  std::lock_guard lock(jobs_mutex_);
  argv_[id] = std::move(argv);
}

void ControlPlaneImpl::ForgetJob(uint64_t id) {
  std::lock_guard lock(jobs_mutex_);
  argv_.erase(id);
  specs_.erase(id);
}

// GET /v1/jobs/{id}/logs?task=N&stream=stdout|stderr: the end of a task's output as its agent
// sent it when the task ended (at most kLogTailBytes); text/plain.
HttpResponse ControlPlaneImpl::Logs(uint64_t id, const std::map<std::string, std::string>& query, const Caller& who) {
  int task = 0;
  if (auto it = query.find("task"); it != query.end()) {
    auto number = ParseId(it->second, "task");
    if (!number || *number > 1000000) return Problem(400, "Bad Request", "task '" + it->second + "' is not a task number");
    task = static_cast<int>(*number);
  }
  const std::string stream = query.contains("stream") ? query.at("stream") : "stdout";
  if (stream != "stdout" && stream != "stderr") {
    return Problem(400, "Bad Request", "stream '" + stream + "' is not stdout or stderr");
  }
  auto read = ReadJob(id, who);
  if (!read) return ProblemFor(read.error());
  const std::vector<StoredTask>& tasks = read->tasks;
  auto t = std::find_if(tasks.begin(), tasks.end(), [&](const StoredTask& x) { return x.task == task; });
  if (t == tasks.end()) {
    return Problem(404, "Not Found", "job " + std::to_string(id) + " has no task " + std::to_string(task) +
                                         (tasks.empty() ? " yet: it was never dispatched (state " + read->job.state + ")" : ""));
  }
  if (!IsFinalTaskState(t->state)) {
    return Problem(409, "Conflict", "task " + std::to_string(task) + " of job " + std::to_string(id) + " is " +
                                        t->state + "; its output comes back when it ends");
  }
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = stream == "stdout" ? t->stdout_tail : t->stderr_tail;
  return r;
}

}  // namespace suanwang
