// The engine: network-wide scheduling of jobs onto sites, pure and deterministic.
//
// Events in (a job submitted, finished or cancelled), commands out (start a job at a site on
// these nodes/GPUs, queue it and why, reject it and why, preempt a running job and why). Same
// state + same event + same time => same commands. The server and the simulator both host it.
//
// Queue policy: higher priority first, then earlier submission, then lower id. A job that
// does not fit anywhere waits without blocking the ones behind it (backfill, up to
// `backfill_depth` queued jobs per pass). When capacity frees at a site, queued jobs eligible
// there are retried there.
//
// Preemption: a job that fits nowhere may evict lower-priority running jobs at one eligible
// site (cheapest first). The victim set is irreducible: every victim is needed (dropping any
// one of them would leave the job unable to fit), and each preempt command says for whom, how
// much it frees and why it was chosen.
//
// Deferral: a job with a start window (start_by_ms) may be held for a cleaner or cheaper hour
// inside it. For each whole hour t in the window the engine prices the job at its best
// eligible site: w_carbon * carbon_kg + w_money * energy_cny (the energy model's hourly series
// serve as the forecast) + w_wait * (t - now) in seconds, and defers to the cheapest t when
// that beats starting now and saves at least `defer_min_saving` of the energy terms. So a big,
// long job may wait hours for clean power and a short one does not wait for a few grams. The
// queue command says until when (wake_ms); the host sends Wake then and the job is placed like
// any other. Never past its window.
//
// Deadlines: a queued job with a deadline becomes urgent once half of its slack (deadline -
// submit - duration) has gone by waiting; it then reserves the eligible site where enough GPUs
// (cores for CPU jobs) are expected to be free soonest (running jobs end at start +
// duration_s), and nothing else starts there until it does, so that small jobs cannot starve a
// wide gang past its deadline.
//
// Cooling: a site with a cooling capacity (SiteEnergyParams::cooling_capacity_kw) takes a job
// only while the IT power of what runs there plus the job's stays within it (all IT power
// ends up as heat the cooling must remove); a job that alone exceeds it can never run there.
//
// Quotas: per tenant caps on GPUs and CPU in use; a job over its tenant's cap on its own is
// rejected, a job that would pass the cap with what the tenant already runs waits.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/rng.h"
#include "engine/network/site_selector.h"
#include "engine/placement/gang.h"
#include "engine/placement/policy_registry.h"
#include "model/job.h"
#include "model/network.h"

