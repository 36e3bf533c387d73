#include "api/job_json.h"

#include <nlohmann/json.hpp>

namespace suanwang {
namespace {

nlohmann::json ToJson(const StoredJob& j) {
  return nlohmann::json{{"id", j.id},
                        {"name", j.name},
                        {"tenant", j.tenant},
                        {"state", j.state},
                        {"site", j.site.empty() ? nlohmann::json(nullptr) : nlohmann::json(j.site)},
                        {"reason", j.reason},
                        {"submitted_ms", j.submitted_ms},
                        {"updated_ms", j.updated_ms},
                        {"spec", j.spec},
                        {"decision", j.decision.empty() ? nlohmann::json(nullptr)
                                                        : nlohmann::json::parse(j.decision, nullptr, false)}};
}

}  // namespace

std::string JobJson(const StoredJob& job) { return ToJson(job).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string JobJson(const StoredJob& job, const std::vector<StoredTask>& tasks) {
  nlohmann::json j = ToJson(job);
  nlohmann::json list = nlohmann::json::array();
  StoredTask total;  // the energy fields summed over the tasks
  for (const StoredTask& t : tasks) {
    list.push_back({{"task", t.task},
                    {"attempt", t.attempt},
                    {"site", t.site},
                    {"state", t.state},
                    {"exit_code", t.exit_code},
                    {"signal", t.signal},
                    {"reason", t.reason},
                    {"cpu_seconds", static_cast<double>(t.cpu_ms) / 1000},
                    {"peak_memory_mib", static_cast<double>(t.peak_memory_kib) / 1024},
                    {"wall_seconds", static_cast<double>(t.wall_ms) / 1000},
                    {"updated_ms", t.updated_ms},
                    {"energy", {{"gpu_hours", t.gpu_hours},
                                {"it_kwh", t.it_kwh},
                                {"facility_kwh", t.facility_kwh},
                                {"carbon_kg", t.carbon_kg},
                                {"energy_cny", t.energy_cny}}}});
    total.gpu_hours += t.gpu_hours;
    total.it_kwh += t.it_kwh;
    total.facility_kwh += t.facility_kwh;
    total.carbon_kg += t.carbon_kg;
    total.energy_cny += t.energy_cny;
  }
  j["tasks"] = std::move(list);
  j["energy"] = {{"gpu_hours", total.gpu_hours},
                 {"it_kwh", total.it_kwh},
                 {"facility_kwh", total.facility_kwh},
                 {"carbon_kg", total.carbon_kg},
                 {"energy_cny", total.energy_cny}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string JobListJson(const std::vector<StoredJob>& jobs, uint64_t next_after) {
  nlohmann::json list = nlohmann::json::array();
  for (const StoredJob& j : jobs) list.push_back(ToJson(j));
  return nlohmann::json{{"jobs", list}, {"next_after", next_after ? nlohmann::json(next_after) : nlohmann::json(nullptr)}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpResponse Json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse Problem(int status, const std::string& title, const std::string& detail) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = nlohmann::json{{"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse ProblemFor(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument: {
      HttpResponse r = Problem(400, "Bad Request", error.message);
      const auto at = error.message.find(": field '");
      if (at != std::string::npos) {
        const auto name_start = at + 9, name_end = error.message.find("': ", name_start);
        if (name_end != std::string::npos) {
          auto body = nlohmann::json::parse(r.body);
          body["invalid-params"] = nlohmann::json::array(
              {{{"name", error.message.substr(name_start, name_end - name_start)},
                {"reason", error.message.substr(name_end + 3)}}});
          r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
      }
      return r;
    }
    case ErrorCode::kNotFound: return Problem(404, "Not Found", error.message);
    case ErrorCode::kConflict: return Problem(409, "Conflict", error.message);
    case ErrorCode::kPermissionDenied: return Problem(403, "Forbidden", error.message);
    case ErrorCode::kUnavailable: return Problem(503, "Service Unavailable", error.message);
    case ErrorCode::kBusy: return Problem(429, "Too Many Requests", error.message);
    default: return Problem(500, "Internal Server Error", error.message);
  }
}

}  // namespace suanwang
