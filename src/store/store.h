// Durable state of the control plane: jobs, tenants, tokens, dispatches and the audit log.
//
// A Store hands out transactions; everything a transaction did is visible to others only after
// Commit() returns success, and then it survives a crash (SQLite: WAL with synchronous=FULL).
// One contract test suite (tests/contract/store_contract_test.cc) runs against every
// implementation. Exceptions and database handles never cross this interface.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/time.h"
#include "metering/ledger.h"

namespace suanwang {

struct StoredJob {
  uint64_t id = 0;
  std::string tenant;
  std::string name;
  std::string spec;             // the job as submitted (its file text or canonical JSON)
  std::string state;            // queued, placed, running, succeeded, failed, cancelled, rejected
  std::string site;             // empty until placed
  std::string reason;           // why it is in this state, for people
  Timestamp submitted_ms = 0;
  Timestamp updated_ms = 0;
  uint64_t version = 1;         // bumped on every update; compare-and-swap token
  std::string idempotency_key;  // empty: none
  std::string decision;         // the engine's last placement decision explained (JSON); empty: none
};

struct JobFilter {
  std::string tenant;           // empty: every tenant
  std::string state;            // empty: every state
  uint64_t after_id = 0;        // pagination: ids greater than this
  size_t limit = 100;
};

// One entry of the append-only audit log. hash = SHA-256(prev_hash | seq | at_ms | actor |
// action | subject | detail), hex; the first entry's prev_hash is 64 zeros.
struct AuditEntry {
  uint64_t seq = 0;
  Timestamp at_ms = 0;
  std::string actor;
  std::string action;
  std::string subject;
  std::string detail;
  std::string prev_hash;
  std::string hash;
};

struct StoredToken {
  uint64_t id = 0;
  std::string tenant;
  std::string role;        // admin, operator, provider, user, agent
  std::string name;        // a label for people
  std::string hash;        // SHA-256 hex of the secret; the secret itself is never stored
  Timestamp created_ms = 0;
  bool revoked = false;
  std::string site;        // role agent: the one site this credential acts for
};

// One signed command for a site, kept so that an agent can fetch (and re-fetch) it in order.
// (site, seq) is unique; seq counts 1, 2, 3, ... per site.
struct StoredDispatch {
  std::string site;
  uint64_t seq = 0;
  uint64_t job_id = 0;     // the job it concerns, 0 for none
  std::string payload;     // the command (JSON), exactly as signed
  std::string signature;   // hex Ed25519 signature over SignedBytes(site, seq, payload)
  Timestamp created_ms = 0;
};

// One task of a placed job, as dispatched and then reported by its site's agent. A job placed
// again (after its site was lost) gets attempt + 1; reports of older attempts are stale.
struct StoredTask {
  uint64_t job_id = 0;
  int task = 0;               // 0 .. tasks-1
  uint64_t attempt = 1;
  std::string site;
  std::string state;          // dispatched, running, succeeded, failed, killed, lost
  int exit_code = 0;
  int signal = 0;
  int64_t cpu_ms = 0;         // user + system CPU time
  int64_t peak_memory_kib = 0;
  Timestamp wall_ms = 0;
  std::string reason;         // for people: why it failed, was killed or lost
  std::string stdout_tail;    // the last bytes of its output, as the agent sent them
  std::string stderr_tail;
  Timestamp updated_ms = 0;
  // Energy of the attempt's run, accounted when it ended (energy/site_energy.h); 0 before.
  double gpu_hours = 0;       // GPUs held x hours run
  double it_kwh = 0;
  double facility_kwh = 0;
  double carbon_kg = 0;       // kg CO2e
  double energy_cny = 0;
  // When the server dispatched this attempt (its clock): no report may claim a longer run.
  Timestamp dispatched_ms = 0;
};

// Which usage records to list: every field that is set must match.
struct UsageFilter {
  std::string tenant;           // empty: every tenant
  std::string site;             // empty: every site
  uint64_t job = 0;             // 0: every job
  Timestamp from_ms = 0;        // end_ms in [from_ms, to_ms); to_ms 0: no upper bound
  Timestamp to_ms = 0;
  size_t limit = 1000;
};

// A provider's offer of one pool's capacity (market/market.h has the rules). Offers are never
// deleted: a withdrawn one keeps its row with withdrawn_ms set.
struct StoredOffer {
  uint64_t id = 0;
  std::string provider;         // the tenant that owns the site
  std::string site;
  std::string pool;
  std::string kind;             // on_demand, spot, reserved
  Micros price = 0;             // per SCU-hour: on-demand and reserved sell at it
  Micros min_price = 0;         // per SCU-hour: spot sells at the clearing price, never below it
  Timestamp from_ms = 0, until_ms = 0;  // availability window; until 0: open-ended
  int64_t notice_s = 0;         // spot: notice given before its work is preempted
  Timestamp created_ms = 0;
  Timestamp withdrawn_ms = 0;   // 0: not withdrawn
  std::string reserved_for;     // a reserved offer's buyer (tenant); empty: not sold
};

// One market's outcome of one clearing: the published price of compute.
struct StoredPrice {
  Timestamp slot_ms = 0;
  std::string hub;
  std::string compute_class;
  Micros price = 0;             // per SCU-hour
  bool traded = false;
  double offered_scu = 0, sold_scu = 0, demand_scu = 0;
};
struct PriceFilter {
  std::string hub;              // empty: every hub
  std::string compute_class;    // empty: every class
  Timestamp from_ms = 0, to_ms = 0;  // slot_ms in [from, to); to 0: no bound
  size_t limit = 10000;         // the latest `limit` rows, returned oldest first
};

// Summed energy of ended tasks for one tenant at one site.
struct EnergySum {
  std::string tenant;
  std::string site;
  uint64_t tasks = 0;
  double gpu_hours = 0, it_kwh = 0, facility_kwh = 0, carbon_kg = 0, energy_cny = 0;
};

// A site's agent as it last registered: who, what it found, when it was last heard from.
struct StoredSite {
  std::string id;
  std::string agent;          // the agent's self-chosen id (host and pid)
  std::string resources;      // JSON: what the agent discovered or was told
  Timestamp registered_ms = 0;
  Timestamp heartbeat_ms = 0;
  std::string receipt_key;    // hex Ed25519 public key the agent signs usage receipts with
};

class Transaction {
 public:
  virtual ~Transaction() = default;
  // Inserts a new job with a fresh id (returned). Errors: kConflict when the tenant already
  // has a job with the same non-empty idempotency key; kInvalidArgument for an empty tenant.
  virtual Result<uint64_t> InsertJob(const StoredJob& job) = 0;
  // Errors: kNotFound.
  virtual Result<StoredJob> GetJob(uint64_t id) = 0;
  // The job with this idempotency key, if the tenant has one.
  virtual Result<std::optional<StoredJob>> FindByIdempotencyKey(std::string_view tenant,
                                                                std::string_view key) = 0;
  // Jobs matching `filter`, by increasing id.
  virtual Result<std::vector<StoredJob>> ListJobs(const JobFilter& filter) = 0;
  // Sets state, site and reason if the stored version equals `expected_version`; returns the
  // new version. Errors: kNotFound; kConflict when the version moved on (someone else wrote).
  virtual Result<uint64_t> UpdateJob(uint64_t id, uint64_t expected_version, std::string_view state,
                                     std::string_view site, std::string_view reason, Timestamp now) = 0;
  // UpdateJob to state "placed" at `site` that also records the engine's explained decision
  // (one statement: placements are on the committer's path). Errors: as UpdateJob.
  virtual Result<uint64_t> PlaceJob(uint64_t id, uint64_t expected_version, std::string_view site,
                                    std::string_view reason, std::string_view decision, Timestamp now) = 0;
  // Appends to the audit log, chaining the hash; returns the entry as stored.
  virtual Result<AuditEntry> AppendAudit(Timestamp at_ms, std::string_view actor, std::string_view action,
                                         std::string_view subject, std::string_view detail) = 0;
  // Audit entries with seq > after_seq, by seq, at most `limit`.
  virtual Result<std::vector<AuditEntry>> ReadAudit(uint64_t after_seq, size_t limit) = 0;
  // Tenants. CreateTenant errors: kConflict when it exists; kInvalidArgument for an empty id.
  virtual Result<void> CreateTenant(std::string_view id, Timestamp now) = 0;
  virtual Result<std::vector<std::string>> ListTenants() = 0;
  virtual Result<bool> TenantExists(std::string_view id) = 0;
  // Tokens. CreateToken returns the new id; errors: kNotFound for an unknown tenant.
  virtual Result<uint64_t> CreateToken(const StoredToken& token) = 0;
  // The token with this hash, if any (revoked ones included: the caller decides).
  virtual Result<std::optional<StoredToken>> FindTokenByHash(std::string_view hash) = 0;
  virtual Result<std::vector<StoredToken>> ListTokens() = 0;
  // Errors: kNotFound.
  virtual Result<void> RevokeToken(uint64_t id) = 0;

