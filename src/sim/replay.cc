#include "sim/replay.h"

#include <algorithm>
#include <cmath>
#include <queue>

#include "common/rng.h"

namespace suanwang {
namespace {

struct SimEvent {
  enum Kind { kArrival, kFinish, kWake };
  double time_s;
  uint64_t seq;
  Kind kind;
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

Result<Workload> OpenbWorkload(const Network& network, const TaskTrace& trace, const ReplayConfig& config) {
  if (!trace.has_times()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "trace '" + trace.workload + "' has no creation_time/deletion_time columns: replay needs them");
  }
  if (!(config.speedup > 0)) return MakeError(ErrorCode::kInvalidArgument, "speedup must be positive");
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
  Workload w;
  w.name = trace.workload;
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
    w.jobs.push_back(j);
    w.arrival_s.push_back(trace.creation_s[i] / config.speedup);
  }
  return w;
}

Result<ReplayResult> RunReplay(const Network& network, GpuModelTable& models, const TaskTrace& trace,
                               std::vector<std::vector<NodeSpec>> site_nodes, const ReplayConfig& config,
                               const std::function<void(uint64_t)>& tick) {
  SW_TRY(workload, OpenbWorkload(network, trace, config));
  return RunWorkload(network, models, workload, std::move(site_nodes), config, tick, &trace.tasks);
}

Result<ReplayResult> RunWorkload(const Network& network, GpuModelTable& models, const Workload& workload,
                                 std::vector<std::vector<NodeSpec>> site_nodes, const ReplayConfig& config,
                                 const std::function<void(uint64_t)>& tick, const std::vector<TaskShape>* shapes) {
  PolicyContext context;
  std::vector<TaskShape> own_shapes;
  if (!shapes) {
    for (const JobSpec& j : workload.jobs) own_shapes.push_back(j.task);
    shapes = &own_shapes;
  }
  context.typical_shapes = TypicalShapes(*shapes, 0.95);
  context.workload = *shapes;
  auto scheduler = site_nodes.empty()
                       ? Scheduler::Create(network, models, config.scheduler, context)
                       : Scheduler::Create(network, models, config.scheduler, context, std::move(site_nodes));
  if (!scheduler) return std::unexpected(scheduler.error());
  Scheduler& sched = **scheduler;
  const EnergyModel* energy = config.scheduler.energy.get();

  ReplayResult result;
  const std::vector<JobSpec>& specs = workload.jobs;
  for (size_t i = 0; i < specs.size(); ++i) {
    const JobSpec& j = specs[i];
    JobRecord r;
    r.id = j.id;
    r.name = j.name;
    r.arrival_s = workload.arrival_s[i];
    r.origin = j.origin;
    r.tier = j.tier;
    r.gpus = static_cast<double>(j.TotalGpuMilli()) / kMilliGpu;
    r.deadline_s = j.deadline_ms ? static_cast<double>(*j.deadline_ms) / 1000 : -1;
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
    events.push(SimEvent{result.jobs[i].arrival_s, seq++, SimEvent::kArrival, i, 0});
    horizon = std::max(horizon, result.jobs[i].arrival_s);
  }
  std::vector<int> generation(specs.size(), 0);
  std::vector<double> started_at(specs.size(), -1);
  std::vector<double> start_load(specs.size(), 0);
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
    if (energy && site && now > started_at[j]) {
      const EnergyAccount e = Account(energy->site(*site), energy->JobItPowerW(specs[j], *site, models),
                                      static_cast<Timestamp>(started_at[j] * 1000), static_cast<Timestamp>(now * 1000),
                                      start_load[j]);
      JobRecord& rec = result.jobs[j];
      rec.it_kwh += e.it_kwh;
      rec.facility_kwh += e.facility_kwh;
      rec.carbon_kg += e.carbon_kg;
      rec.cost_cny += e.cost_cny;
      result.sites[*site].energy += e;
    }
    started_at[j] = -1;
  };

  uint64_t handled = 0;
  double now = 0;
  while (!events.empty()) {
    SimEvent e = events.top();
    events.pop();
    if (e.kind == SimEvent::kFinish && e.generation != generation[e.job]) continue;  // a preempted run
    now = e.time_s;
    sample_until(std::min(now, window_end));
    const auto now_ms = static_cast<Timestamp>(std::llround(now * 1000));
    Result<std::vector<Command>> commands = [&]() -> Result<std::vector<Command>> {
      switch (e.kind) {
        case SimEvent::kFinish: return sched.Apply(JobFinished{specs[e.job].id}, now_ms);
        case SimEvent::kWake: return sched.Apply(Wake{}, now_ms);
        case SimEvent::kArrival: break;
      }
      JobSpec j = specs[e.job];
      j.submit_ms = now_ms;
      return sched.Apply(SubmitJob{j}, now_ms);
    }();
    if (!commands) {
      return MakeError(ErrorCode::kInternal, "job " + specs[e.job].name + ": " + commands.error().message);
    }
    if (e.kind == SimEvent::kFinish) {
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
          const ClusterState& st = sched.site_state(*c.site);
          // The site's IT load share: its GPUs in use (a CPU-only site: the reference load).
          start_load[j] = st.total_gpu_milli() ? static_cast<double>(st.used_gpu_milli()) / static_cast<double>(st.total_gpu_milli())
                          : energy             ? energy->power().reference_load
                                               : 1.0;
          events.push(SimEvent{now + specs[j].duration_s, seq++, SimEvent::kFinish, j, ++generation[j]});
          break;
        }
        case CommandKind::kPreempt:
          account_stop(j, now);
          ++rec.preemptions;
          ++generation[j];
          events.push(SimEvent{now, seq++, SimEvent::kArrival, j, 0});  // restart from scratch
          break;
        case CommandKind::kReject:
          rec.state = "rejected";
          rec.reason = c.reason;
          break;
        case CommandKind::kQueue:
          rec.reason = c.reason;
          if (c.wake_ms) {
            ++rec.deferrals;
            events.push(SimEvent{static_cast<double>(*c.wake_ms) / 1000, seq++, SimEvent::kWake, j, 0});
          }
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
