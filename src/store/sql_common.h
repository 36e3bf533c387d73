// Pieces both SQL stores share: checks and messages that must read the same everywhere.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "store/store.h"

namespace suanwang {

// Savepoint names go into SQL text: plain identifiers only.
inline Result<void> CheckIdentifier(std::string_view name) {
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
      return MakeError(ErrorCode::kInvalidArgument, "savepoint name '" + std::string(name) + "' is not an identifier");
    }
  }
  return {};
}

inline Result<void> CheckDispatch(const StoredDispatch& d) {
  if (d.site.empty() || d.seq == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "dispatch needs a site and a sequence number >= 1 (site '" + d.site + "', seq " +
                         std::to_string(d.seq) + ")");
  }
  return {};
}

inline Result<void> CheckTask(const StoredTask& t) {
  if (t.job_id == 0) return MakeError(ErrorCode::kInvalidArgument, "task needs a job id");
  return {};
}

inline Result<void> CheckSite(const StoredSite& s) {
  if (s.id.empty()) return MakeError(ErrorCode::kInvalidArgument, "site needs an id");
  return {};
}

inline constexpr const char* kTaskColumns =
    "job_id, task, attempt, site, state, exit_code, signal, cpu_ms, peak_memory_kib, wall_ms, reason, "
    "stdout_tail, stderr_tail, updated_ms, gpu_hours, it_kwh, facility_kwh, carbon_kg, energy_cny, dispatched_ms";
inline constexpr const char* kSiteColumns = "id, agent, resources, registered_ms, heartbeat_ms, receipt_key";

// A row read in the column order above, from anything with Text(col), Int(col), Double(col).
template <class Row>
StoredTask TaskFromRow(const Row& r) {
  return StoredTask{static_cast<uint64_t>(r.Int(0)), static_cast<int>(r.Int(1)), static_cast<uint64_t>(r.Int(2)),
                    r.Text(3), r.Text(4), static_cast<int>(r.Int(5)), static_cast<int>(r.Int(6)), r.Int(7), r.Int(8),
                    r.Int(9), r.Text(10), r.Text(11), r.Text(12), r.Int(13), r.Double(14), r.Double(15),
                    r.Double(16), r.Double(17), r.Double(18), r.Int(19)};
}

// Energy per (tenant, site); rows read as EnergySumFromRow expects.
inline constexpr const char* kSumEnergySql =
    "SELECT j.tenant, t.site, COUNT(*), SUM(t.gpu_hours), SUM(t.it_kwh), SUM(t.facility_kwh), SUM(t.carbon_kg), "
    "SUM(t.energy_cny) FROM tasks t JOIN jobs j ON j.id = t.job_id WHERE t.it_kwh > 0 "
    "GROUP BY j.tenant, t.site ORDER BY j.tenant, t.site";
template <class Row>
EnergySum EnergySumFromRow(const Row& r) {
  return EnergySum{r.Text(0), r.Text(1), static_cast<uint64_t>(r.Int(2)), r.Double(3), r.Double(4), r.Double(5),
                   r.Double(6), r.Double(7)};
}
template <class Row>
StoredSite SiteFromRow(const Row& r) {
  return StoredSite{r.Text(0), r.Text(1), r.Text(2), r.Int(3), r.Int(4), r.Text(5)};
}

inline constexpr const char* kTaskUpsertTail =
    " ON CONFLICT (job_id, task) DO UPDATE SET attempt = excluded.attempt, site = excluded.site, "
    "state = excluded.state, exit_code = excluded.exit_code, signal = excluded.signal, cpu_ms = excluded.cpu_ms, "
    "peak_memory_kib = excluded.peak_memory_kib, wall_ms = excluded.wall_ms, reason = excluded.reason, "
    "stdout_tail = excluded.stdout_tail, stderr_tail = excluded.stderr_tail, updated_ms = excluded.updated_ms, "
    "gpu_hours = excluded.gpu_hours, it_kwh = excluded.it_kwh, facility_kwh = excluded.facility_kwh, "
    "carbon_kg = excluded.carbon_kg, energy_cny = excluded.energy_cny, dispatched_ms = excluded.dispatched_ms";
inline constexpr const char* kSiteUpsertTail =
    " ON CONFLICT (id) DO UPDATE SET agent = excluded.agent, resources = excluded.resources, "
    "registered_ms = excluded.registered_ms, heartbeat_ms = excluded.heartbeat_ms, receipt_key = excluded.receipt_key";

inline constexpr const char* kLedgerColumns =
    "seq, txn, kind, at_ms, account, debit, credit, memo, prev_hash, hash";
template <class Row>
LedgerEntry LedgerFromRow(const Row& r) {
  return LedgerEntry{static_cast<uint64_t>(r.Int(0)), r.Text(1), r.Text(2), r.Int(3), r.Text(4),
                     r.Int(5), r.Int(6), r.Text(7), r.Text(8), r.Text(9)};
}

inline constexpr const char* kUsageColumns =
    "job_id, task, attempt, tenant, site, gpu_model, gpus, cores, start_ms, end_ms, cpu_ms, gpu_seconds, "
    "core_seconds, scu_hours, energy_accounted, it_kwh, facility_kwh, carbon_kg, price, charge, txn, receipt, "
    "signature, agent_key";
