// The control plane's insides, shared by the files that implement it (one per group of
// resources): control_plane.cc (routing, start-up, recovery, the scheduling loop),
// jobs_api.cc (jobs and their logs), sites_api.cc (sites, agents' heartbeats and reports,
// dispatches, lost sites), admin_api.cc (tenants, tokens, metrics). Not for other modules.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "api/job_json.h"
#include "api/site_protocol.h"
#include "engine/scheduler.h"
#include "server/control_plane.h"
#include "server/rate_limiter.h"
#include "server/request_parts.h"
#include "server/site_leases.h"
#include "server/task_reports.h"
#include "security/dispatch_signing.h"
#include "store/group_commit.h"
#include "market/market.h"
#include "metering/scu.h"
#include "model/accelerator_catalog.h"

namespace suanwang {

class ControlPlaneImpl final : public ControlPlane {
 public:
  explicit ControlPlaneImpl(const Clock& clock, Timestamp lease_ms) : clock_(clock), leases_(lease_ms) {}
  ~ControlPlaneImpl() override;

  Result<void> Init(const ControlPlaneOptions& options);
  HttpResponse Handle(const HttpRequest& request) override;
  std::optional<HttpResponse> Admit(const HttpRequest& head) override;

 private:
  // control_plane.cc
  HttpResponse HandleRequest(const HttpRequest& req);
  HttpResponse Route(const HttpRequest& req, const std::vector<std::string>& p,
                     const std::map<std::string, std::string>& query, const Caller& who);
  HttpResponse TooManyRequests(Timestamp retry_after_ms);
  std::optional<Caller> Authenticate(const HttpRequest& req);
  static Caller CallerOf(const StoredToken& t) {
    return Caller{t.tenant, t.role, t.id, t.site, "token/" + std::to_string(t.id)};
  }
  // For each served site without a valid agent credential in `dir`/SITE/agent.token: a new
  // agent token for that site, written there (0600), audited.
  Result<void> IssueAgentTokens(const std::string& dir);
  Result<void> LoadTokens(const std::string& admin_token_file);
  Result<void> Recover();
  Result<void> RecoverJob(Transaction& tx, const StoredJob& job);
  void Enqueue(Event e);
  void RegisterNodes(size_t site, const std::string& resources_json);
  const std::vector<Pool>& SitePools(size_t site) const;  // caller holds models_mutex_
  void Loop();
  // Applies one event; an exception is caught, counted and logged, and a submission or restore
  // that caused it is quarantined.
  void Apply(const Event& event);
  void ApplyEvent(const Event& event);
  // Takes a job out of the engine's hands for good: rejected with "quarantined: why", audited.
  void Quarantine(uint64_t id, const std::string& why);
  void RecordCommands(const std::vector<Command>& commands, Timestamp now);
  void Record(uint64_t id, std::string state, std::string site, std::string reason, Timestamp now);
  void RecordStart(const Command& c, Timestamp now);

  // jobs_api.cc
  struct JobWithTasks {
    StoredJob job;
    std::vector<StoredTask> tasks;
  };
  // A job the caller may see, with its tasks. Errors: kNotFound (also for another tenant's job).
  Result<JobWithTasks> ReadJob(uint64_t id, const Caller& who);
  Result<void> CheckAgainstNetwork(const JobSpec& job) const;
  HttpResponse Submit(const HttpRequest& req, const Caller& who);
  HttpResponse Get(uint64_t id, const Caller& who);
  HttpResponse List(const std::map<std::string, std::string>& query, const Caller& who);
  HttpResponse Cancel(uint64_t id, const Caller& who);
  HttpResponse Logs(uint64_t id, const std::map<std::string, std::string>& query, const Caller& who);
  void RememberCommand(uint64_t id, std::vector<std::string> argv);
  void ForgetJob(uint64_t id);

