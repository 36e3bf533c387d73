// Job files: what a tenant writes to submit a job (YAML or JSON; JSON is read as YAML's
// subset). Strict: unknown fields and wrong types are errors that name the field.
//
//   name: train-resnet            # required: 1-128 of [A-Za-z0-9._-]
//   tasks: 4                      # gang size, default 1
//   resources:                    # per task
//     cpu: 8                      # cores, may be fractional, at least 0.01
//     memory_mib: 32768
//     gpus: 1                     # whole GPUs, or a fraction below 1 for a share of one GPU
//     gpu_models: [A100, H800]    # allowed models, default any
//   command: [python3, train.py]  # argv, required
//   tier: t2                      # t1 | t2 | t3 | any (default any)
//   origin: sh                    # place id of the users, required unless tier is any
//   priority: 0                   # -1000..1000
//   data: {place: zw, gb: 500}    # optional input location and size
//   allowed_hubs: [nx, gs]        # optional data residency
//   deadline_ms: 1767225600000    # optional, Unix ms
//   start_by_ms: 1767200000000    # optional, Unix ms: deferrable; may wait for cleaner power
//   runtime_s: 7200               # optional expected run time (energy estimates; default 1 h)
//   utilisation: {gpu: 0.8, cpu: 0.3}   # optional expected device use 0..1 (energy model)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "model/gpu_model_table.h"
#include "model/job.h"

namespace suanwang {

struct JobRequest {
  JobSpec spec;                       // id and tenant are set by whoever accepts it
  std::vector<std::string> command;   // argv
};

// Errors: kInvalidArgument with message "SOURCE:LINE: field 'resources.gpus': reason" for
// syntax errors, missing or unknown fields, wrong types and out-of-range values; `field` of
// the returned error's message is what a problem document's "invalid-params" names.
Result<JobRequest> ParseJobFile(const std::string& text, const std::string& source,
                                GpuModelTable& models);

}  // namespace suanwang
