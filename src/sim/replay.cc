#include "sim/replay.h"

#include <algorithm>
#include <cmath>
#include <queue>

#include "common/rng.h"

namespace suanwang {
namespace {

struct SimEvent {
  double time_s;
  uint64_t seq;
  bool finish;  // false: arrival
  size_t job;   // index into jobs
  int generation;
  bool operator>(const SimEvent& o) const {
    if (time_s != o.time_s) return time_s > o.time_s;
    return seq > o.seq;
  }
};

Tier TierForQos(const std::string& qos) {
  if (qos == "LS") return Tier::kT2;
  if (qos == "Burstable" || qos == "Guaranteed") return Tier::kT3;
  return Tier::kAny;
}

}  // namespace

std::vector<std::vector<NodeSpec>> SplitNodesOverSites(const std::vector<NodeSpec>& nodes, size_t sites) {
  std::vector<std::vector<NodeSpec>> out(sites);
  for (size_t i = 0; i < nodes.size() && sites > 0; ++i) out[i % sites].push_back(nodes[i]);
  return out;
}

Result<ReplayResult> RunReplay(const Network& network, GpuModelTable& models, const TaskTrace& trace,
                               std::vector<std::vector<NodeSpec>> site_nodes, const ReplayConfig& config,
                               const std::function<void(uint64_t)>& tick) {
  if (!trace.has_times()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "trace '" + trace.workload + "' has no creation_time/deletion_time columns: replay needs them");
  }
  if (!(config.speedup > 0)) return MakeError(ErrorCode::kInvalidArgument, "speedup must be positive");
  PolicyContext context;
  context.typical_shapes = TypicalShapes(trace.tasks, 0.95);
  context.workload = trace.tasks;
  auto scheduler = site_nodes.empty()
                       ? Scheduler::Create(network, models, config.scheduler, context)
                       : Scheduler::Create(network, models, config.scheduler, context, std::move(site_nodes));
  if (!scheduler) return std::unexpected(scheduler.error());
  Scheduler& sched = **scheduler;

