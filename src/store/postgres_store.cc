#include "store/postgres_store.h"

#include <libpq-fe.h>

#include <cctype>
#include <mutex>
#include <vector>

#include "store/migrations.h"
#include "store/sql_common.h"

namespace suanwang {
namespace {

const std::string kGenesisHash(64, '0');
constexpr long long kMigrationLock = 0x5375616e57616e67;  // "SuanWang"
constexpr long long kAuditLock = 0x5375616e41756469;      // serialises the audit chain
constexpr long long kLedgerLock = 0x5375616e4c656467;     // serialises the ledger chain

// Owns a PGresult.
class Rows {
 public:
  explicit Rows(PGresult* r) : r_(r) {}
  ~Rows() { PQclear(r_); }
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ExecStatusType status() const { return PQresultStatus(r_); }
  bool ok() const { return status() == PGRES_COMMAND_OK || status() == PGRES_TUPLES_OK; }
  int count() const { return PQntuples(r_); }
  std::string Text(int row, int col) const { return PQgetvalue(r_, row, col); }
  int64_t Int(int row, int col) const { return std::stoll(PQgetvalue(r_, row, col)); }
  double Double(int row, int col) const { return std::strtod(PQgetvalue(r_, row, col), nullptr); }
  std::string sqlstate() const {
    const char* s = PQresultErrorField(r_, PG_DIAG_SQLSTATE);
    return s ? s : "";
  }
  std::string message() const { return PQresultErrorMessage(r_); }
  std::string affected() const { return PQcmdTuples(r_); }