template <class Row>
UsageRecord UsageFromRow(const Row& r) {
  UsageRecord u;
  u.job = static_cast<uint64_t>(r.Int(0));
  u.task = static_cast<int>(r.Int(1));
  u.attempt = static_cast<uint64_t>(r.Int(2));
  u.tenant = r.Text(3);
  u.site = r.Text(4);
  u.gpu_model = r.Text(5);
  u.gpus = r.Double(6);
  u.cores = r.Double(7);
  u.start_ms = r.Int(8);
  u.end_ms = r.Int(9);
  u.cpu_ms = r.Int(10);
  u.gpu_seconds = r.Double(11);
  u.core_seconds = r.Double(12);
  u.scu_hours = r.Double(13);
  u.energy_accounted = r.Int(14) != 0;
  u.it_kwh = r.Double(15);
  u.facility_kwh = r.Double(16);
  u.carbon_kg = r.Double(17);
  u.price = r.Int(18);
  u.charge = r.Int(19);
  u.txn = r.Text(20);
  u.receipt = r.Text(21);
  u.signature = r.Text(22);
  u.agent_key = r.Text(23);
  return u;
}

// The WHERE clause of ListUsage with placeholders `p(1)`, `p(2)`, ... and the values to bind,
// all as text (SQLite converts; PostgreSQL parses).
struct UsageQuery {
  std::string sql;
  std::vector<std::string> values;
};
template <class Placeholder>
UsageQuery UsageSelect(const UsageFilter& f, Placeholder p) {
  UsageQuery q;
  q.sql = std::string("SELECT ") + kUsageColumns + " FROM usage WHERE 1 = 1";
  auto add = [&](const char* clause, std::string value) {
    q.values.push_back(std::move(value));
    q.sql += clause + p(q.values.size());
  };
  if (!f.tenant.empty()) add(" AND tenant = ", f.tenant);
  if (!f.site.empty()) add(" AND site = ", f.site);
  if (f.job != 0) add(" AND job_id = ", std::to_string(f.job));
  if (f.from_ms != 0) add(" AND end_ms >= ", std::to_string(f.from_ms));
  if (f.to_ms != 0) add(" AND end_ms < ", std::to_string(f.to_ms));
  q.sql += " ORDER BY end_ms, job_id, task, attempt LIMIT " + std::to_string(f.limit);
  return q;
}

inline constexpr const char* kOfferColumns =
    "id, provider, site, pool, kind, price, min_price, from_ms, until_ms, notice_s, created_ms, withdrawn_ms, "
    "reserved_for";
template <class Row>
StoredOffer OfferFromRow(const Row& r) {
  return StoredOffer{static_cast<uint64_t>(r.Int(0)), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5), r.Int(6),
                     r.Int(7), r.Int(8), r.Int(9), r.Int(10), r.Int(11), r.Text(12)};
}
// Why an offer cannot be withdrawn or reserved, or empty.
inline std::string OfferConflict(const StoredOffer& o, bool reserving) {
  const std::string id = "offer " + std::to_string(o.id);
  if (o.withdrawn_ms != 0) return id + " is withdrawn";
  if (!o.reserved_for.empty()) return id + " is reserved by '" + o.reserved_for + "' already";
  if (reserving && o.kind != "reserved") return id + " is " + o.kind + ", not a reserved offer";
  return "";
}
inline Result<void> CheckOffer(const StoredOffer& o) {
  if (o.site.empty() || o.pool.empty()) return MakeError(ErrorCode::kInvalidArgument, "offer needs a site and a pool");
  return {};
}
// ListOffers' WHERE for `active_at` (1 placeholder, bound three times by the callers' text).
inline constexpr const char* kActiveOffersWhere =
    " WHERE (withdrawn_ms = 0 OR withdrawn_ms > ?) AND from_ms <= ? AND (until_ms = 0 OR until_ms > ?)";

inline constexpr const char* kPriceColumns = "slot_ms, hub, class, price, traded, offered_scu, sold_scu, demand_scu";
template <class Row>
StoredPrice PriceFromRow(const Row& r) {
  return StoredPrice{r.Int(0), r.Text(1), r.Text(2), r.Int(3), r.Int(4) != 0, r.Double(5), r.Double(6), r.Double(7)};
}
template <class Placeholder>
UsageQuery PriceSelect(const PriceFilter& f, Placeholder p) {
  UsageQuery q;
  q.sql = std::string("SELECT ") + kPriceColumns + " FROM prices WHERE 1 = 1";
  auto add = [&](const char* clause, std::string value) {
    q.values.push_back(std::move(value));
    q.sql += clause + p(q.values.size());
  };
  if (!f.hub.empty()) add(" AND hub = ", f.hub);
  if (!f.compute_class.empty()) add(" AND class = ", f.compute_class);
  if (f.from_ms != 0) add(" AND slot_ms >= ", std::to_string(f.from_ms));
  if (f.to_ms != 0) add(" AND slot_ms < ", std::to_string(f.to_ms));
  q.sql = "SELECT * FROM (" + q.sql + " ORDER BY slot_ms DESC, hub DESC, class DESC LIMIT " + std::to_string(f.limit) +
          ") AS latest ORDER BY slot_ms, hub, class";
  return q;
}

inline Error LedgerTxnConflict(std::string_view txn) {
  return Error{ErrorCode::kConflict, "ledger transaction '" + std::string(txn) + "' is already posted"};
}

inline Error DispatchConflict(const StoredDispatch& d) {
  return Error{ErrorCode::kConflict,
               "site '" + d.site + "' already has dispatch " + std::to_string(d.seq)};
}

inline Error IdempotencyConflict(std::string_view tenant, std::string_view key, uint64_t existing_id) {
  return Error{ErrorCode::kConflict, "tenant '" + std::string(tenant) + "' already has job " +
                                         std::to_string(existing_id) + " for idempotency key '" + std::string(key) + "'"};
}

inline Error VersionConflict(uint64_t id, uint64_t current, uint64_t expected) {
  return Error{ErrorCode::kConflict, "job " + std::to_string(id) + " is at version " + std::to_string(current) +
                                         ", not " + std::to_string(expected)};
}

}  // namespace suanwang
