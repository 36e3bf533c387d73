#include "metering/ledger.h"

#include <cmath>
#include <cstdio>

namespace suanwang {

std::string TenantAccount(std::string_view tenant) { return "tenant:" + std::string(tenant); }
std::string ProviderAccount(std::string_view site) { return "provider:" + std::string(site); }

void MeterUsage(UsageRecord& usage, double gpu_scu, double core_scu) {
  const double seconds = usage.end_ms > usage.start_ms ? static_cast<double>(usage.end_ms - usage.start_ms) / 1000 : 0;
  usage.gpu_seconds = usage.gpus * seconds;
  usage.core_seconds = usage.cores * seconds;
  usage.scu_hours = (usage.gpu_seconds * gpu_scu + usage.core_seconds * core_scu) / 3600;
}

LedgerTxn BillUsage(UsageRecord& usage, Micros price, double fee_share, Timestamp at_ms) {
  usage.price = price;
  usage.charge = static_cast<Micros>(std::llround(usage.scu_hours * static_cast<double>(price)));
  const Micros fee = static_cast<Micros>(std::llround(static_cast<double>(usage.charge) * fee_share));
  usage.txn = "usage/" + std::to_string(usage.job) + "/" + std::to_string(usage.task) + "/" + std::to_string(usage.attempt);
  char memo[160];
  std::snprintf(memo, sizeof memo, "job %llu task %d attempt %llu at %s: %.6f SCU-h x %s CNY",
                static_cast<unsigned long long>(usage.job), usage.task, static_cast<unsigned long long>(usage.attempt),
                usage.site.c_str(), usage.scu_hours, FormatCny(price).c_str());
  LedgerTxn txn{usage.txn, "usage", at_ms, memo, {}};
  txn.lines.push_back({TenantAccount(usage.tenant), usage.charge, 0});
  txn.lines.push_back({ProviderAccount(usage.site), 0, usage.charge - fee});
  txn.lines.push_back({std::string(kFeesAccount), 0, fee});
  return txn;
}

Result<LedgerTxn> TopUp(std::string_view tenant, Micros amount, Timestamp at_ms, std::string_view memo) {
  if (amount <= 0) {
    return MakeError(ErrorCode::kInvalidArgument, "top-up of tenant '" + std::string(tenant) + "': amount " +
                                                      FormatCny(amount) + " CNY must be > 0");
  }
  LedgerTxn txn{"topup/" + std::string(tenant) + "/" + std::to_string(at_ms), "topup", at_ms, std::string(memo), {}};
  txn.lines.push_back({std::string(kCashAccount), amount, 0});
  txn.lines.push_back({TenantAccount(tenant), 0, amount});
  return txn;
}

Result<void> CheckBalanced(const LedgerTxn& txn) {
  if (txn.lines.empty()) return MakeError(ErrorCode::kInvalidArgument, "ledger transaction '" + txn.id + "' has no lines");
  Micros sum = 0;
  for (const LedgerLine& line : txn.lines) {
    if (line.debit < 0 || line.credit < 0 || (line.debit != 0 && line.credit != 0)) {
      return MakeError(ErrorCode::kInvalidArgument, "ledger transaction '" + txn.id + "', account '" + line.account +
                                                        "': a line is a debit or a credit, never negative or both");
    }
    sum += line.debit - line.credit;
  }
  if (sum != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "ledger transaction '" + txn.id + "' does not balance: debits - credits = " +
                                                      FormatCny(sum) + " CNY");
  }
  return {};
}

std::map<std::string, Micros> Balances(const std::vector<LedgerEntry>& entries) {
  std::map<std::string, Micros> out;
  for (const LedgerEntry& e : entries) out[e.account] += e.credit - e.debit;
  return out;
}

Statement BuildStatement(const std::vector<LedgerEntry>& entries, std::string_view account, Timestamp from_ms,
                         Timestamp to_ms) {
  Statement s;
  s.account = account;
  s.from_ms = from_ms;
  s.to_ms = to_ms;
  for (const LedgerEntry& e : entries) {
    if (e.account != account || e.at_ms >= to_ms) continue;
    if (e.at_ms < from_ms) {
      s.opening += e.credit - e.debit;
      continue;
    }
    s.debits += e.debit;
    s.credits += e.credit;
    s.lines.push_back(e);
  }
  s.closing = s.opening + s.credits - s.debits;
  return s;
}

std::string FormatCny(Micros amount) {
  char out[40];
  const bool negative = amount < 0;
  const unsigned long long a = negative ? static_cast<unsigned long long>(-amount) : static_cast<unsigned long long>(amount);
  std::snprintf(out, sizeof out, "%s%llu.%06llu", negative ? "-" : "", a / 1'000'000ULL, a % 1'000'000ULL);
  return out;
}

}  // namespace suanwang