namespace suanwang {

struct TenantQuota {
  int64_t gpu_milli = -1;  // < 0: unlimited
  int64_t cpu_milli = -1;
};

struct SchedulerConfig {
  std::string node_policy = "fgd";
  int backfill_depth = 256;
  bool preemption = true;
  std::map<std::string, TenantQuota> quotas;
  CostWeights cost_weights;
  uint64_t seed = 42;
  // Energy, carbon and prices of the network's sites (null: the cost model's energy terms are 0).
  std::shared_ptr<const EnergyModel> energy;
  double defer_min_saving = 0.05;  // share of the energy terms a deferral must save
};

struct SubmitJob {
  JobSpec job;
};
struct JobFinished {
  JobId job;
};
struct CancelJob {
  JobId job;
};
// A site goes down (no live agent: nothing new starts there; what runs there stays until the
// host says it finished) or comes back up (queued jobs are retried there).
struct SiteStatus {
  size_t site = 0;  // index into Network::sites
  bool up = true;
};
// A job the host knows is already running at a site (e.g. after the host restarted): the engine
// takes it back as running there, on nodes its policy picks, without a start command. If the
// site has no room for it any more it is still held as running there, with no nodes.
struct RestoreJob {
  JobSpec job;
  size_t site = 0;
};
// A site's nodes as its host registered them (a Slurm cluster's partitions, say): they replace
// the site's inventory. Applied at once when nothing runs there, else when the last job
// running there stops (until then placement there goes on with the old nodes).
struct SiteNodes {
  size_t site = 0;
  std::vector<NodeSpec> nodes;
};
// Time has passed: deferred jobs whose hour has come are placed (or queued) now.
struct Wake {};
// The market cleared: the price of compute at each site (by site index; the cost model's
// price_cny term). A job with a max_price does not start where the price of its compute class
// is above it; it waits for a clearing that brings a site's price down. Queued jobs are
// retried under the new prices.
struct SitePrices {
  std::vector<SitePrice> sites;
};
// Capacity sold whole to one tenant (the market's reserved offers): while a reservation's
// window is open, a job of its tenant that finds no room may preempt other tenants' work
// that holds nodes of the reserved pool (nodes named "SITE/POOL/..."); that work is requeued.
// Other tenants may use the pool while its buyer does not need it. The buyer's queued work
// tries when the reservations are applied and when a window opens (next_wake). Replaces the set.
struct PoolReservation {
  size_t site = 0;
  std::string pool;
  std::string tenant;
  Timestamp from_ms = 0, until_ms = 0;  // [from, until); until 0: open-ended
};
struct PoolReservations {
  std::vector<PoolReservation> reservations;
};
using Event =
    std::variant<SubmitJob, JobFinished, CancelJob, SiteStatus, RestoreJob, SiteNodes, Wake, SitePrices, PoolReservations>;

enum class CommandKind { kStart, kQueue, kReject, kPreempt };
std::string_view CommandKindName(CommandKind kind);

struct Command {
  CommandKind kind = CommandKind::kQueue;
  JobId job = 0;
  std::optional<size_t> site;           // kStart, kPreempt
  std::vector<Placement> placements;    // kStart: one per task
  std::string reason;                   // kQueue, kReject, kPreempt; kStart: the cost
  std::optional<Timestamp> wake_ms;     // kQueue of a deferred job: send Wake then
  // kStart: the cost of the chosen site, then of the runner-up (the cheapest other eligible
  // site) when there is one: each term's value and weight, so the decision can explain itself.
  std::vector<std::pair<size_t, CostBreakdown>> costs;
};

class Scheduler {
 public:
  // Builds every site's nodes from the network. Errors: kInvalidArgument for an unknown node
  // policy or an invalid site inventory.
  // `models` interns the sites' GPU models; jobs' model masks must come from the same table.
  static Result<std::unique_ptr<Scheduler>> Create(const Network& network, GpuModelTable& models,
                                                   SchedulerConfig config, PolicyContext context);
  // Same, with each site's nodes given (site_nodes[i] for Network::sites[i]) instead of built
  // from its pools. Errors also: kInvalidArgument when the count does not match the sites.
  static Result<std::unique_ptr<Scheduler>> Create(const Network& network, GpuModelTable& models,
                                                   SchedulerConfig config, PolicyContext context,
                                                   std::vector<std::vector<NodeSpec>> site_nodes);

  // Applies one event at time `now`. Errors: kInvalidArgument for a malformed job (no tasks,
  // unknown origin, negative sizes), a duplicate id or an unknown site index; kNotFound for an
  // unknown job. State is
  // unchanged when an error is returned.
  Result<std::vector<Command>> Apply(const Event& event, Timestamp now);

  const Network& network() const { return network_; }
  const ClusterState& site_state(size_t site) const { return sites_[site].state; }
  size_t queued() const { return queue_.size(); }
  size_t deferred() const { return deferred_.size(); }
  // IT power of what runs at the site now [W] (0 without an energy model).
  double site_it_power_w(size_t site) const { return site_it_w_[site]; }
  // The IT heat [kW] the site's running jobs are expected to give off in each of the next
  // `hours` hours (index 0: the hour from now), each job until its start + duration_s (a job
  // without one: kDefaultRunS). Empty without an energy model.
  std::vector<double> HeatForecastKw(size_t site, Timestamp now, int hours) const;
  // When the earliest deferred job's hour comes, or a reservation's window opens (send Wake
  // then); nullopt when nothing waits for a time.
  std::optional<Timestamp> next_wake() const;
  size_t running() const { return running_.size(); }
  // The site a job was started at (it holds its resources there), or nullopt when it is not
  // running (queued, deferred, ended, unknown).
  std::optional<size_t> RunningSite(JobId job) const {
    auto it = running_.find(job);
    return it == running_.end() ? std::nullopt : std::optional<size_t>(it->second.site);
  }
  int64_t tenant_gpu_milli(const std::string& tenant) const;
  bool site_up(size_t site) const { return sites_[site].up; }
  // The market price per SCU-hour of the job's compute class at the site (0: unpriced).
  double ScuPrice(const JobSpec& job, size_t site) const { return cost_model_->ScuPrice(job, site); }

 private:
  struct SiteRuntime {
    ClusterState state;
    std::unique_ptr<PlacementPolicy> policy;
    bool up = true;
  };
  struct Running {
    JobSpec job;
    size_t site;
    std::vector<Placement> placements;
    Timestamp started;
    double it_w = 0;  // its IT power there (0 without an energy model)
  };
  struct Usage {
    int64_t gpu_milli = 0, cpu_milli = 0;
  };

