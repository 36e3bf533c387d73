// Schema migrations, shared by every SQL store: migration i (1-based) brings the schema from
// version i-1 to i. Append only; never edit a released one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace suanwang {

enum class SqlDialect { kSqlite, kPostgres };

// The migrations written with {ID} for an auto-increasing 64-bit key column, which the dialects
// spell differently.
inline const std::vector<std::string_view>& SchemaMigrationTemplates() {
  static const std::vector<std::string_view> migrations = {
      // 1: jobs and the audit log
      "CREATE TABLE jobs ("
      "  id {ID},"
      "  tenant TEXT NOT NULL,"
      "  name TEXT NOT NULL,"
      "  spec TEXT NOT NULL,"
      "  state TEXT NOT NULL,"
      "  site TEXT NOT NULL DEFAULT '',"
      "  reason TEXT NOT NULL DEFAULT '',"
      "  submitted_ms BIGINT NOT NULL,"
      "  updated_ms BIGINT NOT NULL,"
      "  version BIGINT NOT NULL,"
      "  idempotency_key TEXT);"
      "CREATE UNIQUE INDEX jobs_idempotency ON jobs(tenant, idempotency_key);"
      "CREATE INDEX jobs_tenant_state ON jobs(tenant, state, id);"
      "CREATE TABLE audit ("
      "  seq BIGINT PRIMARY KEY,"
      "  at_ms BIGINT NOT NULL,"
      "  actor TEXT NOT NULL,"
      "  action TEXT NOT NULL,"
      "  subject TEXT NOT NULL,"
      "  detail TEXT NOT NULL,"
      "  prev_hash TEXT NOT NULL,"
      "  hash TEXT NOT NULL);",
      // 2: tenants and API tokens (only hashes of the secrets are stored)
      "CREATE TABLE tenants (id TEXT PRIMARY KEY, created_ms BIGINT NOT NULL);"
      "CREATE TABLE tokens ("
      "  id {ID},"
      "  tenant TEXT NOT NULL REFERENCES tenants(id),"
      "  role TEXT NOT NULL,"
      "  name TEXT NOT NULL,"
      "  hash TEXT NOT NULL UNIQUE,"
      "  created_ms BIGINT NOT NULL,"
      "  revoked INTEGER NOT NULL DEFAULT 0);",
      // 3: signed dispatches, per site in sequence order
      "CREATE TABLE dispatches ("
      "  site TEXT NOT NULL,"
      "  seq BIGINT NOT NULL,"
      "  job_id BIGINT NOT NULL,"
      "  payload TEXT NOT NULL,"
      "  signature TEXT NOT NULL,"
      "  created_ms BIGINT NOT NULL,"
      "  PRIMARY KEY (site, seq));",
      // 4: the tasks of placed jobs as agents report them, and the sites' agents
      "CREATE TABLE tasks ("
      "  job_id BIGINT NOT NULL,"
      "  task INTEGER NOT NULL,"
      "  attempt BIGINT NOT NULL,"
      "  site TEXT NOT NULL,"
      "  state TEXT NOT NULL,"
      "  exit_code INTEGER NOT NULL,"
      "  signal INTEGER NOT NULL,"
      "  cpu_ms BIGINT NOT NULL,"
      "  peak_memory_kib BIGINT NOT NULL,"
      "  wall_ms BIGINT NOT NULL,"
      "  reason TEXT NOT NULL,"
      "  stdout_tail TEXT NOT NULL,"
      "  stderr_tail TEXT NOT NULL,"
      "  updated_ms BIGINT NOT NULL,"
      "  PRIMARY KEY (job_id, task));"
      "CREATE TABLE sites ("
      "  id TEXT PRIMARY KEY,"
      "  agent TEXT NOT NULL,"
      "  resources TEXT NOT NULL,"
      "  registered_ms BIGINT NOT NULL,"
      "  heartbeat_ms BIGINT NOT NULL);",
      // 5: energy accounted for each task's run; the engine's explained placement decision
      "ALTER TABLE jobs ADD COLUMN decision TEXT NOT NULL DEFAULT '';"
      "ALTER TABLE tasks ADD COLUMN gpu_hours DOUBLE PRECISION NOT NULL DEFAULT 0;"
      "ALTER TABLE tasks ADD COLUMN it_kwh DOUBLE PRECISION NOT NULL DEFAULT 0;"
      "ALTER TABLE tasks ADD COLUMN facility_kwh DOUBLE PRECISION NOT NULL DEFAULT 0;"
      "ALTER TABLE tasks ADD COLUMN carbon_kg DOUBLE PRECISION NOT NULL DEFAULT 0;"
      "ALTER TABLE tasks ADD COLUMN energy_cny DOUBLE PRECISION NOT NULL DEFAULT 0;",
      // 6: the ledger (append-only, hash-chained lines of balanced transactions) and the usage
      // records it bills
      "CREATE TABLE ledger ("
      "  seq BIGINT PRIMARY KEY,"
      "  txn TEXT NOT NULL,"
      "  kind TEXT NOT NULL,"
      "  at_ms BIGINT NOT NULL,"
      "  account TEXT NOT NULL,"
      "  debit BIGINT NOT NULL,"
      "  credit BIGINT NOT NULL,"
      "  memo TEXT NOT NULL,"
      "  prev_hash TEXT NOT NULL,"
      "  hash TEXT NOT NULL);"
      "CREATE INDEX ledger_txn ON ledger (txn);"
      "CREATE INDEX ledger_account ON ledger (account, seq);"
      "CREATE TABLE usage ("
      "  job_id BIGINT NOT NULL,"
      "  task INTEGER NOT NULL,"
      "  attempt BIGINT NOT NULL,"
      "  tenant TEXT NOT NULL,"
      "  site TEXT NOT NULL,"
      "  gpu_model TEXT NOT NULL,"
      "  gpus DOUBLE PRECISION NOT NULL,"
      "  cores DOUBLE PRECISION NOT NULL,"
      "  start_ms BIGINT NOT NULL,"
      "  end_ms BIGINT NOT NULL,"
      "  cpu_ms BIGINT NOT NULL,"
      "  gpu_seconds DOUBLE PRECISION NOT NULL,"
      "  core_seconds DOUBLE PRECISION NOT NULL,"
      "  scu_hours DOUBLE PRECISION NOT NULL,"
      "  energy_accounted INTEGER NOT NULL,"
      "  it_kwh DOUBLE PRECISION NOT NULL,"
      "  facility_kwh DOUBLE PRECISION NOT NULL,"
      "  carbon_kg DOUBLE PRECISION NOT NULL,"
      "  price BIGINT NOT NULL,"
      "  charge BIGINT NOT NULL,"
      "  txn TEXT NOT NULL,"
      "  receipt TEXT NOT NULL,"
      "  signature TEXT NOT NULL,"
      "  agent_key TEXT NOT NULL,"
      "  PRIMARY KEY (job_id, task, attempt));"
      "CREATE INDEX usage_tenant ON usage (tenant, end_ms);"
      "ALTER TABLE sites ADD COLUMN receipt_key TEXT NOT NULL DEFAULT '';"
      "CREATE TABLE offers ("
      "  id {ID},"
      "  provider TEXT NOT NULL,"
      "  site TEXT NOT NULL,"
      "  pool TEXT NOT NULL,"
      "  kind TEXT NOT NULL,"
      "  price BIGINT NOT NULL,"
      "  min_price BIGINT NOT NULL,"
      "  from_ms BIGINT NOT NULL,"
      "  until_ms BIGINT NOT NULL,"
      "  notice_s BIGINT NOT NULL,"
      "  created_ms BIGINT NOT NULL,"
      "  withdrawn_ms BIGINT NOT NULL,"
      "  reserved_for TEXT NOT NULL);"
      "CREATE TABLE prices ("
      "  slot_ms BIGINT NOT NULL,"
      "  hub TEXT NOT NULL,"
      "  class TEXT NOT NULL,"
      "  price BIGINT NOT NULL,"
      "  traded INTEGER NOT NULL,"
      "  offered_scu DOUBLE PRECISION NOT NULL,"
      "  sold_scu DOUBLE PRECISION NOT NULL,"
      "  demand_scu DOUBLE PRECISION NOT NULL,"
      "  PRIMARY KEY (slot_ms, hub, class));",
      // 7: credentials bound to one site (agents); when the server dispatched each task attempt
      // (the bound on the wall time its site may report)
      "ALTER TABLE tokens ADD COLUMN site TEXT NOT NULL DEFAULT '';"
      "ALTER TABLE tasks ADD COLUMN dispatched_ms BIGINT NOT NULL DEFAULT 0;",
  };
  return migrations;
}

inline std::vector<std::string> SchemaMigrations(SqlDialect dialect) {
  const std::string id = dialect == SqlDialect::kSqlite ? "INTEGER PRIMARY KEY" : "BIGSERIAL PRIMARY KEY";
  std::vector<std::string> out;
  for (std::string_view t : SchemaMigrationTemplates()) {
    std::string sql(t);
    for (size_t at = sql.find("{ID}"); at != std::string::npos; at = sql.find("{ID}")) sql.replace(at, 4, id);
    out.push_back(std::move(sql));
  }
  return out;
}

}  // namespace suanwang
