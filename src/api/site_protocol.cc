#include "api/site_protocol.h"

#include <algorithm>
#include <initializer_list>
#include <nlohmann/json.hpp>

namespace suanwang {
namespace {

using nlohmann::json;

Error Bad(const std::string& field, const std::string& why) {
  return Error{ErrorCode::kInvalidArgument, "field '" + field + "': " + why};
}

// Reads an object's fields by name and type; unknown fields are errors.
class Fields {
 public:
  Fields(const json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  Result<void> OnlyKnown(std::initializer_list<const char*> names) const {
    if (!object_.is_object()) return std::unexpected(Bad(Name(""), "expected an object"));
    for (const auto& [key, value] : object_.items()) {
      bool known = false;
      for (const char* n : names) known = known || key == n;
      if (!known) return std::unexpected(Bad(Name(key), "unknown field"));
    }
    return {};
  }

  template <class T>
  Result<T> Get(const char* name, std::optional<T> fallback = std::nullopt) const {
    auto it = object_.find(name);
    if (it == object_.end()) {
      if (fallback) return *fallback;
      return std::unexpected(Bad(Name(name), "missing"));
    }
    if constexpr (std::is_same_v<T, bool>) {
      if (!it->is_boolean()) return std::unexpected(Bad(Name(name), "expected true or false"));
    } else if constexpr (std::is_integral_v<T>) {
      if (!it->is_number_integer()) return std::unexpected(Bad(Name(name), "expected an integer"));
      if (std::is_unsigned_v<T> && it->get<int64_t>() < 0 && !it->is_number_unsigned()) {
        return std::unexpected(Bad(Name(name), "must not be negative"));
      }
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!it->is_string()) return std::unexpected(Bad(Name(name), "expected a string"));
    } else {
      if (!it->is_array()) return std::unexpected(Bad(Name(name), "expected a list"));
      for (const json& element : *it) {
        if (!element.is_string() && !element.is_number_integer()) {
          return std::unexpected(Bad(Name(name), "unexpected element " + element.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
        }
      }
    }
    try {
      return it->get<T>();
    } catch (const json::exception& e) {
      return std::unexpected(Bad(Name(name), e.what()));
    }
  }

  std::string Name(const std::string& field) const {
    if (field.empty()) return prefix_.empty() ? "body" : prefix_;
    return prefix_.empty() ? field : prefix_ + "." + field;
  }

 private:
  const json& object_;
  std::string prefix_;
};

Result<json> ParseJson(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number like 1e400
    // Not e.what() whole: its "; last read: '...'" quotes the input's bytes, which need not be
    // UTF-8, and the message goes into a JSON problem document.
    std::string why = e.what();
    why.resize(std::min(why.size(), why.find("; last read")));
    return MakeError(ErrorCode::kInvalidArgument, "not valid JSON: " + why);
  }
}

const char* EventName(TaskEvent e) {
  switch (e) {
    case TaskEvent::kStarted: return "started";
    case TaskEvent::kExited: return "exited";
    case TaskEvent::kStartFailed: return "start_failed";
  }
  return "?";
}

Result<TaskReport> ParseReport(const json& j, const std::string& prefix) {
  Fields f(j, prefix);
  SW_CHECK(f.OnlyKnown({"job", "task", "attempt", "event", "at_ms", "exit_code", "signal", "killed",
                        "fenced", "out_of_memory", "cpu_ms", "peak_memory_kib", "wall_ms", "stdout_tail", "stderr_tail",
                        "error", "receipt"}));
  TaskReport r;
  SW_TRY(job, f.Get<uint64_t>("job"));
  SW_TRY(task, f.Get<int>("task"));
  SW_TRY(attempt, f.Get<uint64_t>("attempt"));
  SW_TRY(event, f.Get<std::string>("event"));
  if (job == 0) return std::unexpected(Bad(f.Name("job"), "must be a job id >= 1"));
  if (task < 0) return std::unexpected(Bad(f.Name("task"), "must not be negative"));
  r.job = job;
  r.task = task;
  r.attempt = attempt;
  if (event == "started") {
    r.event = TaskEvent::kStarted;
  } else if (event == "exited") {
    r.event = TaskEvent::kExited;
  } else if (event == "start_failed") {
    r.event = TaskEvent::kStartFailed;
  } else {
    return std::unexpected(Bad(f.Name("event"), "'" + event + "' is not started, exited or start_failed"));
  }
  SW_TRY(at, f.Get<int64_t>("at_ms", 0));
  SW_TRY(exit_code, f.Get<int>("exit_code", 0));
  SW_TRY(signal, f.Get<int>("signal", 0));
  SW_TRY(killed, f.Get<bool>("killed", false));
  SW_TRY(fenced, f.Get<bool>("fenced", false));
  SW_TRY(oom, f.Get<bool>("out_of_memory", false));
  SW_TRY(cpu, f.Get<int64_t>("cpu_ms", 0));
  SW_TRY(peak, f.Get<int64_t>("peak_memory_kib", 0));
  SW_TRY(wall, f.Get<int64_t>("wall_ms", 0));
  SW_TRY(out, f.Get<std::string>("stdout_tail", std::string()));
  SW_TRY(err, f.Get<std::string>("stderr_tail", std::string()));
  SW_TRY(error, f.Get<std::string>("error", std::string()));
  SW_TRY(receipt, f.Get<std::string>("receipt", std::string()));
  if (out.size() > kLogTailBytes || err.size() > kLogTailBytes) {
    return std::unexpected(Bad(f.Name("stdout_tail"), "more than " + std::to_string(kLogTailBytes) + " bytes"));
  }
  if (error.size() > kLogTailBytes) {
    return std::unexpected(Bad(f.Name("error"), "more than " + std::to_string(kLogTailBytes) + " bytes"));
  }
  // Usage is billed: none of it may be negative (nor absurd: a year of wall time per report).
  constexpr int64_t kYearMs = 366LL * 24 * 3600 * 1000;
  if (cpu < 0 || cpu > 1024 * kYearMs) return std::unexpected(Bad(f.Name("cpu_ms"), "out of range"));
  if (wall < 0 || wall > kYearMs) return std::unexpected(Bad(f.Name("wall_ms"), "out of range"));
  if (peak < 0 || peak > (int64_t{1} << 40)) return std::unexpected(Bad(f.Name("peak_memory_kib"), "out of range"));
  r.at_ms = at;
  r.exit_code = exit_code;
  r.signal = signal;
  r.killed = killed;
  r.fenced = fenced;
  r.out_of_memory = oom;
  r.cpu_ms = cpu;
  r.peak_memory_kib = peak;
  r.wall_ms = wall;
  r.stdout_tail = std::move(out);
  r.stderr_tail = std::move(err);
  r.error = std::move(error);
  r.receipt = std::move(receipt);
  return r;
}

}  // namespace

std::string TaskKey(uint64_t job, int task, uint64_t attempt) {
  return "j" + std::to_string(job) + "-t" + std::to_string(task) + "-a" + std::to_string(attempt);
}

bool IsTenantName(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos;
}

std::string FormatSiteCommand(const SiteCommand& command) {
  if (const auto* kill = std::get_if<KillCommand>(&command)) {
    json j{{"op", "kill"}, {"job", kill->job}};
    if (kill->notice_s > 0) j["notice_s"] = kill->notice_s;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  const auto& run = std::get<RunCommand>(command);
  return json{{"op", "run"},        {"job", run.job},
              {"task", run.task},   {"tasks", run.tasks}, {"attempt", run.attempt}, {"tenant", run.tenant},
              {"node", run.node},   {"gpus", run.gpus},
              {"cpu_milli", run.cpu_milli}, {"memory_mib", run.memory_mib},
              {"gpu_milli", run.gpu_milli}, {"argv", run.argv}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<SiteCommand> ParseSiteCommand(const std::string& payload) {
  SW_TRY(j, ParseJson(payload));
  Fields f(j, "");
  if (!j.is_object()) return std::unexpected(Bad("body", "expected an object"));
  SW_TRY(op, f.Get<std::string>("op"));
  if (op == "kill") {
    SW_CHECK(f.OnlyKnown({"op", "job", "notice_s"}));
    SW_TRY(job, f.Get<uint64_t>("job"));
    SW_TRY(notice, f.Get<int64_t>("notice_s", 0));
    if (notice < 0) return std::unexpected(Bad("notice_s", "must not be negative"));
    return SiteCommand{KillCommand{job, notice}};
  }
  if (op != "run") return std::unexpected(Bad("op", "'" + op + "' is not run or kill"));
  SW_CHECK(f.OnlyKnown({"op", "job", "task", "tasks", "attempt", "tenant", "node", "gpus", "cpu_milli", "memory_mib", "gpu_milli", "argv"}));
  RunCommand run;
  SW_TRY(job, f.Get<uint64_t>("job"));
  SW_TRY(task, f.Get<int>("task"));
  SW_TRY(tasks, f.Get<int>("tasks", 1));
  if (task < 0 || tasks < 1 || task >= tasks) {
    return std::unexpected(Bad("task", std::to_string(task) + " is not a task of a gang of " + std::to_string(tasks)));
  }
  SW_TRY(attempt, f.Get<uint64_t>("attempt", 1));
  SW_TRY(tenant, f.Get<std::string>("tenant"));
  if (!IsTenantName(tenant)) {
    return std::unexpected(Bad("tenant", "must be a tenant name: 1-64 of a-z 0-9 - _"));
  }
  SW_TRY(node, f.Get<std::string>("node", std::string()));
  SW_TRY(gpus, f.Get<std::vector<int>>("gpus", std::vector<int>{}));
  SW_TRY(cpu, f.Get<int64_t>("cpu_milli", 0));
  SW_TRY(memory, f.Get<int64_t>("memory_mib", 0));
  SW_TRY(gpu_milli, f.Get<int64_t>("gpu_milli", 0));
  SW_TRY(argv, f.Get<std::vector<std::string>>("argv"));
  if (argv.empty()) return std::unexpected(Bad("argv", "must name a program"));
  run.job = job;
  run.task = task;
  run.tasks = tasks;
  run.attempt = attempt;
  run.tenant = std::move(tenant);
  run.node = std::move(node);
  run.gpus = std::move(gpus);
  run.cpu_milli = cpu;
  run.memory_mib = memory;
  run.gpu_milli = gpu_milli;
  run.argv = std::move(argv);
  return SiteCommand{std::move(run)};
}

std::string FormatReports(const ReportBatch& batch) {
  json list = json::array();
  for (const TaskReport& r : batch.reports) {
    json j{{"job", r.job}, {"task", r.task}, {"attempt", r.attempt}, {"event", EventName(r.event)}, {"at_ms", r.at_ms}};
    if (r.event == TaskEvent::kExited) {
      j.update({{"exit_code", r.exit_code},
                {"signal", r.signal},
                {"killed", r.killed},
                {"fenced", r.fenced},
                {"out_of_memory", r.out_of_memory},
                {"cpu_ms", r.cpu_ms},
                {"peak_memory_kib", r.peak_memory_kib},
                {"wall_ms", r.wall_ms},
                {"stdout_tail", r.stdout_tail},
                {"stderr_tail", r.stderr_tail}});
    }
    if (!r.error.empty()) j["error"] = r.error;
    if (!r.receipt.empty()) j["receipt"] = r.receipt;
    list.push_back(std::move(j));
  }
  // Output tails may hold any bytes; invalid UTF-8 is replaced rather than refused.
  return json{{"agent", batch.agent}, {"reports", list}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

UsageReceipt ReceiptOf(const std::string& site, const TaskReport& r) {
  UsageReceipt u;
  u.site = site;
  u.job = r.job;
  u.task = r.task;
  u.attempt = r.attempt;
  u.event = EventName(r.event);
  u.end_ms = r.at_ms;
  u.exit_code = r.exit_code;
  u.signal = r.signal;
  u.killed = r.killed;
  u.fenced = r.fenced;
  u.out_of_memory = r.out_of_memory;
  u.cpu_ms = r.cpu_ms;
  u.wall_ms = r.wall_ms;
  u.peak_memory_kib = r.peak_memory_kib;
  u.stdout_sha256 = Sha256Digest(r.stdout_tail);
  u.stderr_sha256 = Sha256Digest(r.stderr_tail);
  u.error_sha256 = Sha256Digest(r.error);
  return u;
}

Result<ReportBatch> ParseReports(const std::string& body) {
  SW_TRY(j, ParseJson(body));
  Fields f(j, "");
  SW_CHECK(f.OnlyKnown({"agent", "reports"}));
  ReportBatch batch;
  SW_TRY(agent, f.Get<std::string>("agent"));
  batch.agent = std::move(agent);
  auto list = j.find("reports");
  if (list == j.end() || !list->is_array()) return std::unexpected(Bad("reports", "expected a list"));
  if (list->size() > 10000) return std::unexpected(Bad("reports", "more than 10000 reports in one request"));
  for (size_t i = 0; i < list->size(); ++i) {
    SW_TRY(report, ParseReport((*list)[i], "reports[" + std::to_string(i) + "]"));
    batch.reports.push_back(std::move(report));
  }
  return batch;
}

std::string FormatHeartbeat(const Heartbeat& h) {
  json resources = json::parse(h.resources_json, nullptr, false);
  if (resources.is_discarded()) resources = json::object();
  json j{{"agent", h.agent}, {"resources", resources}, {"running", h.running}, {"fresh", h.fresh}};
  if (!h.receipt_key.empty()) j["receipt_key"] = h.receipt_key;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Heartbeat> ParseHeartbeat(const std::string& body) {
  SW_TRY(j, ParseJson(body));
  Fields f(j, "");
  SW_CHECK(f.OnlyKnown({"agent", "resources", "running", "fresh", "receipt_key"}));
  Heartbeat h;
  SW_TRY(agent, f.Get<std::string>("agent"));
  if (agent.empty() || agent.size() > 200) return std::unexpected(Bad("agent", "must be 1-200 characters"));
  h.agent = std::move(agent);
  if (auto it = j.find("resources"); it != j.end()) {
    if (!it->is_object()) return std::unexpected(Bad("resources", "expected an object"));
    h.resources_json = it->dump();
  }
  SW_TRY(running, f.Get<std::vector<std::string>>("running", std::vector<std::string>{}));
  h.running = std::move(running);
  SW_TRY(fresh, f.Get<bool>("fresh", false));
  h.fresh = fresh;
  SW_TRY(key, f.Get<std::string>("receipt_key", std::string()));
  if (!key.empty() && (key.size() != 64 || key.find_first_not_of("0123456789abcdef") != std::string::npos)) {
    return std::unexpected(Bad("receipt_key", "expected 64 lower-case hex characters"));
  }
  h.receipt_key = std::move(key);
  return h;
}

}  // namespace suanwang
