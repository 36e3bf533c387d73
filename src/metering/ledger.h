// Usage records and the double-entry ledger they are billed through (pure: what to post and
// how to sum it; the store keeps the entries in a hash chain, store/store.h).
//
// Money is in micro-CNY (int64): sums are exact. Accounts:
//   tenant:<id>       a tenant's prepaid balance (credit = money in, debit = charges)
//   provider:<site>   what a site's owner has earned
//   platform:fees     the platform's fee on every charge
//   platform:cash     money paid in from outside (top-ups)
// Every transaction's lines sum to zero (debits = credits); the ledger then balances.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/time.h"

namespace suanwang {

using Micros = int64_t;  // micro-CNY
constexpr Micros kMicrosPerCny = 1'000'000;

std::string TenantAccount(std::string_view tenant);
std::string ProviderAccount(std::string_view site);
inline constexpr std::string_view kFeesAccount = "platform:fees";
inline constexpr std::string_view kCashAccount = "platform:cash";

struct LedgerLine {
  std::string account;
  Micros debit = 0;
  Micros credit = 0;
};

// One balanced transaction: `id` is unique ("usage/12/0/1", "topup/acme/1700000000000").
struct LedgerTxn {
  std::string id;
  std::string kind;    // usage, topup
  Timestamp at_ms = 0;
  std::string memo;    // for people
  std::vector<LedgerLine> lines;
};

// One line as stored: the store numbers lines 1, 2, 3, ... and chains them:
// hash = SHA-256(prev_hash | seq | txn | kind | at_ms | account | debit | credit | memo).
struct LedgerEntry {
  uint64_t seq = 0;
  std::string txn;
  std::string kind;
  Timestamp at_ms = 0;
  std::string account;
  Micros debit = 0;
  Micros credit = 0;
  std::string memo;
  std::string prev_hash;
  std::string hash;
};

// What one task attempt used, as measured by its site's agent.
struct UsageRecord {
  uint64_t job = 0;
  int task = 0;
  uint64_t attempt = 1;
  std::string tenant;
  std::string site;
  std::string gpu_model;       // empty: no GPU
  double gpus = 0;             // per task (fractions for shared GPUs)
  double cores = 0;
  Timestamp start_ms = 0, end_ms = 0;
  int64_t cpu_ms = 0;          // CPU time used (measured)
  double gpu_seconds = 0;      // GPUs held x seconds
  double core_seconds = 0;     // cores held x seconds
  double scu_hours = 0;
  bool energy_accounted = false;  // false: the energy fields are zero because no model was loaded
  double it_kwh = 0, facility_kwh = 0, carbon_kg = 0;
  Micros price = 0;            // per SCU-hour
  Micros charge = 0;
  std::string txn;             // the ledger transaction that billed it
  // The usage receipt as the measuring agent signed it (security/usage_receipt.h): its text,
  // hex signature and the agent's hex public key. Empty: not signed.
  std::string receipt, signature, agent_key;
};

// SCU-hours of `gpus` GPUs of `gpu_scu` each and `cores` cores of `core_scu` each held for
// [start_ms, end_ms); fills gpu_seconds, core_seconds and scu_hours of `usage`.
void MeterUsage(UsageRecord& usage, double gpu_scu, double core_scu);

// The charge of a metered record at `price` per SCU-hour, rounded to the micro-CNY, and the
// transaction that bills it: the tenant is debited, the site's provider credited with all but
// `fee_share` of it, the platform with the rest. Sets usage.price, charge and txn.
LedgerTxn BillUsage(UsageRecord& usage, Micros price, double fee_share, Timestamp at_ms);

// Money paid in for a tenant. Errors: kInvalidArgument for an amount <= 0.
Result<LedgerTxn> TopUp(std::string_view tenant, Micros amount, Timestamp at_ms, std::string_view memo);

// Errors: kInvalidArgument naming the transaction when its lines do not sum to zero, a line
// has a negative amount or both sides, or it has no lines.
Result<void> CheckBalanced(const LedgerTxn& txn);

// Credits minus debits per account over `entries`.
std::map<std::string, Micros> Balances(const std::vector<LedgerEntry>& entries);

// One account's activity over [from_ms, to_ms): a tenant's invoice or a provider's statement.
struct Statement {
  std::string account;
  Timestamp from_ms = 0, to_ms = 0;
  Micros opening = 0;        // balance before from_ms
  Micros debits = 0, credits = 0;
  Micros closing = 0;        // opening + credits - debits
  std::vector<LedgerEntry> lines;  // the account's entries in the period, by seq
};
Statement BuildStatement(const std::vector<LedgerEntry>& entries, std::string_view account, Timestamp from_ms,
                         Timestamp to_ms);

std::string FormatCny(Micros amount);  // "12.345678"

}  // namespace suanwang