  // sites_api.cc
  HttpResponse ListSites();
  HttpResponse GetSite(const std::string& site);
  HttpResponse ListDispatches(const std::string& site, const std::map<std::string, std::string>& query);
  HttpResponse Heartbeat(const std::string& site, const HttpRequest& req, const Caller& who);
  HttpResponse Reports(const std::string& site, const HttpRequest& req, const Caller& who);
  // Fills the energy fields of a task that ended after running wall_ms at `site`: its IT power
  // from the job's shape (CPU utilisation as measured, GPUs at the job's or default
  // utilisation), the site's IT load share from the engine, hour by hour up to its end.
  void AccountEnergy(const JobSpec& spec, size_t site, StoredTask& task);
  // The engine's copy of a live job's spec, else its job file parsed again (nullopt if that fails).
  std::optional<JobSpec> KnownSpec(const StoredJob& job);
  // billing_api.cc. Meters an ended task attempt in SCU-hours and bills it at the list price:
  // a usage record and a balanced ledger transaction in `tx` (nothing when it was billed).
  // The report's signed usage receipt is kept with the record.
  Result<void> BillTask(Transaction& tx, const StoredJob& job, const JobSpec& spec, size_t site, const StoredTask& task,
                        const TaskReport& report);
  // Each exited report's usage receipt must verify against the key the site's agent
  // registered. Errors: kPermissionDenied naming the report.
  Result<void> VerifyReceipts(const std::string& site, const ReportBatch& batch);
  // What the job would cost at the list price: SCU per task (its GPUs at the most capable model
  // it may get in the network, its cores) x tasks x runtime; nullopt without a runtime.
  struct CostEstimate {
    double scu_per_task = 0, hours = 0, price = 0, cny = 0;
  };
  std::optional<CostEstimate> EstimateCost(const JobSpec& spec);
  // Refuses (4xx with the numbers) a job whose estimate exceeds its budget_cny, and a job of a
  // prepaid tenant that is out of balance or whose estimate the balance does not cover.
  std::optional<HttpResponse> CheckFunds(const JobSpec& spec, const std::string& tenant);
  // Refuses (400) a metered precision that no GPU model the job may use has a figure at.
  std::optional<HttpResponse> CheckPrecision(const JobSpec& spec);
  // Reads which tenants are prepaid (ever topped up) and their balances.
  Result<void> LoadPrepaidBalances();
  void RefreshBalance(Transaction& tx, const std::string& tenant);
  // market_api.cc. One clearing of the live market (loop thread): the active offers against
  // the live jobs' bids, per hub and compute class; prices stored and given to the engine.
  void ClearMarket(Timestamp now);
  // The sold reservations in the store, for the engine (PoolReservations).
  PoolReservations StoredReservations();
  // The market's markets and the per-SCU size of each site's pools: (market index, SCU per GPU
  // or per core) for each pool, by site.
  struct PoolMarket {
    std::string pool;
    uint32_t market = 0;
    bool gpu = false;
    std::string model;
    double scu_per_unit = 0;   // per GPU or per core
    double units = 0;          // GPUs or cores in the pool
  };
  // Each site's price per GPU model and core: its markets' clearing prices where they have one,
  // else the list price (cleared null: every site at the list price, the board at start).
  std::vector<SitePrice> PriceBoard(const std::vector<std::vector<PoolMarket>>& pools,
                                    const std::vector<MarketOutcome>* cleared) const;
  void BuildMarkets();
  HttpResponse CreateOffer(const HttpRequest& req, const Caller& who);
  HttpResponse ListOffers(const std::map<std::string, std::string>& query, const Caller& who);
  HttpResponse WithdrawOffer(uint64_t id, const Caller& who);
  // A tenant buys a reserved offer: the whole (remaining) window at its price, paid now.
  HttpResponse ReserveOffer(uint64_t id, const Caller& who);
  // The reserved offer sold to `tenant` that covers usage of `gpu_model` (empty: CPU) at the
  // site at `at`, if any (its usage there is paid for).
  Result<std::optional<uint64_t>> CoveringReservation(Transaction& tx, const std::string& tenant, size_t site,
                                                      const std::string& gpu_model, Timestamp at);
  HttpResponse ListPrices(const std::map<std::string, std::string>& query);
  HttpResponse ListBids(const Caller& who);
  HttpResponse ProviderStatement(const std::string& site, const std::map<std::string, std::string>& query, const Caller& who);
  // The current price per SCU-hour of a pool's class at a site (list price when unpriced).
  double PoolScuPrice(size_t site, const std::string& gpu_model);
  // GET /v1/usage: usage records; a user sees their tenant's only.
  HttpResponse ListUsage(const std::map<std::string, std::string>& query, const Caller& who);
  // GET /v1/invoices/{tenant}: the tenant's statement for ?from=&to= (ms) with its usage.
  HttpResponse Invoice(const std::string& tenant, const std::map<std::string, std::string>& query, const Caller& who);
  // POST /v1/tenants/{tenant}/topup {"cny": x, "memo": "..."} (admins).
  HttpResponse TopUpTenant(const std::string& tenant, const HttpRequest& req);
  // Stops the job's tasks at its site and puts it back in the queue (its site was lost or it was
  // preempted): tasks marked lost, a signed kill to the old site, the job queued with `reason`.
  // `notice_s`: the old site's kill gives the tasks that much notice (spot preemption).
  Result<void> Requeue(Transaction& tx, StoredJob job, const std::string& reason, Timestamp now, int64_t notice_s = 0);
  void CheckLeases();
  HttpResponse LeaseRanOut(const std::string& site);
  // POST /v1/sites/{site}/release (platform operators): ends the site's lease now, whoever holds
  // it; its jobs are requeued as for a lost site. Audited.
  HttpResponse ReleaseSite(const std::string& site, const Caller& who);
  // POST /v1/sites/{site}/receipt-key {"receipt_key": HEX} (platform operators): pins another
  // usage-receipt key for the site (the agent's new key after its state was lost). Audited.
  HttpResponse RotateReceiptKey(const std::string& site, const HttpRequest& req, const Caller& who);
  // On the scheduling loop: free the job in the engine and submit it again.
  void RequeueInEngine(uint64_t id, Timestamp now);
  void EnqueueRequeue(uint64_t id);
  void LoseSite(const std::string& site, Timestamp now);
  bool Serves(const std::string& site) const { return served_.empty() || served_.contains(site); }

