#include "sim/green_scenario.h"

#include <cmath>

#include "common/rng.h"
#include "model/yaml_reader.h"

namespace suanwang {
namespace {

std::string Resolve(const std::string& scenario_path, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  const size_t slash = scenario_path.find_last_of('/');
  return slash == std::string::npos ? path : scenario_path.substr(0, slash) + "/" + path;
}

Result<CostWeights> ReadWeights(const YamlReader& y, const YAML::Node& n, const std::string& f) {
  SW_CHECK(y.OnlyKeys(n, f, {"wait", "transfer", "latency", "money", "carbon"}));
  CostWeights w;
  SW_TRY(wait, y.Number(n, "wait", f, false, w.wait));
  SW_TRY(transfer, y.Number(n, "transfer", f, false, w.transfer));
  SW_TRY(latency, y.Number(n, "latency", f, false, w.latency));
  SW_TRY(money, y.Number(n, "money", f, false, w.money));
  SW_TRY(carbon, y.Number(n, "carbon", f, false, w.carbon));
  for (auto [key, v] : {std::pair{"wait", wait}, {"transfer", transfer}, {"latency", latency}, {"money", money},
                        {"carbon", carbon}}) {
    if (v < 0) return std::unexpected(y.At(n[key], f + "." + key, "negative weight"));
  }
  return CostWeights{wait, transfer, latency, money, carbon};
}

Result<void> ReadJobs(const YamlReader& y, const YAML::Node& n, GreenScenario& s) {
  SW_CHECK(y.OnlyKeys(n, "jobs", {"max_job_gpus", "gpus_per_task", "cores_per_gpu", "memory_gib_per_gpu", "tiers",
                                  "deferrable"}));
  SW_TRY(max_gpus, y.Integer(n, "max_job_gpus", "jobs", false, s.max_job_gpus));
  SW_TRY(per_task, y.Integer(n, "gpus_per_task", "jobs", false, s.gpus_per_task));
  SW_TRY(cores, y.Number(n, "cores_per_gpu", "jobs", false, s.cores_per_gpu));
  SW_TRY(mem, y.Number(n, "memory_gib_per_gpu", "jobs", false, s.memory_gib_per_gpu));
  if (max_gpus < 1) return std::unexpected(y.At(n["max_job_gpus"], "jobs.max_job_gpus", "must be at least 1"));
  if (per_task < 1 || per_task > 16) return std::unexpected(y.At(n["gpus_per_task"], "jobs.gpus_per_task", "not in 1..16"));
  if (cores <= 0) return std::unexpected(y.At(n["cores_per_gpu"], "jobs.cores_per_gpu", "must be positive"));
  if (mem <= 0) return std::unexpected(y.At(n["memory_gib_per_gpu"], "jobs.memory_gib_per_gpu", "must be positive"));
  s.max_job_gpus = max_gpus;
  s.gpus_per_task = per_task;
  s.cores_per_gpu = cores;
  s.memory_gib_per_gpu = mem;
  if (const YAML::Node t = n["tiers"]) {
    SW_CHECK(y.OnlyKeys(t, "jobs.tiers", {"t1", "t2", "t3"}));
    double sum = 0;
    const char* keys[] = {"t1", "t2", "t3"};
    for (int k = 0; k < 3; ++k) {
      SW_TRY(share, y.Number(t, keys[k], "jobs.tiers", false, 0));
      if (share < 0) return std::unexpected(y.At(t[keys[k]], std::string("jobs.tiers.") + keys[k], "negative share"));
      s.tier_share[k] = share;
      sum += share;
    }
    if (std::abs(sum - 1) > 1e-9) return std::unexpected(y.At(t, "jobs.tiers", "shares sum to " + std::to_string(sum) + ", not 1"));
  }
  if (const YAML::Node d = n["deferrable"]) {
    SW_CHECK(y.OnlyKeys(d, "jobs.deferrable", {"tiers", "window_h", "deadline_slack_h"}));
    if (!d["tiers"] || !d["tiers"].IsSequence()) return std::unexpected(y.At(d, "jobs.deferrable.tiers", "expected a list of tiers"));
    for (const auto& item : d["tiers"]) {
      auto tier = ParseTier(item.Scalar());
      if (!tier) return std::unexpected(y.At(item, "jobs.deferrable.tiers", tier.error().message));
      s.deferrable.push_back(*tier);
    }
    SW_TRY(window, y.Number(d, "window_h", "jobs.deferrable"));
    SW_TRY(slack, y.Number(d, "deadline_slack_h", "jobs.deferrable", false, s.deadline_slack_h));
    if (window < 0) return std::unexpected(y.At(d["window_h"], "jobs.deferrable.window_h", "negative"));
    if (slack < window) {
      return std::unexpected(y.At(d["deadline_slack_h"], "jobs.deferrable.deadline_slack_h", "shorter than the start window"));
    }
    s.window_h = window;
    s.deadline_slack_h = slack;
  }
  return {};
}

}  // namespace

Result<GreenScenario> ParseGreenScenario(const std::string& text, const std::string& path) {
  YamlReader y(path);
  SW_TRY(root, y.Parse(text));
  SW_CHECK(y.OnlyKeys(root, "scenario", {"name", "description", "network", "inventory", "trace", "speedup", "jobs",
                                         "node_policy", "seed", "west_hubs", "cluster_green_share", "policies"}));
  GreenScenario s;
  SW_TRY(name, y.String(root, "name", "scenario"));
  SW_TRY(description, y.String(root, "description", "scenario", false));
  SW_TRY(network, y.String(root, "network", "scenario"));
  SW_TRY(inventory, y.String(root, "inventory", "scenario", false));
  SW_TRY(trace, y.String(root, "trace", "scenario"));
  SW_TRY(speedup, y.Number(root, "speedup", "scenario", false, 1));
  SW_TRY(node_policy, y.String(root, "node_policy", "scenario", false, s.node_policy));
  SW_TRY(seed, y.Integer(root, "seed", "scenario", false, 42));
  if (!(speedup > 0)) return std::unexpected(y.At(root["speedup"], "speedup", "must be positive"));
  s.name = name;
  s.description = description;
  s.network_path = Resolve(path, network);
  s.inventory_path = Resolve(path, inventory);
  s.trace_path = Resolve(path, trace);
  s.speedup = speedup;
  s.node_policy = node_policy;
  s.seed = static_cast<uint64_t>(seed);
  if (const YAML::Node jobs = root["jobs"]) SW_CHECK(ReadJobs(y, jobs, s));
  if (root["cluster_green_share"]) {
    SW_TRY(share, y.Number(root, "cluster_green_share", "scenario"));
    if (share < 0 || share > 1) return std::unexpected(y.At(root["cluster_green_share"], "cluster_green_share", "not in 0..1"));
    s.cluster_green_share = share;
  }
  if (const YAML::Node west = root["west_hubs"]) {
    if (!west.IsSequence()) return std::unexpected(y.At(west, "west_hubs", "expected a list of hub ids"));
    for (const auto& hub : west) s.west_hubs.push_back(hub.Scalar());
  }
  const YAML::Node policies = root["policies"];
  if (!policies || !policies.IsSequence() || policies.size() == 0) {
    return std::unexpected(y.At(policies ? policies : root, "policies", "expected a non-empty list"));
  }
  for (size_t i = 0; i < policies.size(); ++i) {
    const std::string f = "policies[" + std::to_string(i) + "]";
    const YAML::Node p = policies[i];
    SW_CHECK(y.OnlyKeys(p, f, {"name", "weights", "defer"}));
    GreenPolicy policy;
    SW_TRY(pname, y.String(p, "name", f));
    policy.name = pname;
    for (const GreenPolicy& other : s.policies) {
      if (other.name == pname) return std::unexpected(y.At(p["name"], f + ".name", "'" + pname + "' appears twice"));
    }
    if (!p["weights"]) return std::unexpected(y.At(p, f + ".weights", "missing"));
    SW_TRY(weights, ReadWeights(y, p["weights"], f + ".weights"));
    policy.weights = weights;
    if (const YAML::Node d = p["defer"]) {
      if (d.Scalar() != "true" && d.Scalar() != "false") return std::unexpected(y.At(d, f + ".defer", "expected true or false"));
      policy.defer = d.Scalar() == "true";
    }
    s.policies.push_back(policy);
  }
  return s;
}

Result<Workload> GreenWorkload(const GreenScenario& s, const Network& network, const std::vector<GaiaJob>& trace) {
  std::vector<std::string> cities;
  for (const Place& p : network.places) {
    if (p.kind == "city") cities.push_back(p.id);
  }
  if (cities.empty()) return MakeError(ErrorCode::kInvalidArgument, "network '" + network.name + "' has no demand city");
  Rng rng(s.seed);
  Workload w;
  w.name = s.name;
  const Tier tiers[3] = {Tier::kT1, Tier::kT2, Tier::kT3};
  for (size_t i = 0; i < trace.size(); ++i) {
    const GaiaJob& g = trace[i];
    const double draw = rng.UniformDouble();
    const Tier tier = draw < s.tier_share[0] ? tiers[0] : draw < s.tier_share[0] + s.tier_share[1] ? tiers[1] : tiers[2];
    const std::string& origin = cities[rng.Uniform(cities.size())];
    const bool deferrable = std::find(s.deferrable.begin(), s.deferrable.end(), tier) != s.deferrable.end();
    const double arrival_s = g.arrival_h * 3600 / s.speedup;
    const double run_s = g.length_h * 3600;
    for (int64_t left = g.units, piece = 0; left > 0; ++piece) {
      const int64_t gpus = std::min(left, s.max_job_gpus);
      left -= gpus;
      const int64_t tasks = (gpus + s.gpus_per_task - 1) / s.gpus_per_task;
      const int64_t per_task = (gpus + tasks - 1) / tasks;
      JobSpec j;
      j.id = w.jobs.size() + 1;
      j.name = "gaia-" + std::to_string(i + 1) + (piece || left ? "-" + std::to_string(piece) : "");
      j.tenant = "default";
      j.tasks = static_cast<int32_t>(tasks);
      j.task.gpu_count = static_cast<int32_t>(per_task);
      j.task.gpu_milli = kMilliGpu;
      j.task.cpu_milli = static_cast<int64_t>(std::llround(static_cast<double>(per_task) * s.cores_per_gpu * 1000));
      j.task.memory_mib = static_cast<int64_t>(std::llround(static_cast<double>(per_task) * s.memory_gib_per_gpu * 1024));
      j.tier = tier;
      j.origin = origin;
      j.duration_s = run_s;
      if (deferrable) {
        const double deadline_s = arrival_s + run_s + s.deadline_slack_h * 3600;
        j.deadline_ms = static_cast<Timestamp>(std::llround(deadline_s * 1000));
        j.start_by_ms = static_cast<Timestamp>(std::llround((arrival_s + s.window_h * 3600) * 1000));
      }
      w.jobs.push_back(std::move(j));
      w.arrival_s.push_back(arrival_s);
    }
  }
  return w;
}

}  // namespace suanwang