  // Origins: demand cities that some site serves within tier t2 (users of latency-sensitive
  // services live where such a service can be offered).
  std::vector<size_t> cities;
  for (size_t p = 0; p < network.places.size(); ++p) {
    if (network.places[p].kind != "city") continue;
    for (size_t s = 0; s < network.sites.size(); ++s) {
      if (network.WithinTier(p, s, Tier::kT2)) {
        cities.push_back(p);
        break;
      }
    }
  }
  if (cities.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "network has no demand city within t2 of a site for job origins");
  }

  Rng rng(config.seed);
  ReplayResult result;
  std::vector<JobSpec> specs;
  std::vector<double> durations;
  for (size_t i = 0; i < trace.tasks.size(); ++i) {
    JobSpec j;
    j.id = i + 1;
    j.name = trace.names[i];
    j.tenant = "default";
    j.tasks = 1;
    j.task = trace.tasks[i];
    if (config.ignore_gpu_models) j.task.gpu_models = kAnyGpuModel;
    j.tier = TierForQos(trace.qos[i]);
    j.origin = network.places[cities[rng.Uniform(cities.size())]].id;
    j.priority = trace.qos[i] == "LS" ? 1 : 0;
    j.duration_s = std::max(1.0, trace.deletion_s[i] - trace.creation_s[i]);
    specs.push_back(j);
    durations.push_back(j.duration_s);
    JobRecord r;
    r.id = j.id;
    r.name = j.name;
    r.arrival_s = trace.creation_s[i] / config.speedup;
    r.origin = j.origin;
    r.tier = j.tier;
    r.state = "queued";
    result.jobs.push_back(r);
  }
  for (size_t s = 0; s < network.sites.size(); ++s) {
    SiteRecord rec;
    rec.site = network.sites[s].id;
    rec.place = network.sites[s].place;
    auto place = network.PlaceIndex(rec.place);
    rec.hub = place ? network.places[*place].hub : "";
    rec.gpus = sched.site_state(s).total_gpu_milli() / kMilliGpu;
    rec.cpu_cores = sched.site_state(s).total_cpu_milli() / 1000;
    result.sites.push_back(rec);
  }

  std::priority_queue<SimEvent, std::vector<SimEvent>, std::greater<>> events;
  uint64_t seq = 0;
  double horizon = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    events.push(SimEvent{result.jobs[i].arrival_s, seq++, false, i, 0});
    horizon = std::max(horizon, result.jobs[i].arrival_s);
  }
  std::vector<int> generation(specs.size(), 0);
  std::vector<double> started_at(specs.size(), -1);
  // Utilisation sampling on a fixed grid over the arrival window (extended as jobs run on).
  const int samples = std::max(2, config.utilization_samples);
  const double step = std::max(1.0, horizon / (samples - 1));
  double next_sample = 0;
  auto sample_until = [&](double t) {
    while (next_sample <= t) {
      result.sample_times_s.push_back(next_sample);
      for (size_t s = 0; s < result.sites.size(); ++s) {
        const ClusterState& st = sched.site_state(s);
        result.sites[s].gpu_util_samples.push_back(
            st.total_gpu_milli() ? 100.0 * static_cast<double>(st.used_gpu_milli()) / static_cast<double>(st.total_gpu_milli()) : 0.0);
      }
      next_sample += step;
    }
  };
  // Utilisation counts the arrival window only: the trace's longest runs outlive it by months.
  const double window_end = horizon;
  auto account_stop = [&](size_t j, double now) {
    const double ran = std::min(now, window_end) - std::min(started_at[j], window_end);
    auto site = network.SiteIndex(result.jobs[j].site);
    if (site && ran > 0) {
      result.sites[*site].gpu_seconds += ran * static_cast<double>(specs[j].TotalGpuMilli()) / kMilliGpu;
      result.sites[*site].cpu_seconds += ran * static_cast<double>(specs[j].TotalCpuMilli()) / 1000;
    }
    started_at[j] = -1;
  };

  uint64_t handled = 0;
  double now = 0;
  while (!events.empty()) {
    SimEvent e = events.top();
    events.pop();
    if (e.finish && e.generation != generation[e.job]) continue;  // a preempted run
    now = e.time_s;
    sample_until(std::min(now, window_end));
    const auto now_ms = static_cast<Timestamp>(now * 1000);
    Result<std::vector<Command>> commands =
        e.finish ? sched.Apply(JobFinished{specs[e.job].id}, now_ms)
                 : [&] {
                     JobSpec j = specs[e.job];
                     j.submit_ms = now_ms;
                     return sched.Apply(SubmitJob{j}, now_ms);
                   }();
    if (!commands) {
      return MakeError(ErrorCode::kInternal, "job " + specs[e.job].name + ": " + commands.error().message);
    }
    if (e.finish) {
      if (started_at[e.job] >= 0) account_stop(e.job, now);
      result.jobs[e.job].end_s = now;
      result.jobs[e.job].state = "finished";
    }
    for (const Command& c : *commands) {
      const size_t j = static_cast<size_t>(c.job - 1);
      JobRecord& rec = result.jobs[j];
      switch (c.kind) {
        case CommandKind::kStart: {
          rec.start_s = now;
          rec.site = network.sites[*c.site].id;
          rec.state = "running";
          rec.reason.clear();
          auto origin = network.PlaceIndex(rec.origin);
          auto place = network.PlaceIndex(network.sites[*c.site].place);
          rec.rtt_ms = origin && place ? network.RttMs(*origin, *place) : 0;
          rec.within_tier = rec.rtt_ms <= network.TierLimitMs(rec.tier);
          ++result.sites[*c.site].jobs_started;
          started_at[j] = now;
          events.push(SimEvent{now + durations[j], seq++, true, j, ++generation[j]});
          break;
        }
        case CommandKind::kPreempt:
          account_stop(j, now);
          ++rec.preemptions;
          ++generation[j];
          events.push(SimEvent{now, seq++, false, j, 0});  // restart from scratch
          break;
        case CommandKind::kReject:
          rec.state = "rejected";
          rec.reason = c.reason;
          break;
        case CommandKind::kQueue:
          rec.reason = c.reason;
          break;
      }
    }
    if (tick && (++handled & 1023) == 0) tick(1024);
  }
  sample_until(std::min(now, window_end));
  for (size_t j = 0; j < specs.size(); ++j) {
    if (started_at[j] >= 0) account_stop(j, window_end);
  }
  result.horizon_s = window_end;
  return result;
}

}  // namespace suanwang
