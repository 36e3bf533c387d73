// JSON on the wire: jobs as the API returns them, and RFC 9457 problem documents.
#pragma once

#include <string>
#include <vector>

#include "api/http_types.h"
#include "common/error.h"
#include "store/store.h"

namespace suanwang {

// {"id":..,"name":..,"tenant":..,"state":..,"site":..,"reason":..,"submitted_ms":..,
//  "updated_ms":..,"spec":<the job file as submitted>}
std::string JobJson(const StoredJob& job);
// The same with "tasks": [{"task","attempt","site","state","exit_code","signal","reason",
// "cpu_seconds","peak_memory_mib","wall_seconds","updated_ms","energy":{"gpu_hours","it_kwh",
// "facility_kwh","carbon_kg","energy_cny"}}...] and "energy" (the tasks' sums).
std::string JobJson(const StoredJob& job, const std::vector<StoredTask>& tasks);
std::string JobListJson(const std::vector<StoredJob>& jobs, uint64_t next_after);

// An application/problem+json response. For kInvalidArgument errors whose message reads
// "SOURCE:LINE: field 'NAME': REASON", "invalid-params" names the field and the reason.
HttpResponse Problem(int status, const std::string& title, const std::string& detail);
HttpResponse ProblemFor(const Error& error);

HttpResponse Json(int status, std::string body);

}  // namespace suanwang
