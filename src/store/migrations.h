// Schema migrations, shared by every SQL store: migration i (1-based) brings the schema from
// version i-1 to i. Append only; never edit a released one.
#pragma once

#include <string_view>
#include <vector>

namespace suanwang {

inline const std::vector<std::string_view>& SchemaMigrations() {
  static const std::vector<std::string_view> migrations = {
      // 1: jobs and the audit log
      "CREATE TABLE jobs ("
      "  id INTEGER PRIMARY KEY,"
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
  };
  return migrations;
}

}  // namespace suanwang
