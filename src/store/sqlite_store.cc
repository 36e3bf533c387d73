#include "store/sqlite_store.h"

#include <sodium.h>
#include <sqlite3.h>

#include <cctype>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "store/migrations.h"
#include "store/sql_common.h"
#include "store/postgres_store.h"

namespace suanwang {
namespace {

const std::string kGenesisHash(64, '0');

int sodium_init_once() {
  static const int rc = sodium_init();
  return rc;
}

// Prepared statements kept per connection, keyed by SQL text: preparing is a good part of a
// small statement's cost. Used only under the store's mutex.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  ~StatementCache() {
    for (auto& [sql, entry] : entries_) sqlite3_finalize(entry.stmt);
  }
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;
  sqlite3* db() const { return db_; }
  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  // A cached statement, or nullptr when this SQL is already in use (the caller prepares its own).
  Entry* Acquire(const char* sql, int* rc) {
    auto [it, fresh] = entries_.try_emplace(sql);
    if (fresh) {
      *rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &it->second.stmt, nullptr);
      if (*rc != SQLITE_OK) {
        sqlite3_finalize(it->second.stmt);
        entries_.erase(it);
        return nullptr;
      }
    } else if (it->second.in_use) {
      *rc = SQLITE_OK;
      return nullptr;
    }
    *rc = SQLITE_OK;
    it->second.in_use = true;
    return &it->second;  // stable: unordered_map never moves its elements
  }
  static void Release(Entry& entry) {
    sqlite3_reset(entry.stmt);
    sqlite3_clear_bindings(entry.stmt);
    entry.in_use = false;
  }

 private:
  sqlite3* db_;
  std::unordered_map<std::string, Entry> entries_;
};

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  Statement(StatementCache& cache, const char* sql) {
    cached_ = cache.Acquire(sql, &rc_);
    if (cached_ != nullptr) {
      stmt_ = cached_->stmt;
    } else if (rc_ == SQLITE_OK) {
      rc_ = sqlite3_prepare_v2(cache.db(), sql, -1, &stmt_, nullptr);
    }
  }
  ~Statement() {
    if (cached_ != nullptr) {
      StatementCache::Release(*cached_);
    } else {
      sqlite3_finalize(stmt_);
    }
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  Statement& Bind(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  Statement& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& BindNull(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  int Step() { return sqlite3_step(stmt_); }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t ? reinterpret_cast<const char*>(t) : "";
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  StatementCache::Entry* cached_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

Error DbError(sqlite3* db, std::string_view what) {
  const int code = sqlite3_errcode(db);
  ErrorCode ec = (code == SQLITE_BUSY || code == SQLITE_LOCKED) ? ErrorCode::kConflict
                 : code == SQLITE_CONSTRAINT                     ? ErrorCode::kConflict
                                                                 : ErrorCode::kUnavailable;
  return Error{ec, "sqlite: " + std::string(what) + ": " + sqlite3_errmsg(db)};
}

Result<void> Exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return MakeError(ErrorCode::kUnavailable, "sqlite: " + text);
  }
  return {};
}

const char* kJobColumns =
    "id, tenant, name, spec, state, site, reason, submitted_ms, updated_ms, version, "
    "COALESCE(idempotency_key, ''), decision";

StoredJob ReadJob(const Statement& s) {
  StoredJob j;
  j.id = static_cast<uint64_t>(s.Int(0));
  j.tenant = s.Text(1);
  j.name = s.Text(2);
  j.spec = s.Text(3);
  j.state = s.Text(4);
  j.site = s.Text(5);
  j.reason = s.Text(6);
  j.submitted_ms = s.Int(7);
  j.updated_ms = s.Int(8);
  j.version = static_cast<uint64_t>(s.Int(9));
  j.idempotency_key = s.Text(10);
  j.decision = s.Text(11);
  return j;
}

class SqliteStore;

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(StatementCache& cache, std::unique_lock<std::mutex> lock)
      : db_(cache.db()), cache_(cache), lock_(std::move(lock)) {}
  ~SqliteTransaction() override { Rollback(); }

  Result<uint64_t> InsertJob(const StoredJob& job) override {
    if (job.tenant.empty()) return MakeError(ErrorCode::kInvalidArgument, "job without a tenant");
    if (!job.idempotency_key.empty()) {
      auto existing = FindByIdempotencyKey(job.tenant, job.idempotency_key);
      if (!existing) return std::unexpected(existing.error());
      if (*existing) return std::unexpected(IdempotencyConflict(job.tenant, job.idempotency_key, (*existing)->id));
    }
    Statement s(cache_,
                "INSERT INTO jobs (tenant, name, spec, state, site, reason, submitted_ms, updated_ms, version, "
                "idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)");
    if (!s.ok()) return std::unexpected(DbError(db_, "prepare insert"));
    s.Bind(1, job.tenant).Bind(2, job.name).Bind(3, job.spec).Bind(4, job.state).Bind(5, job.site);
    s.Bind(6, job.reason).Bind(7, job.submitted_ms).Bind(8, job.submitted_ms);
    if (job.idempotency_key.empty()) {
      s.BindNull(9);
    } else {
      s.Bind(9, job.idempotency_key);
    }
    if (s.Step() != SQLITE_DONE) return std::unexpected(DbError(db_, "insert job"));
    return static_cast<uint64_t>(sqlite3_last_insert_rowid(db_));
  }

  Result<StoredJob> GetJob(uint64_t id) override {
    std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?";
    Statement s(cache_, sql.c_str());
    if (!s.ok()) return std::unexpected(DbError(db_, "prepare get"));
    s.Bind(1, static_cast<int64_t>(id));
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return MakeError(ErrorCode::kNotFound, "job " + std::to_string(id) + " not found");
    if (rc != SQLITE_ROW) return std::unexpected(DbError(db_, "get job"));
    return ReadJob(s);
  }

  Result<std::optional<StoredJob>> FindByIdempotencyKey(std::string_view tenant, std::string_view key) override {
    std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE tenant = ? AND idempotency_key = ?";
    Statement s(cache_, sql.c_str());
    if (!s.ok()) return std::unexpected(DbError(db_, "prepare find"));
    s.Bind(1, tenant).Bind(2, key);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<StoredJob>{};
    if (rc != SQLITE_ROW) return std::unexpected(DbError(db_, "find by idempotency key"));
    return std::optional<StoredJob>{ReadJob(s)};
  }

  Result<std::vector<StoredJob>> ListJobs(const JobFilter& f) override {
    std::string sql = std::string("SELECT ") + kJobColumns +
                      " FROM jobs WHERE id > ? AND (? = '' OR tenant = ?) AND (? = '' OR state = ?) "
                      "ORDER BY id LIMIT ?";
    Statement s(cache_, sql.c_str());
    if (!s.ok()) return std::unexpected(DbError(db_, "prepare list"));
    s.Bind(1, static_cast<int64_t>(f.after_id)).Bind(2, f.tenant).Bind(3, f.tenant).Bind(4, f.state);
    s.Bind(5, f.state).Bind(6, static_cast<int64_t>(f.limit));
    std::vector<StoredJob> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadJob(s));
    if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "list jobs"));
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
    Statement s(cache_,
                "UPDATE jobs SET state = ?, site = ?, reason = ?, updated_ms = ?, version = version + 1 "
                "WHERE id = ? AND version = ?");
    if (!s.ok()) return std::unexpected(DbError(db_, "prepare update"));
    s.Bind(1, state).Bind(2, site).Bind(3, reason).Bind(4, now).Bind(5, static_cast<int64_t>(id));
    s.Bind(6, static_cast<int64_t>(expected_version));
    if (s.Step() != SQLITE_DONE) return std::unexpected(DbError(db_, "update job"));
    return AfterCompareAndSwap(id, expected_version, sqlite3_changes(db_) == 1);
  }

  Result<uint64_t> PlaceJob(uint64_t id, uint64_t expected_version, std::string_view site, std::string_view reason,
                            std::string_view decision, Timestamp now) override {
    Statement s(cache_,
                "UPDATE jobs SET state = 'placed', site = ?, reason = ?, decision = ?, updated_ms = ?, "
                "version = version + 1 WHERE id = ? AND version = ?");
    if (!s.ok()) return std::unexpected(DbError(db_, "prepare place"));
    s.Bind(1, site).Bind(2, reason).Bind(3, decision).Bind(4, now).Bind(5, static_cast<int64_t>(id));
    s.Bind(6, static_cast<int64_t>(expected_version));
    if (s.Step() != SQLITE_DONE) return std::unexpected(DbError(db_, "place job"));
    return AfterCompareAndSwap(id, expected_version, sqlite3_changes(db_) == 1);
  }

  Result<AuditEntry> AppendAudit(Timestamp at_ms, std::string_view actor, std::string_view action,
                                 std::string_view subject, std::string_view detail) override {
    AuditEntry e{0, at_ms, std::string(actor), std::string(action), std::string(subject), std::string(detail),
                 kGenesisHash, ""};
    {
      Statement last(cache_, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
      if (!last.ok()) return std::unexpected(DbError(db_, "prepare audit tail"));
      const int rc = last.Step();
      if (rc == SQLITE_ROW) {
        e.seq = static_cast<uint64_t>(last.Int(0)) + 1;
        e.prev_hash = last.Text(1);
      } else if (rc == SQLITE_DONE) {
        e.seq = 1;
      } else {
        return std::unexpected(DbError(db_, "read audit tail"));
      }
    }
    e.hash = AuditHash(e);
    Statement s(cache_, "INSERT INTO audit (seq, at_ms, actor, action, subject, detail, prev_hash, hash) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s.ok()) return std::unexpected(DbError(db_, "prepare audit insert"));
    s.Bind(1, static_cast<int64_t>(e.seq)).Bind(2, e.at_ms).Bind(3, e.actor).Bind(4, e.action);
    s.Bind(5, e.subject).Bind(6, e.detail).Bind(7, e.prev_hash).Bind(8, e.hash);
    if (s.Step() != SQLITE_DONE) return std::unexpected(DbError(db_, "append audit"));
    return e;
  }

  Result<std::vector<AuditEntry>> ReadAudit(uint64_t after_seq, size_t limit) override {
    Statement s(cache_, "SELECT seq, at_ms, actor, action, subject, detail, prev_hash, hash FROM audit "
                     "WHERE seq > ? ORDER BY seq LIMIT ?");
    if (!s.ok()) return std::unexpected(DbError(db_, "prepare audit read"));
    s.Bind(1, static_cast<int64_t>(after_seq)).Bind(2, static_cast<int64_t>(limit));
    std::vector<AuditEntry> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back(AuditEntry{static_cast<uint64_t>(s.Int(0)), s.Int(1), s.Text(2), s.Text(3), s.Text(4),
                               s.Text(5), s.Text(6), s.Text(7)});
    }
    if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "read audit"));
    return out;
  }


  Result<void> CreateTenant(std::string_view id, Timestamp now) override {
    if (id.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty tenant id");
    SW_TRY(exists, TenantExists(id));
    if (exists) return MakeError(ErrorCode::kConflict, "tenant '" + std::string(id) + "' already exists");
    Statement s(cache_, "INSERT INTO tenants (id, created_ms) VALUES (?, ?)");
    s.Bind(1, id).Bind(2, now);
    if (s.Step() != SQLITE_DONE) return std::unexpected(DbError(db_, "create tenant"));
    return {};
  }

  Result<std::vector<std::string>> ListTenants() override {
    Statement s(cache_, "SELECT id FROM tenants ORDER BY id");
    std::vector<std::string> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(s.Text(0));
    if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "list tenants"));
    return out;
  }

  Result<bool> TenantExists(std::string_view id) override {
    Statement s(cache_, "SELECT 1 FROM tenants WHERE id = ?");
    s.Bind(1, id);
    const int rc = s.Step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return std::unexpected(DbError(db_, "find tenant"));
    return rc == SQLITE_ROW;
  }

  Result<uint64_t> CreateToken(const StoredToken& t) override {
    SW_TRY(exists, TenantExists(t.tenant));
    if (!exists) return MakeError(ErrorCode::kNotFound, "tenant '" + t.tenant + "' not found");
    Statement s(cache_, "INSERT INTO tokens (tenant, role, name, hash, created_ms, revoked, site) VALUES (?, ?, ?, ?, ?, 0, ?)");
    s.Bind(1, t.tenant).Bind(2, t.role).Bind(3, t.name).Bind(4, t.hash).Bind(5, t.created_ms).Bind(6, t.site);
    if (s.Step() != SQLITE_DONE) return std::unexpected(DbError(db_, "create token"));
    return static_cast<uint64_t>(sqlite3_last_insert_rowid(db_));
  }

  Result<std::optional<StoredToken>> FindTokenByHash(std::string_view hash) override {
    Statement s(cache_, "SELECT id, tenant, role, name, hash, created_ms, revoked, site FROM tokens WHERE hash = ?");
    s.Bind(1, hash);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<StoredToken>{};
    if (rc != SQLITE_ROW) return std::unexpected(DbError(db_, "find token"));
    return std::optional<StoredToken>{StoredToken{static_cast<uint64_t>(s.Int(0)), s.Text(1), s.Text(2), s.Text(3),
                                                  s.Text(4), s.Int(5), s.Int(6) != 0, s.Text(7)}};
  }

  Result<std::vector<StoredToken>> ListTokens() override {
    Statement s(cache_, "SELECT id, tenant, role, name, hash, created_ms, revoked, site FROM tokens ORDER BY id");
    std::vector<StoredToken> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back(StoredToken{static_cast<uint64_t>(s.Int(0)), s.Text(1), s.Text(2), s.Text(3), s.Text(4),
                                s.Int(5), s.Int(6) != 0, s.Text(7)});
    }
    if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "list tokens"));
    return out;
  }

  Result<void> RevokeToken(uint64_t id) override {
    Statement s(cache_, "UPDATE tokens SET revoked = 1 WHERE id = ?");
    s.Bind(1, static_cast<int64_t>(id));
    if (s.Step() != SQLITE_DONE) return std::unexpected(DbError(db_, "revoke token"));
    if (sqlite3_changes(db_) != 1) return MakeError(ErrorCode::kNotFound, "token " + std::to_string(id) + " not found");
    return {};
  }

  Result<uint64_t> LastDispatchSeq(std::string_view site) override {
    Statement s(cache_, "SELECT COALESCE(MAX(seq), 0) FROM dispatches WHERE site = ?");
    s.Bind(1, site);
    if (s.Step() != SQLITE_ROW) return std::unexpected(DbError(db_, "last dispatch seq"));
    return static_cast<uint64_t>(s.Int(0));
  }

  Result<void> InsertDispatch(const StoredDispatch& d) override {
    SW_CHECK(CheckDispatch(d));
    Statement s(cache_, "INSERT INTO dispatches (site, seq, job_id, payload, signature, created_ms) "
                     "VALUES (?, ?, ?, ?, ?, ?)");
    s.Bind(1, d.site).Bind(2, static_cast<int64_t>(d.seq)).Bind(3, static_cast<int64_t>(d.job_id));
    s.Bind(4, d.payload).Bind(5, d.signature).Bind(6, d.created_ms);
    if (s.Step() != SQLITE_DONE) {
      if (sqlite3_errcode(db_) == SQLITE_CONSTRAINT) return std::unexpected(DispatchConflict(d));
      return std::unexpected(DbError(db_, "insert dispatch"));
    }
    return {};
  }

  Result<std::vector<StoredDispatch>> ReadDispatches(std::string_view site, uint64_t after_seq,
                                                     size_t limit) override {
    Statement s(cache_, "SELECT site, seq, job_id, payload, signature, created_ms FROM dispatches "
                     "WHERE site = ? AND seq > ? ORDER BY seq LIMIT ?");
    s.Bind(1, site).Bind(2, static_cast<int64_t>(after_seq)).Bind(3, static_cast<int64_t>(limit));
    std::vector<StoredDispatch> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back(StoredDispatch{s.Text(0), static_cast<uint64_t>(s.Int(1)), static_cast<uint64_t>(s.Int(2)),
                                   s.Text(3), s.Text(4), s.Int(5)});
    }
    if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "read dispatches"));
    return out;
  }

  Result<void> PutTask(const StoredTask& t) override {
    SW_CHECK(CheckTask(t));
    static const std::string sql = std::string("INSERT INTO tasks (") + kTaskColumns +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" + kTaskUpsertTail;
    Statement s(cache_, sql.c_str());
    s.Bind(1, static_cast<int64_t>(t.job_id)).Bind(2, static_cast<int64_t>(t.task));
    s.Bind(3, static_cast<int64_t>(t.attempt)).Bind(4, t.site).Bind(5, t.state);
    s.Bind(6, static_cast<int64_t>(t.exit_code)).Bind(7, static_cast<int64_t>(t.signal)).Bind(8, t.cpu_ms);
    s.Bind(9, t.peak_memory_kib).Bind(10, t.wall_ms).Bind(11, t.reason).Bind(12, t.stdout_tail);
    s.Bind(13, t.stderr_tail).Bind(14, t.updated_ms).Bind(15, t.gpu_hours).Bind(16, t.it_kwh);
    s.Bind(17, t.facility_kwh).Bind(18, t.carbon_kg).Bind(19, t.energy_cny).Bind(20, t.dispatched_ms);
    if (s.Step() != SQLITE_DONE) return std::unexpected(DbError(db_, "put task"));
    return {};
  }

  Result<std::vector<StoredTask>> ListTasks(uint64_t job_id) override {
    static const std::string sql = std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE job_id = ? ORDER BY task";
    Statement s(cache_, sql.c_str());
    s.Bind(1, static_cast<int64_t>(job_id));
    std::vector<StoredTask> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(TaskFromRow(s));
    if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "list tasks"));
    return out;
  }

  Result<std::vector<EnergySum>> SumEnergy() override {
    Statement s(cache_, kSumEnergySql);
    std::vector<EnergySum> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(EnergySumFromRow(s));
    if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "sum energy"));
    return out;
  }

  Result<void> PutSite(const StoredSite& site) override {
    SW_CHECK(CheckSite(site));
    static const std::string sql =
        std::string("INSERT INTO sites (") + kSiteColumns + ") VALUES (?, ?, ?, ?, ?, ?)" + kSiteUpsertTail;
    Statement s(cache_, sql.c_str());
    s.Bind(1, site.id).Bind(2, site.agent).Bind(3, site.resources).Bind(4, site.registered_ms);
    s.Bind(5, site.heartbeat_ms).Bind(6, site.receipt_key);
    if (s.Step() != SQLITE_DONE) return std::unexpected(DbError(db_, "put site"));
    return {};
  }

  Result<std::vector<StoredSite>> ListSites() override {
    static const std::string sql = std::string("SELECT ") + kSiteColumns + " FROM sites ORDER BY id";
    Statement s(cache_, sql.c_str());
    std::vector<StoredSite> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(SiteFromRow(s));
    if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "list sites"));
    return out;
  }

  Result<std::vector<LedgerEntry>> AppendLedger(const LedgerTxn& txn) override {
    SW_CHECK(CheckBalanced(txn));
    {
      Statement exists(cache_, "SELECT 1 FROM ledger WHERE txn = ? LIMIT 1");
      exists.Bind(1, txn.id);
      const int rc = exists.Step();
      if (rc == SQLITE_ROW) return std::unexpected(LedgerTxnConflict(txn.id));
      if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "find ledger transaction"));
    }
    LedgerEntry tail{0, "", "", 0, "", 0, 0, "", "", kGenesisHash};
    {
      Statement last(cache_, "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1");
      const int rc = last.Step();
      if (rc == SQLITE_ROW) {
        tail.seq = static_cast<uint64_t>(last.Int(0));
        tail.hash = last.Text(1);
      } else if (rc != SQLITE_DONE) {
        return std::unexpected(DbError(db_, "read ledger tail"));
      }
    }
    std::vector<LedgerEntry> out;
    for (const LedgerLine& line : txn.lines) {
      LedgerEntry e{tail.seq + 1, txn.id, txn.kind, txn.at_ms, line.account, line.debit, line.credit, txn.memo, tail.hash, ""};
      e.hash = LedgerHash(e);
      static const std::string sql =
          std::string("INSERT INTO ledger (") + kLedgerColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
      Statement s(cache_, sql.c_str());
      s.Bind(1, static_cast<int64_t>(e.seq)).Bind(2, e.txn).Bind(3, e.kind).Bind(4, e.at_ms).Bind(5, e.account);
      s.Bind(6, e.debit).Bind(7, e.credit).Bind(8, e.memo).Bind(9, e.prev_hash).Bind(10, e.hash);
      if (s.Step() != SQLITE_DONE) return std::unexpected(DbError(db_, "append ledger"));
      tail = e;
      out.push_back(std::move(e));
    }
    return out;
  }

  Result<std::vector<LedgerEntry>> ReadLedger(uint64_t after_seq, size_t limit, std::string_view account) override {
    static const std::string all = std::string("SELECT ") + kLedgerColumns + " FROM ledger WHERE seq > ? ORDER BY seq LIMIT ?";
    static const std::string one = std::string("SELECT ") + kLedgerColumns +
                                   " FROM ledger WHERE seq > ? AND account = ? ORDER BY seq LIMIT ?";
    Statement s(cache_, account.empty() ? all.c_str() : one.c_str());
    s.Bind(1, static_cast<int64_t>(after_seq));
    if (account.empty()) {
      s.Bind(2, static_cast<int64_t>(limit));
    } else {
      s.Bind(2, account).Bind(3, static_cast<int64_t>(limit));
    }
    std::vector<LedgerEntry> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(LedgerFromRow(s));
    if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "read ledger"));
    return out;
  }

  Result<Micros> AccountBalance(std::string_view account) override {
    Statement s(cache_, "SELECT COALESCE(SUM(credit - debit), 0) FROM ledger WHERE account = ?");
    s.Bind(1, account);
    if (s.Step() != SQLITE_ROW) return std::unexpected(DbError(db_, "sum ledger account"));
    return s.Int(0);
  }

  Result<void> InsertUsage(const UsageRecord& u) override {
    if (u.job == 0) return MakeError(ErrorCode::kInvalidArgument, "usage record needs a job id");
    static const std::string sql = std::string("INSERT INTO usage (") + kUsageColumns +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    Statement s(cache_, sql.c_str());
    s.Bind(1, static_cast<int64_t>(u.job)).Bind(2, static_cast<int64_t>(u.task)).Bind(3, static_cast<int64_t>(u.attempt));
    s.Bind(4, u.tenant).Bind(5, u.site).Bind(6, u.gpu_model).Bind(7, u.gpus).Bind(8, u.cores).Bind(9, u.start_ms);
    s.Bind(10, u.end_ms).Bind(11, u.cpu_ms).Bind(12, u.gpu_seconds).Bind(13, u.core_seconds).Bind(14, u.scu_hours);
    s.Bind(15, static_cast<int64_t>(u.energy_accounted ? 1 : 0)).Bind(16, u.it_kwh).Bind(17, u.facility_kwh);
    s.Bind(18, u.carbon_kg).Bind(19, u.price).Bind(20, u.charge).Bind(21, u.txn).Bind(22, u.receipt);
    s.Bind(23, u.signature).Bind(24, u.agent_key);
    const int rc = s.Step();
    if (rc == SQLITE_CONSTRAINT) {
      return MakeError(ErrorCode::kConflict, "usage of job " + std::to_string(u.job) + " task " + std::to_string(u.task) +
                                                 " attempt " + std::to_string(u.attempt) + " is already recorded");
    }
    if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "insert usage"));
    return {};
  }

  Result<std::vector<UsageRecord>> ListUsage(const UsageFilter& filter) override {
    const UsageQuery q = UsageSelect(filter, [](size_t) { return std::string("?"); });
    Statement s(cache_, q.sql.c_str());
    for (size_t i = 0; i < q.values.size(); ++i) s.Bind(static_cast<int>(i + 1), q.values[i]);
    std::vector<UsageRecord> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(UsageFromRow(s));
    if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "list usage"));
    return out;
  }

  Result<uint64_t> InsertOffer(const StoredOffer& o) override {
    SW_CHECK(CheckOffer(o));
    Statement s(cache_, "INSERT INTO offers (provider, site, pool, kind, price, min_price, from_ms, until_ms, notice_s, "
                        "created_ms, withdrawn_ms, reserved_for) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, o.provider).Bind(2, o.site).Bind(3, o.pool).Bind(4, o.kind).Bind(5, o.price).Bind(6, o.min_price);
    s.Bind(7, o.from_ms).Bind(8, o.until_ms).Bind(9, o.notice_s).Bind(10, o.created_ms).Bind(11, o.withdrawn_ms);
    s.Bind(12, o.reserved_for);
    if (s.Step() != SQLITE_DONE) return std::unexpected(DbError(db_, "insert offer"));
    return static_cast<uint64_t>(sqlite3_last_insert_rowid(db_));
  }

  Result<std::vector<StoredOffer>> ListOffers(Timestamp active_at) override {
    static const std::string all = std::string("SELECT ") + kOfferColumns + " FROM offers ORDER BY id";
    static const std::string active = std::string("SELECT ") + kOfferColumns + " FROM offers" + kActiveOffersWhere + " ORDER BY id";
    Statement s(cache_, active_at == 0 ? all.c_str() : active.c_str());
    if (active_at != 0) s.Bind(1, active_at).Bind(2, active_at).Bind(3, active_at);
    std::vector<StoredOffer> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(OfferFromRow(s));
    if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "list offers"));
    return out;
  }

  Result<StoredOffer> GetOffer(uint64_t id) {
    static const std::string sql = std::string("SELECT ") + kOfferColumns + " FROM offers WHERE id = ?";
    Statement s(cache_, sql.c_str());
    s.Bind(1, static_cast<int64_t>(id));
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return MakeError(ErrorCode::kNotFound, "offer " + std::to_string(id) + " not found");
    if (rc != SQLITE_ROW) return std::unexpected(DbError(db_, "get offer"));
    return OfferFromRow(s);
  }

  Result<StoredOffer> ReserveOffer(uint64_t id, std::string_view tenant) override {
    SW_TRY(offer, GetOffer(id));
    if (std::string why = OfferConflict(offer, true); !why.empty()) return MakeError(ErrorCode::kConflict, why);
    Statement u(cache_, "UPDATE offers SET reserved_for = ? WHERE id = ?");
    u.Bind(1, tenant).Bind(2, static_cast<int64_t>(id));
    if (u.Step() != SQLITE_DONE) return std::unexpected(DbError(db_, "reserve offer"));
    offer.reserved_for = tenant;
    return offer;
  }

  Result<StoredOffer> WithdrawOffer(uint64_t id, Timestamp now) override {
    SW_TRY(offer, GetOffer(id));
    if (std::string why = OfferConflict(offer, false); !why.empty()) return MakeError(ErrorCode::kConflict, why);
    Statement u(cache_, "UPDATE offers SET withdrawn_ms = ? WHERE id = ?");
    u.Bind(1, now).Bind(2, static_cast<int64_t>(id));
    if (u.Step() != SQLITE_DONE) return std::unexpected(DbError(db_, "withdraw offer"));
    offer.withdrawn_ms = now;
    return offer;
  }

  Result<void> InsertPrices(const std::vector<StoredPrice>& prices) override {
    static const std::string sql = std::string("INSERT INTO prices (") + kPriceColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    for (const StoredPrice& p : prices) {
      Statement s(cache_, sql.c_str());
      s.Bind(1, p.slot_ms).Bind(2, p.hub).Bind(3, p.compute_class).Bind(4, p.price).Bind(5, static_cast<int64_t>(p.traded));
      s.Bind(6, p.offered_scu).Bind(7, p.sold_scu).Bind(8, p.demand_scu);
      const int rc = s.Step();
      if (rc == SQLITE_CONSTRAINT) {
        return MakeError(ErrorCode::kConflict, "price of " + p.hub + "/" + p.compute_class + " at " +
                                                   std::to_string(p.slot_ms) + " is already published");
      }
      if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "insert price"));
    }
    return {};
  }

  Result<std::vector<StoredPrice>> ListPrices(const PriceFilter& filter) override {
    const UsageQuery q = PriceSelect(filter, [](size_t) { return std::string("?"); });
    Statement s(cache_, q.sql.c_str());
    for (size_t i = 0; i < q.values.size(); ++i) s.Bind(static_cast<int>(i + 1), q.values[i]);
    std::vector<StoredPrice> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(PriceFromRow(s));
    if (rc != SQLITE_DONE) return std::unexpected(DbError(db_, "list prices"));
    return out;
  }

  Result<void> Savepoint(std::string_view name) override { return Named("SAVEPOINT ", name); }
  Result<void> RollbackTo(std::string_view name) override { return Named("ROLLBACK TO ", name); }
  Result<void> Release(std::string_view name) override { return Named("RELEASE ", name); }

  Result<void> Commit() override {
    if (!open_) return MakeError(ErrorCode::kInternal, "commit of a finished transaction");
    open_ = false;
    auto ok = Exec(db_, "COMMIT");
    if (!ok) (void)Exec(db_, "ROLLBACK");
    lock_.unlock();
    return ok;
  }

  void Rollback() override {
    if (!open_) return;
    open_ = false;
    (void)Exec(db_, "ROLLBACK");
    lock_.unlock();
  }

 private:
  Result<void> Named(const char* verb, std::string_view name) {
    SW_CHECK(CheckIdentifier(name));
    return Exec(db_, (verb + std::string(name)).c_str());
  }

  sqlite3* db_;
  StatementCache& cache_;
  std::unique_lock<std::mutex> lock_;
  bool open_ = true;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db), cache_(std::make_unique<StatementCache>(db)) {}
  ~SqliteStore() override {
    cache_.reset();  // statements before the connection
    sqlite3_close(db_);
  }

  Result<void> Migrate() {
    SW_CHECK(Exec(db_, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
    Statement read(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (!read.ok() || read.Step() != SQLITE_ROW) return std::unexpected(DbError(db_, "read schema version"));
    version_ = static_cast<int>(read.Int(0));
    const auto migrations = SchemaMigrations(SqlDialect::kSqlite);
    for (size_t i = static_cast<size_t>(version_); i < migrations.size(); ++i) {
      SW_CHECK(Exec(db_, "BEGIN IMMEDIATE"));
      std::string sql = migrations[i];
      sql += "INSERT INTO schema_version (version) VALUES (" + std::to_string(i + 1) + ");";
      if (auto ok = Exec(db_, sql.c_str()); !ok) {
        (void)Exec(db_, "ROLLBACK");
        return MakeError(ErrorCode::kInternal, "migration " + std::to_string(i + 1) + " failed: " + ok.error().message);
      }
      SW_CHECK(Exec(db_, "COMMIT"));
      version_ = static_cast<int>(i + 1);
    }
    return {};
  }

  Result<std::unique_ptr<Transaction>> Begin() override {
    std::unique_lock lock(mutex_);
    if (auto ok = Exec(db_, "BEGIN IMMEDIATE"); !ok) {
      return MakeError(ErrorCode::kUnavailable, ok.error().message);
    }
    return std::make_unique<SqliteTransaction>(*cache_, std::move(lock));
  }

  int schema_version() const override { return version_; }

 private:
  sqlite3* db_;
  std::unique_ptr<StatementCache> cache_;
  std::mutex mutex_;
  int version_ = 0;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  if (sodium_init_once() < 0) return MakeError(ErrorCode::kInternal, "libsodium failed to initialise");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return MakeError(ErrorCode::kUnavailable, "sqlite: cannot open '" + path + "': " + message);
  }
  sqlite3_busy_timeout(db, 5000);
  auto store = std::make_unique<SqliteStore>(db);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    if (auto ok = Exec(db, pragma); !ok) {
      return MakeError(ErrorCode::kUnavailable, "sqlite: '" + path + "': " + ok.error().message);
    }
  }
  if (auto ok = store->Migrate(); !ok) return std::unexpected(ok.error());
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenStore(std::string_view url) {
  constexpr std::string_view kSqlite = "sqlite://";
  if (url.starts_with(kSqlite)) {
    std::string path(url.substr(kSqlite.size()));
    if (path.empty()) return MakeError(ErrorCode::kInvalidArgument, "store URL '" + std::string(url) + "' has no path");
    return OpenSqliteStore(path);
  }
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) return OpenPostgresStore(std::string(url));
  return MakeError(ErrorCode::kInvalidArgument, "store URL '" + std::string(url) +
                                                    "': unknown scheme (known: sqlite://PATH, postgres://...)");
}

}  // namespace suanwang
