// A site's pools as its agent registered them, for the engine (engine/scheduler.h SiteNodes).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "model/network.h"

namespace suanwang {

// From a Slurm agent's registration, {"source":"slurm","partition":P,"queue_depth":D,
// "partitions":[{"name","default","nodes","cpus","memory_mb","gres"}...]} (agent/slurm_executor.h
// DiscoverSlurmResources): one pool per line of the partition the agent submits to (P, or the
// cluster's default when P is empty; all lines when neither is found). Every Slurm node counts
// D times (at least 1): the engine then hands the cluster up to D times what it can run at once,
// so Slurm's own queue stays full between suanwang's rounds, while no task larger than a real
// node is ever sent. GPUs: the GRES count; their model is the GRES type ("gpu:a100:2" -> A100),
// or else the first GPU model the network file declares for the site ("GPU" if none).
// nullopt for any other registration (local agents: the declared inventory stays).
// Errors: kInvalidArgument naming what cannot be read.
Result<std::optional<std::vector<Pool>>> RegisteredPools(const std::string& resources_json, const Site& declared);

}  // namespace suanwang