  // Dispatches. The highest seq stored for `site`, 0 when none.
  virtual Result<uint64_t> LastDispatchSeq(std::string_view site) = 0;
  // Errors: kInvalidArgument (empty site, seq 0); kConflict when (site, seq) is taken.
  virtual Result<void> InsertDispatch(const StoredDispatch& dispatch) = 0;
  // The site's dispatches with seq > after_seq, by seq, at most `limit`.
  virtual Result<std::vector<StoredDispatch>> ReadDispatches(std::string_view site, uint64_t after_seq,
                                                             size_t limit) = 0;

  // Tasks. PutTask inserts or replaces the row (job_id, task). Errors: kInvalidArgument for job 0.
  virtual Result<void> PutTask(const StoredTask& task) = 0;
  // The job's tasks by task number (empty when it was never dispatched).
  virtual Result<std::vector<StoredTask>> ListTasks(uint64_t job_id) = 0;

  // Sites' agents. PutSite inserts or replaces by id. Errors: kInvalidArgument for an empty id.
  virtual Result<void> PutSite(const StoredSite& site) = 0;
  virtual Result<std::vector<StoredSite>> ListSites() = 0;
  // Energy of every task with some accounted, summed per (tenant, site), ordered by both.
  virtual Result<std::vector<EnergySum>> SumEnergy() = 0;