  // admin_api.cc
  HttpResponse CreateTenant(const HttpRequest& req);
  HttpResponse ListTenants();
  // Energy per site, hub and tenant (a user sees their tenant's only), heat forecast (operators).
  HttpResponse EnergyReport(const Caller& who);
  HttpResponse CreateToken(const HttpRequest& req);
  HttpResponse ListTokens();
  HttpResponse RevokeToken(uint64_t id);
  HttpResponse Metrics();

  const Clock& clock_;
  Network network_;
  std::mutex models_mutex_;  // guards models_ and every use of the scheduler
  GpuModelTable models_;
  std::map<size_t, std::vector<Pool>> registered_pools_;  // by site index; guarded by models_mutex_
  std::unique_ptr<Store> store_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<Scheduler> scheduler_;
  std::shared_ptr<const EnergyModel> energy_;  // null: no energy accounting
  struct Meter {
    AcceleratorCatalog accelerators;
    ScuCatalog scu;
  };
  std::optional<Meter> meter_;  // none: no metering or billing (no data folder)
  std::mutex receipt_keys_mutex_;
  std::map<std::string, std::string> receipt_keys_;  // site -> its agent's receipt key (hex)
  std::mutex market_mutex_;                  // guards markets_, pool_markets_, site_prices_
  std::vector<MarketKey> markets_;
  std::vector<std::vector<PoolMarket>> pool_markets_;  // by site index
  std::vector<SitePrice> site_prices_;                 // the latest board, by site index
  std::vector<int64_t> site_notice_s_;                 // longest notice of each site's active spot offers
  std::vector<std::pair<Timestamp, Command>> delayed_starts_;  // loop thread only: (due, start)
  Timestamp market_slot_ms_ = 3'600'000;
  Timestamp next_clearing_ms_ = 0;
  std::atomic<bool> clear_requested_{false};
  std::mutex funds_mutex_;
  std::map<std::string, Micros> prepaid_;  // balances of prepaid tenants; guarded by funds_mutex_
  std::optional<Timestamp> next_wake_;         // the engine's, as of its last event; loop thread only
  std::set<std::string> served_;  // empty: every site of the network
  SiteLeases leases_;

  std::mutex loop_mutex_;
  std::condition_variable loop_wake_;
  std::deque<Event> events_;
  std::vector<uint64_t> requeue_;  // jobs Requeue put back in the store, for the engine

  // Long polls of the dispatch log wait for the next commit (it may hold new dispatches).
  std::mutex commit_mutex_;
  std::condition_variable commit_cv_;
  uint64_t commits_seen_ = 0;
  bool closing_ = false;
  bool stopping_ = false;
  std::thread loop_;

  std::atomic<uint64_t> http_requests_{0}, rate_limited_{0}, jobs_submitted_{0}, queued_{0}, running_{0},
      reports_accepted_{0}, reports_stale_{0}, sites_lost_{0}, handler_errors_{0};
  std::unique_ptr<RateLimiter> limiter_;
  std::optional<DispatchSigner> signer_;

  std::mutex jobs_mutex_;  // guards argv_ and specs_
  std::map<JobId, std::vector<std::string>> argv_;  // each live job's command, for its dispatches
  std::map<JobId, JobSpec> specs_;                  // each live job as the engine knows it

  std::shared_mutex tokens_mutex_;
  std::unordered_map<std::string, Caller> tokens_;  // SHA-256 of the secret -> who
};

}  // namespace suanwang