  Scheduler(const Network& network, SchedulerConfig config, PolicyContext context);

  Result<void> Validate(const JobSpec& job) const;
  std::string QuotaProblem(const JobSpec& job, bool alone) const;
  std::vector<SiteView> Views() const;
  // Tries to start `job` at the given sites in order; appends commands. True if it started.
  std::vector<Command> SetSiteStatus(const SiteStatus& status, Timestamp now);
  void Restore(const RestoreJob& restore, Timestamp now);
  bool TryStart(const JobSpec& job, const std::vector<size_t>& sites, Timestamp now,
                std::vector<Command>& out);
  bool TryPreempt(const JobSpec& job, const std::vector<size_t>& sites, Timestamp now,
                  std::vector<Command>& out);
  // The reservation that lets `job` preempt `victim` (its tenant's, open at `now`, of a pool
  // the victim holds nodes of, the victim another tenant's), or nullptr.
  const PoolReservation* Reclaims(const JobSpec& job, const Running& victim, Timestamp now) const;
  // Whether `job` may take a running spot job's place in the market: same priority, and it bids
  // more per SCU-hour than the spot job does.
  static bool Outbids(const JobSpec& job, const JobSpec& spot) {
    return spot.spot && spot.priority == job.priority && job.max_price > spot.max_price;
  }
  void StartOn(const JobSpec& job, size_t site, std::vector<Placement> placements, Timestamp now,
               std::vector<Command>& out, const std::string& why);
  void Stop(JobId id);
  // Replaces the site's nodes with those registered for it once nothing runs there; then
  // retries the queue there. True when it did.
  bool ApplyRegisteredNodes(size_t site, Timestamp now, std::vector<Command>& out);
  void RetryQueue(std::optional<size_t> freed_site, Timestamp now, std::vector<Command>& out);
  std::vector<Command> Submit(const JobSpec& job, Timestamp now);
  // Removes the sites whose price is above the job's max_price; returns why, when it removed
  // every one of them (empty otherwise).
  std::string DropPricedOut(const JobSpec& job, std::vector<size_t>& sites) const;
  // The start inside the job's window with the lowest energy terms at its best eligible site;
  // `now` unless a later hour saves at least defer_min_saving. Sets `why` when it defers.
  Timestamp PlanStart(const JobSpec& job, const std::vector<size_t>& eligible, Timestamp now, std::string& why) const;
  std::vector<Command> WakeDeferred(Timestamp now);
  // Queued jobs whose tenant holds a reservation open at `now` try its sites, preempting other
  // tenants' work on the reserved pool if need be. Windows that opened are no longer awaited.
  void ReclaimReserved(Timestamp now, std::vector<Command>& out);
  // When room for the job is expected at `site` (now if there is room now, as far as free GPUs
  // or cores tell; nullopt if its running jobs' ends never free enough).
  std::optional<Timestamp> ExpectedRoom(const JobSpec& job, size_t site, Timestamp now) const;


  const Network& network_;
  SchedulerConfig config_;
  PolicyContext context_;
  std::unique_ptr<WeightedCostModel> cost_model_;
  std::unique_ptr<SiteSelector> selector_;
  std::vector<SiteRuntime> sites_;
  Rng rng_;
  std::vector<JobSpec> queue_;  // kept in queue order
  std::map<JobId, std::string> queued_reason_;
  std::map<JobId, std::pair<Timestamp, JobSpec>> deferred_;  // wake time, job
  std::map<JobId, Running> running_;
  std::vector<PoolReservation> reservations_;
  std::vector<Timestamp> window_opens_;  // from_ms of reservations still to open (for next_wake)
  std::map<std::string, Usage> usage_;
  std::map<size_t, ClusterState> registered_nodes_;
  std::vector<double> site_it_w_;  // IT power of the running jobs per site
  std::map<size_t, JobId> reserved_;  // site -> the urgent job it is kept for
  bool Urgent(const JobSpec& job, Timestamp now) const;
  void Reserve(const JobSpec& job, const std::vector<size_t>& eligible);
  void Unreserve(JobId job);
  int64_t UsedCpuMilli(size_t site) const;
  double JobPowerW(const JobSpec& job, size_t site) const;
  // Empty when the job fits the site's cooling, else why not.
  std::string CoolingProblem(const JobSpec& job, size_t site, bool alone) const;  // SiteNodes waiting for their site to empty
};

}  // namespace suanwang