  // Ledger (metering/ledger.h). Appends a balanced transaction's lines, chained after the last
  // entry; returns them as stored. Errors: kInvalidArgument when it does not balance (the
  // ledger is untouched); kConflict when a transaction with its id exists.
  virtual Result<std::vector<LedgerEntry>> AppendLedger(const LedgerTxn& txn) = 0;
  // Entries with seq > after_seq, by seq, at most `limit`; only `account`'s when it is set.
  virtual Result<std::vector<LedgerEntry>> ReadLedger(uint64_t after_seq, size_t limit,
                                                      std::string_view account = "") = 0;
  // Credits minus debits of `account` (0 for one never posted to).
  virtual Result<Micros> AccountBalance(std::string_view account) = 0;
  // Usage records. Errors: kConflict when (job, task, attempt) has one; kInvalidArgument for job 0.
  virtual Result<void> InsertUsage(const UsageRecord& usage) = 0;
  // Records matching `filter`, by end time then (job, task, attempt).
  virtual Result<std::vector<UsageRecord>> ListUsage(const UsageFilter& filter) = 0;
  // Offers. InsertOffer returns the new id. Errors: kInvalidArgument for an empty site or pool.
  virtual Result<uint64_t> InsertOffer(const StoredOffer& offer) = 0;
  // Offers by id; with active_at != 0 only those not withdrawn by then and whose window holds it.
  virtual Result<std::vector<StoredOffer>> ListOffers(Timestamp active_at) = 0;
  // Errors: kNotFound; kConflict when it was already withdrawn or is a sold reservation.
  virtual Result<StoredOffer> WithdrawOffer(uint64_t id, Timestamp now) = 0;
  // Sells a reserved offer to `tenant`. Errors: kNotFound; kConflict when it is not a reserved
  // offer, was withdrawn or is sold already.
  virtual Result<StoredOffer> ReserveOffer(uint64_t id, std::string_view tenant) = 0;
  // Prices. Errors: kConflict when (slot_ms, hub, class) is stored already.
  virtual Result<void> InsertPrices(const std::vector<StoredPrice>& prices) = 0;
  virtual Result<std::vector<StoredPrice>> ListPrices(const PriceFilter& filter) = 0;
  // Nested undo points (SQL SAVEPOINT): RollbackTo undoes what was done since Savepoint and
  // keeps the point; Release forgets it (keeping the work). Names are plain identifiers.
  virtual Result<void> Savepoint(std::string_view name) = 0;
  virtual Result<void> RollbackTo(std::string_view name) = 0;
  virtual Result<void> Release(std::string_view name) = 0;
  // Makes everything durable. Errors: kUnavailable (I/O), kConflict (concurrent writer lost).
  // The transaction is finished afterwards either way.
  virtual Result<void> Commit() = 0;
  // Undoes everything (also what happens when a transaction is destroyed uncommitted).
  virtual void Rollback() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // Errors: kUnavailable when the database cannot be reached or locked.
  virtual Result<std::unique_ptr<Transaction>> Begin() = 0;
  virtual int schema_version() const = 0;
};

// "sqlite:///abs/path.db", "sqlite://relative/path.db" or a libpq URI "postgres://...".
// Applies pending migrations.
// Errors: kInvalidArgument for an unknown scheme; kUnavailable when it cannot be opened;
// kInternal when a migration fails (the database is left as it was).
Result<std::unique_ptr<Store>> OpenStore(std::string_view url);

// Hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Hex SHA-256 of the fields, each length-prefixed ("5:hello") so that no two different lists
// serialise alike: the hash of a chained log entry.
std::string HashOfFields(std::initializer_list<std::string_view> fields);
// A new API token secret: "sw_" + 32 random bytes in hex (libsodium's CSPRNG).
std::string NewTokenSecret();

// The audit hash of an entry given its fields and prev_hash (hex SHA-256).
std::string AuditHash(const AuditEntry& entry);
// Checks a log read in order: every prev_hash links and every hash matches. Errors:
// kConflict naming the first bad seq and what is wrong.
Result<void> VerifyAuditChain(const std::vector<AuditEntry>& entries, std::string_view first_prev_hash);

// Every ledger entry of `account`, by seq (read page by page). Errors: those of ReadLedger.
Result<std::vector<LedgerEntry>> ReadAccount(Transaction& tx, std::string_view account);

// The ledger hash of an entry given its fields and prev_hash (hex SHA-256; store.h's
// LedgerEntry comment gives the fields).
std::string LedgerHash(const LedgerEntry& entry);
// Checks ledger entries read in order from seq after+1: numbering without gaps, every
// prev_hash links, every hash matches. Errors: kConflict naming the first bad seq and what is
// wrong.
Result<void> VerifyLedgerChain(const std::vector<LedgerEntry>& entries, uint64_t after, std::string_view first_prev_hash);

}  // namespace suanwang
