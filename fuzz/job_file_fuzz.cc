// Job files (YAML or JSON) as a tenant submits them: POST /v1/jobs's body, and what recovery
// reads back from the store. A parsed job is then encoded the ways the server encodes it (the
// job's JSON, its signed run command) and decoded again; a refused one becomes the problem
// document the client gets.
#include <nlohmann/json.hpp>

#include "api/job_codec.h"
#include "api/job_json.h"
#include "api/site_protocol.h"
#include "fuzz_check.h"

using namespace suanwang;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::Text(data, size);
  GpuModelTable models;
  Result<JobRequest> parsed = ParseJobFile(text, "request body", models);
  if (!parsed) {
    const HttpResponse problem = ProblemFor(parsed.error());
    SW_FUZZ_CHECK(problem.status >= 400 && problem.status < 600, problem.body);
    SW_FUZZ_CHECK(nlohmann::json::accept(problem.body), problem.body);
    return 0;
  }
  // What POST /v1/jobs answers and GET /v1/jobs lists: the stored row with the file as spec.
  StoredJob row{7, "tenant-a", parsed->spec.name, text, "queued", "", "submitted", 1, 1, 1, "", ""};
  const std::string job_json = JobJson(row);
  SW_FUZZ_CHECK(nlohmann::json::accept(job_json), job_json);
  // Recovery parses the stored text again: it must read the same.
  GpuModelTable models_again;
  Result<JobRequest> again = ParseJobFile(text, "job 7", models_again);
  SW_FUZZ_CHECK(again.has_value(), again ? "" : again.error().message);
  SW_FUZZ_CHECK(again->command == parsed->command && again->spec.name == parsed->spec.name, "second parse differs");
  // Placement signs one run command per task with the job's argv.
  RunCommand run;
  run.job = 7;
  run.tenant = row.tenant;
  run.tasks = parsed->spec.tasks;
  run.node = "n0";
  run.cpu_milli = parsed->spec.task.cpu_milli;
  run.memory_mib = parsed->spec.task.memory_mib;
  run.gpu_milli = parsed->spec.task.gpu_milli;
  run.argv = parsed->command;
  const std::string payload = FormatSiteCommand(run);
  Result<SiteCommand> back = ParseSiteCommand(payload);
  SW_FUZZ_CHECK(back.has_value(), back ? payload : back.error().message + " in " + payload);
  SW_FUZZ_CHECK(std::holds_alternative<RunCommand>(*back) && std::get<RunCommand>(*back).argv == run.argv, payload);
  return 0;
}
