// What a site agent tells the server it has: discovered from the machine (CPU cores the agent
// may use, memory, NVIDIA GPUs through `nvidia-smi` where it is on PATH) or declared in a file.
#pragma once

#include <string>

#include "common/error.h"

namespace suanwang {

// {"source":"discovered","hostname":..,"cpu_cores":N,"memory_mib":M,"gpus":[{"model":..,
//  "memory_mib":..}]}. Never fails: what cannot be read is left out (gpus: [] without nvidia-smi).
std::string DiscoverResources();

// A declared inventory: a JSON object file, e.g. {"cpu_cores":64,"memory_mib":524288,
// "gpus":[{"model":"A100","memory_mib":81920}]}; returned with "source":"declared".
// Errors: kUnavailable (cannot read), kInvalidArgument (path: not a JSON object, or a field of
// the wrong type, named).
Result<std::string> ReadDeclaredResources(const std::string& path);

// `resources_json` (an object; anything else reads as {}) with "confinement" (how tenants' tasks
// are kept apart: "uid" or "unconfined") and "limits" (how their limits are enforced: "cgroup2",
// "cgroup1", "rlimit" or "none") set: what the server shows in GET /v1/sites.
std::string WithConfinement(const std::string& resources_json, const std::string& confinement,
                            const std::string& limits);

}  // namespace suanwang