 private:
  PGresult* r_;
};

Error PgError(const Rows& rows, std::string_view what) {
  std::string msg = rows.message();
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const std::string state = rows.sqlstate();
  const ErrorCode code = state == "23505" || state == "40001" || state == "40P01" ? ErrorCode::kConflict
                                                                                  : ErrorCode::kUnavailable;
  return Error{code, "postgres: " + std::string(what) + ": " + msg};
}

// Runs a statement with text parameters.
// One row of a result, read by column (what TaskFromRow and SiteFromRow expect).
struct RowAt {
  const Rows& rows;
  int row;
  std::string Text(int col) const { return rows.Text(row, col); }
  int64_t Int(int col) const { return rows.Int(row, col); }
  double Double(int col) const { return rows.Double(row, col); }
};

// A double as text that reads back to the same value.
std::string DoubleText(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

Rows Query(PGconn* db, const char* sql, const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  return Rows(PQexecParams(db, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
}

Result<void> Exec(PGconn* db, const std::string& sql, std::string_view what) {
  Rows r(PQexec(db, sql.c_str()));
  if (!r.ok()) return std::unexpected(PgError(r, what));
  return {};
}

const char* kJobColumns =
    "id, tenant, name, spec, state, site, reason, submitted_ms, updated_ms, version, "
    "COALESCE(idempotency_key, ''), decision";

StoredJob ReadJob(const Rows& r, int row) {
  StoredJob j;
  j.id = static_cast<uint64_t>(r.Int(row, 0));
  j.tenant = r.Text(row, 1);
  j.name = r.Text(row, 2);
  j.spec = r.Text(row, 3);
  j.state = r.Text(row, 4);
  j.site = r.Text(row, 5);
  j.reason = r.Text(row, 6);
  j.submitted_ms = r.Int(row, 7);
  j.updated_ms = r.Int(row, 8);
  j.version = static_cast<uint64_t>(r.Int(row, 9));
  j.idempotency_key = r.Text(row, 10);
  j.decision = r.Text(row, 11);
  return j;
}

class PostgresTransaction final : public Transaction {
 public:
  PostgresTransaction(PGconn* db, std::unique_lock<std::mutex> lock) : db_(db), lock_(std::move(lock)) {}
  ~PostgresTransaction() override { Rollback(); }

  Result<uint64_t> InsertJob(const StoredJob& job) override {
    if (job.tenant.empty()) return MakeError(ErrorCode::kInvalidArgument, "job without a tenant");
    if (!job.idempotency_key.empty()) {
      auto existing = FindByIdempotencyKey(job.tenant, job.idempotency_key);
      if (!existing) return std::unexpected(existing.error());
      if (*existing) return std::unexpected(IdempotencyConflict(job.tenant, job.idempotency_key, (*existing)->id));
    }
    Rows r = Query(db_,
                   "INSERT INTO jobs (tenant, name, spec, state, site, reason, submitted_ms, updated_ms, version, "
                   "idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1, NULLIF($8, '')) RETURNING id",
                   {job.tenant, job.name, job.spec, job.state, job.site, job.reason,
                    std::to_string(job.submitted_ms), job.idempotency_key});
    if (!r.ok()) return std::unexpected(PgError(r, "insert job"));
    return static_cast<uint64_t>(r.Int(0, 0));
  }

  Result<StoredJob> GetJob(uint64_t id) override {
    Rows r = Query(db_, (std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = $1").c_str(),
                   {std::to_string(id)});
    if (!r.ok()) return std::unexpected(PgError(r, "get job"));
    if (r.count() == 0) return MakeError(ErrorCode::kNotFound, "job " + std::to_string(id) + " not found");
    return ReadJob(r, 0);
  }

  Result<std::optional<StoredJob>> FindByIdempotencyKey(std::string_view tenant, std::string_view key) override {
    Rows r = Query(db_,
                   (std::string("SELECT ") + kJobColumns + " FROM jobs WHERE tenant = $1 AND idempotency_key = $2").c_str(),
                   {std::string(tenant), std::string(key)});
    if (!r.ok()) return std::unexpected(PgError(r, "find by idempotency key"));
    if (r.count() == 0) return std::optional<StoredJob>{};
    return std::optional<StoredJob>{ReadJob(r, 0)};
  }

  Result<std::vector<StoredJob>> ListJobs(const JobFilter& f) override {
    Rows r = Query(db_,
                   (std::string("SELECT ") + kJobColumns +
                    " FROM jobs WHERE id > $1 AND ($2 = '' OR tenant = $2) AND ($3 = '' OR state = $3) "
                    "ORDER BY id LIMIT $4")
                       .c_str(),
                   {std::to_string(f.after_id), f.tenant, f.state, std::to_string(f.limit)});
    if (!r.ok()) return std::unexpected(PgError(r, "list jobs"));
    std::vector<StoredJob> out;
    for (int i = 0; i < r.count(); ++i) out.push_back(ReadJob(r, i));
    return out;
  }

  // The new version after an UPDATE ... WHERE version = expected that changed a row, else why not
  // (kNotFound, or kConflict naming the version that won).
  Result<uint64_t> AfterCompareAndSwap(uint64_t id, uint64_t expected_version, bool changed) {
    if (changed) return expected_version + 1;
    auto current = GetJob(id);
    if (!current) return std::unexpected(current.error());
    return std::unexpected(VersionConflict(id, current->version, expected_version));
  }

  Result<uint64_t> UpdateJob(uint64_t id, uint64_t expected_version, std::string_view state,
                             std::string_view site, std::string_view reason, Timestamp now) override {
    Rows r = Query(db_,
                   "UPDATE jobs SET state = $1, site = $2, reason = $3, updated_ms = $4, version = version + 1 "
                   "WHERE id = $5 AND version = $6",
                   {std::string(state), std::string(site), std::string(reason), std::to_string(now),
                    std::to_string(id), std::to_string(expected_version)});
    if (!r.ok()) return std::unexpected(PgError(r, "update job"));
    return AfterCompareAndSwap(id, expected_version, r.affected() == "1");
  }

  Result<uint64_t> PlaceJob(uint64_t id, uint64_t expected_version, std::string_view site, std::string_view reason,
                            std::string_view decision, Timestamp now) override {
    Rows r = Query(db_,
                   "UPDATE jobs SET state = 'placed', site = $1, reason = $2, decision = $3, updated_ms = $4, "
                   "version = version + 1 WHERE id = $5 AND version = $6",
                   {std::string(site), std::string(reason), std::string(decision), std::to_string(now),
                    std::to_string(id), std::to_string(expected_version)});
    if (!r.ok()) return std::unexpected(PgError(r, "place job"));
    return AfterCompareAndSwap(id, expected_version, r.affected() == "1");
  }

  Result<AuditEntry> AppendAudit(Timestamp at_ms, std::string_view actor, std::string_view action,
                                 std::string_view subject, std::string_view detail) override {
    // Other connections may append too: take the chain's lock for the rest of the transaction.
    SW_CHECK(Exec(db_, "SELECT pg_advisory_xact_lock(" + std::to_string(kAuditLock) + ")", "lock audit"));
    AuditEntry e{0, at_ms, std::string(actor), std::string(action), std::string(subject), std::string(detail),
                 kGenesisHash, ""};
    Rows last(PQexec(db_, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"));
    if (!last.ok()) return std::unexpected(PgError(last, "read audit tail"));
    if (last.count() == 1) {
      e.seq = static_cast<uint64_t>(last.Int(0, 0)) + 1;
      e.prev_hash = last.Text(0, 1);
    } else {
      e.seq = 1;
    }
    e.hash = AuditHash(e);
    Rows r = Query(db_,
                   "INSERT INTO audit (seq, at_ms, actor, action, subject, detail, prev_hash, hash) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                   {std::to_string(e.seq), std::to_string(e.at_ms), e.actor, e.action, e.subject, e.detail,
                    e.prev_hash, e.hash});
    if (!r.ok()) return std::unexpected(PgError(r, "append audit"));
    return e;
  }

  Result<std::vector<AuditEntry>> ReadAudit(uint64_t after_seq, size_t limit) override {
    Rows r = Query(db_,
                   "SELECT seq, at_ms, actor, action, subject, detail, prev_hash, hash FROM audit "
                   "WHERE seq > $1 ORDER BY seq LIMIT $2",
                   {std::to_string(after_seq), std::to_string(limit)});
    if (!r.ok()) return std::unexpected(PgError(r, "read audit"));
    std::vector<AuditEntry> out;
    for (int i = 0; i < r.count(); ++i) {
      out.push_back(AuditEntry{static_cast<uint64_t>(r.Int(i, 0)), r.Int(i, 1), r.Text(i, 2), r.Text(i, 3),
                               r.Text(i, 4), r.Text(i, 5), r.Text(i, 6), r.Text(i, 7)});
    }
    return out;
  }


  Result<void> CreateTenant(std::string_view id, Timestamp now) override {
    if (id.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty tenant id");
    SW_TRY(exists, TenantExists(id));
    if (exists) return MakeError(ErrorCode::kConflict, "tenant '" + std::string(id) + "' already exists");
    Rows r = Query(db_, "INSERT INTO tenants (id, created_ms) VALUES ($1, $2)", {std::string(id), std::to_string(now)});
    if (!r.ok()) return std::unexpected(PgError(r, "create tenant"));
    return {};
  }

  Result<std::vector<std::string>> ListTenants() override {
    Rows r(PQexec(db_, "SELECT id FROM tenants ORDER BY id"));
    if (!r.ok()) return std::unexpected(PgError(r, "list tenants"));
    std::vector<std::string> out;
    for (int i = 0; i < r.count(); ++i) out.push_back(r.Text(i, 0));
    return out;
  }

  Result<bool> TenantExists(std::string_view id) override {
    Rows r = Query(db_, "SELECT 1 FROM tenants WHERE id = $1", {std::string(id)});
    if (!r.ok()) return std::unexpected(PgError(r, "find tenant"));
    return r.count() == 1;
  }

  Result<uint64_t> CreateToken(const StoredToken& t) override {
    SW_TRY(exists, TenantExists(t.tenant));
    if (!exists) return MakeError(ErrorCode::kNotFound, "tenant '" + t.tenant + "' not found");
    Rows r = Query(db_,
                   "INSERT INTO tokens (tenant, role, name, hash, created_ms, revoked, site) "
                   "VALUES ($1, $2, $3, $4, $5, 0, $6) RETURNING id",
                   {t.tenant, t.role, t.name, t.hash, std::to_string(t.created_ms), t.site});
    if (!r.ok()) return std::unexpected(PgError(r, "create token"));
    return static_cast<uint64_t>(r.Int(0, 0));
  }

  Result<std::optional<StoredToken>> FindTokenByHash(std::string_view hash) override {
    Rows r = Query(db_, "SELECT id, tenant, role, name, hash, created_ms, revoked, site FROM tokens WHERE hash = $1",
                   {std::string(hash)});
    if (!r.ok()) return std::unexpected(PgError(r, "find token"));
    if (r.count() == 0) return std::optional<StoredToken>{};
    return std::optional<StoredToken>{StoredToken{static_cast<uint64_t>(r.Int(0, 0)), r.Text(0, 1), r.Text(0, 2),
                                                  r.Text(0, 3), r.Text(0, 4), r.Int(0, 5), r.Int(0, 6) != 0,
                                                  r.Text(0, 7)}};
  }

  Result<std::vector<StoredToken>> ListTokens() override {
    Rows r(PQexec(db_, "SELECT id, tenant, role, name, hash, created_ms, revoked, site FROM tokens ORDER BY id"));
    if (!r.ok()) return std::unexpected(PgError(r, "list tokens"));
    std::vector<StoredToken> out;
    for (int i = 0; i < r.count(); ++i) {
      out.push_back(StoredToken{static_cast<uint64_t>(r.Int(i, 0)), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3),
                                r.Text(i, 4), r.Int(i, 5), r.Int(i, 6) != 0, r.Text(i, 7)});
    }
    return out;
  }

  Result<void> RevokeToken(uint64_t id) override {
    Rows r = Query(db_, "UPDATE tokens SET revoked = 1 WHERE id = $1", {std::to_string(id)});
    if (!r.ok()) return std::unexpected(PgError(r, "revoke token"));
    if (r.affected() != "1") return MakeError(ErrorCode::kNotFound, "token " + std::to_string(id) + " not found");
    return {};
  }

  Result<uint64_t> LastDispatchSeq(std::string_view site) override {
    Rows r = Query(db_, "SELECT COALESCE(MAX(seq), 0) FROM dispatches WHERE site = $1", {std::string(site)});
    if (!r.ok()) return std::unexpected(PgError(r, "last dispatch seq"));
    return static_cast<uint64_t>(r.Int(0, 0));
  }

  Result<void> InsertDispatch(const StoredDispatch& d) override {
    SW_CHECK(CheckDispatch(d));
    // A savepoint keeps the transaction usable after a duplicate key, as SQLite's is.
    SW_CHECK(Exec(db_, "SAVEPOINT sw_dispatch", "savepoint"));
    Rows r = Query(db_,
                   "INSERT INTO dispatches (site, seq, job_id, payload, signature, created_ms) "
                   "VALUES ($1, $2, $3, $4, $5, $6)",
                   {d.site, std::to_string(d.seq), std::to_string(d.job_id), d.payload, d.signature,
                    std::to_string(d.created_ms)});
    if (!r.ok()) {
      (void)Exec(db_, "ROLLBACK TO SAVEPOINT sw_dispatch", "rollback to savepoint");
      (void)Exec(db_, "RELEASE SAVEPOINT sw_dispatch", "release savepoint");
      if (r.sqlstate() == "23505") return std::unexpected(DispatchConflict(d));
      return std::unexpected(PgError(r, "insert dispatch"));
    }
    return Exec(db_, "RELEASE SAVEPOINT sw_dispatch", "release savepoint");
  }

  Result<std::vector<StoredDispatch>> ReadDispatches(std::string_view site, uint64_t after_seq,
                                                     size_t limit) override {
    Rows r = Query(db_,
                   "SELECT site, seq, job_id, payload, signature, created_ms FROM dispatches "
                   "WHERE site = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                   {std::string(site), std::to_string(after_seq), std::to_string(limit)});
    if (!r.ok()) return std::unexpected(PgError(r, "read dispatches"));
    std::vector<StoredDispatch> out;
    for (int i = 0; i < r.count(); ++i) {
      out.push_back(StoredDispatch{r.Text(i, 0), static_cast<uint64_t>(r.Int(i, 1)),
                                   static_cast<uint64_t>(r.Int(i, 2)), r.Text(i, 3), r.Text(i, 4), r.Int(i, 5)});
    }
    return out;
  }

  Result<void> PutTask(const StoredTask& t) override {
    SW_CHECK(CheckTask(t));
    static const std::string sql = std::string("INSERT INTO tasks (") + kTaskColumns +
                                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
                                   "$17, $18, $19, $20)" +
                                   kTaskUpsertTail;
    Rows r = Query(db_, sql.c_str(),
                   {std::to_string(t.job_id), std::to_string(t.task), std::to_string(t.attempt), t.site, t.state,
                    std::to_string(t.exit_code), std::to_string(t.signal), std::to_string(t.cpu_ms),
                    std::to_string(t.peak_memory_kib), std::to_string(t.wall_ms), t.reason, t.stdout_tail,
                    t.stderr_tail, std::to_string(t.updated_ms), DoubleText(t.gpu_hours), DoubleText(t.it_kwh),
                    DoubleText(t.facility_kwh), DoubleText(t.carbon_kg), DoubleText(t.energy_cny),
                    std::to_string(t.dispatched_ms)});
    if (!r.ok()) return std::unexpected(PgError(r, "put task"));
    return {};
  }

  Result<std::vector<EnergySum>> SumEnergy() override {
    Rows r = Query(db_, kSumEnergySql);
    if (!r.ok()) return std::unexpected(PgError(r, "sum energy"));
    std::vector<EnergySum> out;
    for (int i = 0; i < r.count(); ++i) out.push_back(EnergySumFromRow(RowAt{r, i}));
    return out;
  }

  Result<std::vector<StoredTask>> ListTasks(uint64_t job_id) override {
    static const std::string sql = std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE job_id = $1 ORDER BY task";
    Rows r = Query(db_, sql.c_str(), {std::to_string(job_id)});
    if (!r.ok()) return std::unexpected(PgError(r, "list tasks"));
    std::vector<StoredTask> out;
    for (int i = 0; i < r.count(); ++i) out.push_back(TaskFromRow(RowAt{r, i}));
    return out;
  }

  Result<void> PutSite(const StoredSite& site) override {
    SW_CHECK(CheckSite(site));
    static const std::string sql =
        std::string("INSERT INTO sites (") + kSiteColumns + ") VALUES ($1, $2, $3, $4, $5, $6)" + kSiteUpsertTail;
    Rows r = Query(db_, sql.c_str(), {site.id, site.agent, site.resources, std::to_string(site.registered_ms),
                                      std::to_string(site.heartbeat_ms), site.receipt_key});
    if (!r.ok()) return std::unexpected(PgError(r, "put site"));
    return {};
  }

  Result<std::vector<StoredSite>> ListSites() override {
    static const std::string sql = std::string("SELECT ") + kSiteColumns + " FROM sites ORDER BY id";
    Rows r = Query(db_, sql.c_str(), {});
    if (!r.ok()) return std::unexpected(PgError(r, "list sites"));
    std::vector<StoredSite> out;
    for (int i = 0; i < r.count(); ++i) out.push_back(SiteFromRow(RowAt{r, i}));
    return out;
  }

  Result<std::vector<LedgerEntry>> AppendLedger(const LedgerTxn& txn) override {
    SW_CHECK(CheckBalanced(txn));
    // Other connections may append too: take the chain's lock for the rest of the transaction.
    SW_CHECK(Exec(db_, "SELECT pg_advisory_xact_lock(" + std::to_string(kLedgerLock) + ")", "lock ledger"));
    Rows exists = Query(db_, "SELECT 1 FROM ledger WHERE txn = $1 LIMIT 1", {txn.id});
    if (!exists.ok()) return std::unexpected(PgError(exists, "find ledger transaction"));
    if (exists.count() > 0) return std::unexpected(LedgerTxnConflict(txn.id));
    LedgerEntry tail{0, "", "", 0, "", 0, 0, "", "", kGenesisHash};
    Rows last(PQexec(db_, "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1"));
    if (!last.ok()) return std::unexpected(PgError(last, "read ledger tail"));
    if (last.count() == 1) {
      tail.seq = static_cast<uint64_t>(last.Int(0, 0));
      tail.hash = last.Text(0, 1);
    }
    std::vector<LedgerEntry> out;
    for (const LedgerLine& line : txn.lines) {
      LedgerEntry e{tail.seq + 1, txn.id, txn.kind, txn.at_ms, line.account, line.debit, line.credit, txn.memo, tail.hash, ""};
      e.hash = LedgerHash(e);
      static const std::string sql =
          std::string("INSERT INTO ledger (") + kLedgerColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
      Rows r = Query(db_, sql.c_str(),
                     {std::to_string(e.seq), e.txn, e.kind, std::to_string(e.at_ms), e.account, std::to_string(e.debit),
                      std::to_string(e.credit), e.memo, e.prev_hash, e.hash});
      if (!r.ok()) return std::unexpected(PgError(r, "append ledger"));
      tail = e;
      out.push_back(std::move(e));
    }
    return out;
  }

  Result<std::vector<LedgerEntry>> ReadLedger(uint64_t after_seq, size_t limit, std::string_view account) override {
    static const std::string all = std::string("SELECT ") + kLedgerColumns + " FROM ledger WHERE seq > $1 ORDER BY seq LIMIT $2";
    static const std::string one = std::string("SELECT ") + kLedgerColumns +
                                   " FROM ledger WHERE seq > $1 AND account = $3 ORDER BY seq LIMIT $2";
    Rows r = account.empty() ? Query(db_, all.c_str(), {std::to_string(after_seq), std::to_string(limit)})
                             : Query(db_, one.c_str(), {std::to_string(after_seq), std::to_string(limit), std::string(account)});
    if (!r.ok()) return std::unexpected(PgError(r, "read ledger"));
    std::vector<LedgerEntry> out;
    for (int i = 0; i < r.count(); ++i) out.push_back(LedgerFromRow(RowAt{r, i}));
    return out;
  }

  Result<Micros> AccountBalance(std::string_view account) override {
    Rows r = Query(db_, "SELECT COALESCE(SUM(credit - debit), 0) FROM ledger WHERE account = $1", {std::string(account)});
    if (!r.ok()) return std::unexpected(PgError(r, "sum ledger account"));
    return r.Int(0, 0);
  }

  Result<void> InsertUsage(const UsageRecord& u) override {
    if (u.job == 0) return MakeError(ErrorCode::kInvalidArgument, "usage record needs a job id");
    static const std::string sql = std::string("INSERT INTO usage (") + kUsageColumns +
                                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
                                   "$17, $18, $19, $20, $21, $22, $23, $24)";
    SW_CHECK(Exec(db_, "SAVEPOINT sw_usage", "savepoint"));
    Rows r = Query(db_, sql.c_str(),
                   {std::to_string(u.job), std::to_string(u.task), std::to_string(u.attempt), u.tenant, u.site,
                    u.gpu_model, DoubleText(u.gpus), DoubleText(u.cores), std::to_string(u.start_ms),
                    std::to_string(u.end_ms), std::to_string(u.cpu_ms), DoubleText(u.gpu_seconds),
                    DoubleText(u.core_seconds), DoubleText(u.scu_hours), u.energy_accounted ? "1" : "0",
                    DoubleText(u.it_kwh), DoubleText(u.facility_kwh), DoubleText(u.carbon_kg), std::to_string(u.price),
                    std::to_string(u.charge), u.txn, u.receipt, u.signature, u.agent_key});
    if (!r.ok()) {
      (void)Exec(db_, "ROLLBACK TO SAVEPOINT sw_usage", "rollback to savepoint");
      (void)Exec(db_, "RELEASE SAVEPOINT sw_usage", "release savepoint");
      if (r.sqlstate() == "23505") {
        return MakeError(ErrorCode::kConflict, "usage of job " + std::to_string(u.job) + " task " + std::to_string(u.task) +
                                                   " attempt " + std::to_string(u.attempt) + " is already recorded");
      }
      return std::unexpected(PgError(r, "insert usage"));
    }
    return Exec(db_, "RELEASE SAVEPOINT sw_usage", "release savepoint");
  }

  Result<std::vector<UsageRecord>> ListUsage(const UsageFilter& filter) override {
    const UsageQuery q = UsageSelect(filter, [](size_t i) { return "$" + std::to_string(i); });
    std::vector<std::string> values = q.values;
    Rows r = Query(db_, q.sql.c_str(), values);
    if (!r.ok()) return std::unexpected(PgError(r, "list usage"));
    std::vector<UsageRecord> out;
    for (int i = 0; i < r.count(); ++i) out.push_back(UsageFromRow(RowAt{r, i}));
    return out;
  }

  Result<uint64_t> InsertOffer(const StoredOffer& o) override {
    SW_CHECK(CheckOffer(o));
    Rows r = Query(db_,
                   "INSERT INTO offers (provider, site, pool, kind, price, min_price, from_ms, until_ms, notice_s, "
                   "created_ms, withdrawn_ms, reserved_for) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
                   "RETURNING id",
                   {o.provider, o.site, o.pool, o.kind, std::to_string(o.price), std::to_string(o.min_price),
                    std::to_string(o.from_ms), std::to_string(o.until_ms), std::to_string(o.notice_s),
                    std::to_string(o.created_ms), std::to_string(o.withdrawn_ms), o.reserved_for});
    if (!r.ok()) return std::unexpected(PgError(r, "insert offer"));
    return static_cast<uint64_t>(r.Int(0, 0));
  }

  Result<std::vector<StoredOffer>> ListOffers(Timestamp active_at) override {
    static const std::string all = std::string("SELECT ") + kOfferColumns + " FROM offers ORDER BY id";
    static const std::string active = std::string("SELECT ") + kOfferColumns +
                                      " FROM offers WHERE (withdrawn_ms = 0 OR withdrawn_ms > $1) AND from_ms <= $1 AND "
                                      "(until_ms = 0 OR until_ms > $1) ORDER BY id";
    Rows r = active_at == 0 ? Query(db_, all.c_str()) : Query(db_, active.c_str(), {std::to_string(active_at)});
    if (!r.ok()) return std::unexpected(PgError(r, "list offers"));
    std::vector<StoredOffer> out;
    for (int i = 0; i < r.count(); ++i) out.push_back(OfferFromRow(RowAt{r, i}));
    return out;
  }

  Result<StoredOffer> LockOffer(uint64_t id) {
    static const std::string sql = std::string("SELECT ") + kOfferColumns + " FROM offers WHERE id = $1 FOR UPDATE";
    Rows r = Query(db_, sql.c_str(), {std::to_string(id)});
    if (!r.ok()) return std::unexpected(PgError(r, "get offer"));
    if (r.count() == 0) return MakeError(ErrorCode::kNotFound, "offer " + std::to_string(id) + " not found");
    return OfferFromRow(RowAt{r, 0});
  }

  Result<StoredOffer> ReserveOffer(uint64_t id, std::string_view tenant) override {
    SW_TRY(offer, LockOffer(id));
    if (std::string why = OfferConflict(offer, true); !why.empty()) return MakeError(ErrorCode::kConflict, why);
    Rows u = Query(db_, "UPDATE offers SET reserved_for = $1 WHERE id = $2", {std::string(tenant), std::to_string(id)});
    if (!u.ok()) return std::unexpected(PgError(u, "reserve offer"));
    offer.reserved_for = tenant;
    return offer;
  }

  Result<StoredOffer> WithdrawOffer(uint64_t id, Timestamp now) override {
    SW_TRY(offer, LockOffer(id));
    if (std::string why = OfferConflict(offer, false); !why.empty()) return MakeError(ErrorCode::kConflict, why);
    Rows u = Query(db_, "UPDATE offers SET withdrawn_ms = $1 WHERE id = $2", {std::to_string(now), std::to_string(id)});
    if (!u.ok()) return std::unexpected(PgError(u, "withdraw offer"));
    offer.withdrawn_ms = now;
    return offer;
  }

  Result<void> InsertPrices(const std::vector<StoredPrice>& prices) override {
    static const std::string sql =
        std::string("INSERT INTO prices (") + kPriceColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    SW_CHECK(Exec(db_, "SAVEPOINT sw_prices", "savepoint"));
    for (const StoredPrice& p : prices) {
      Rows r = Query(db_, sql.c_str(),
                     {std::to_string(p.slot_ms), p.hub, p.compute_class, std::to_string(p.price), p.traded ? "1" : "0",
                      DoubleText(p.offered_scu), DoubleText(p.sold_scu), DoubleText(p.demand_scu)});
      if (!r.ok()) {
        (void)Exec(db_, "ROLLBACK TO SAVEPOINT sw_prices", "rollback to savepoint");
        (void)Exec(db_, "RELEASE SAVEPOINT sw_prices", "release savepoint");
        if (r.sqlstate() == "23505") {
          return MakeError(ErrorCode::kConflict, "price of " + p.hub + "/" + p.compute_class + " at " +
                                                     std::to_string(p.slot_ms) + " is already published");
        }
        return std::unexpected(PgError(r, "insert price"));
      }
    }
    return Exec(db_, "RELEASE SAVEPOINT sw_prices", "release savepoint");
  }

  Result<std::vector<StoredPrice>> ListPrices(const PriceFilter& filter) override {
    const UsageQuery q = PriceSelect(filter, [](size_t i) { return "$" + std::to_string(i); });
    Rows r = Query(db_, q.sql.c_str(), q.values);
    if (!r.ok()) return std::unexpected(PgError(r, "list prices"));
    std::vector<StoredPrice> out;
    for (int i = 0; i < r.count(); ++i) out.push_back(PriceFromRow(RowAt{r, i}));
    return out;
  }

  Result<void> Savepoint(std::string_view name) override { return Named("SAVEPOINT ", name); }
  Result<void> RollbackTo(std::string_view name) override { return Named("ROLLBACK TO SAVEPOINT ", name); }
  Result<void> Release(std::string_view name) override { return Named("RELEASE SAVEPOINT ", name); }

  Result<void> Commit() override {
    if (!open_) return MakeError(ErrorCode::kInternal, "commit of a finished transaction");
    open_ = false;
    auto ok = Exec(db_, "COMMIT", "commit");
    if (!ok) (void)Exec(db_, "ROLLBACK", "rollback");
    lock_.unlock();
    return ok;
  }

  void Rollback() override {
    if (!open_) return;
    open_ = false;
    (void)Exec(db_, "ROLLBACK", "rollback");
    lock_.unlock();
  }

 private:
  Result<void> Named(const char* verb, std::string_view name) {
    SW_CHECK(CheckIdentifier(name));
    return Exec(db_, verb + std::string(name), "savepoint");
  }

  PGconn* db_;
  std::unique_lock<std::mutex> lock_;
  bool open_ = true;
};

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(PGconn* db) : db_(db) {}
  ~PostgresStore() override { PQfinish(db_); }

  Result<void> Migrate() {
    SW_CHECK(Exec(db_, "BEGIN", "begin migration"));
    SW_CHECK(Exec(db_, "SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")", "lock migrations"));
    SW_CHECK(Exec(db_, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", "schema table"));
    Rows read(PQexec(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version"));
    if (!read.ok()) {
      (void)Exec(db_, "ROLLBACK", "rollback");
      return std::unexpected(PgError(read, "read schema version"));
    }
    version_ = static_cast<int>(read.Int(0, 0));
    const auto migrations = SchemaMigrations(SqlDialect::kPostgres);
    for (size_t i = static_cast<size_t>(version_); i < migrations.size(); ++i) {
      std::string sql = migrations[i] + "INSERT INTO schema_version (version) VALUES (" + std::to_string(i + 1) + ");";
      if (auto ok = Exec(db_, sql, "migration"); !ok) {
        (void)Exec(db_, "ROLLBACK", "rollback");
        version_ = static_cast<int>(i);
        return MakeError(ErrorCode::kInternal, "migration " + std::to_string(i + 1) + " failed: " + ok.error().message);
      }
    }
    SW_CHECK(Exec(db_, "COMMIT", "commit migrations"));
    version_ = static_cast<int>(migrations.size());
    return {};
  }

  Result<std::unique_ptr<Transaction>> Begin() override {
    std::unique_lock lock(mutex_);
    if (PQstatus(db_) != CONNECTION_OK) PQreset(db_);  // reconnect after a server restart
    if (auto ok = Exec(db_, "BEGIN", "begin"); !ok) return MakeError(ErrorCode::kUnavailable, ok.error().message);
    return std::make_unique<PostgresTransaction>(db_, std::move(lock));
  }

  int schema_version() const override { return version_; }

 private:
  PGconn* db_;
  std::mutex mutex_;
  int version_ = 0;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url) {
  PGconn* db = PQconnectdb(url.c_str());
  if (PQstatus(db) != CONNECTION_OK) {
    std::string message = PQerrorMessage(db);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    PQfinish(db);
    return MakeError(ErrorCode::kUnavailable, "postgres: cannot connect: " + message);
  }
  (void)Exec(db, "SET client_min_messages TO warning", "settings");
  auto store = std::make_unique<PostgresStore>(db);
  if (auto ok = store->Migrate(); !ok) return std::unexpected(ok.error());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace suanwang
