#include "cli/ledger_command.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "cli/cli_util.h"
#include "security/usage_receipt.h"
#include "store/store.h"

namespace suanwang {
namespace {

std::string StoreUrl(const std::string& store_flag, const std::string& home_flag) {
  if (!store_flag.empty()) return store_flag;
  const std::string home = !home_flag.empty()               ? home_flag
                           : std::getenv("SUANWANG_HOME") ? std::getenv("SUANWANG_HOME")
                                                          : ".suanwang";
  return "sqlite://" + home + "/suanwang.db";
}

int Broken(const std::string& why) {
  std::fprintf(stderr, "error: ledger: %s\n", why.c_str());
  return 1;
}

struct TxnSums {
  Micros debits = 0, credits = 0;
  std::map<std::string, Micros> net;  // per account: debit - credit
};

}  // namespace

int RunLedgerVerify(const std::string& store_flag, const std::string& home_flag, const std::string& head) {
  uint64_t head_seq = 0;
  std::string head_hash;
  if (!head.empty()) {
    const size_t colon = head.find(':');
    char* end = nullptr;
    head_seq = colon == std::string::npos ? 0 : std::strtoull(head.c_str(), &end, 10);
    if (colon == std::string::npos || end != head.c_str() + colon || head_seq == 0 || head.size() - colon - 1 != 64) {
      std::fprintf(stderr, "error: --head '%s': expected SEQ:HASH (a sequence number and 64 hex digits)\n", head.c_str());
      return 2;
    }
    head_hash = head.substr(colon + 1);
  }
  auto store = OpenStore(StoreUrl(store_flag, home_flag));
  if (!store) return Fail(store.error());
  auto tx = (*store)->Begin();
  if (!tx) return Fail(tx.error());

  std::string prev(64, '0');
  uint64_t after = 0;
  Micros total = 0;
  std::map<std::string, TxnSums> txns;
  std::string open_txn;
  bool head_seen = head.empty();
  while (true) {
    auto page = (*tx)->ReadLedger(after, 10000);
    if (!page) return Fail(page.error());
    if (page->empty()) break;
    if (auto ok = VerifyLedgerChain(*page, after, prev); !ok) return Broken(ok.error().message);
    for (const LedgerEntry& e : *page) {
      if (e.txn != open_txn && txns.contains(e.txn)) {
        return Broken("entry " + std::to_string(e.seq) + ": transaction '" + e.txn + "' is split (posted twice?)");
      }
      open_txn = e.txn;
      TxnSums& sums = txns[e.txn];
      sums.debits += e.debit;
      sums.credits += e.credit;
      sums.net[e.account] += e.debit - e.credit;
      total += e.debit;
      if (e.seq == head_seq) {
        if (e.hash != head_hash) return Broken("entry " + std::to_string(e.seq) + " is not the head given (--head): rewritten");
        head_seen = true;
      }
    }
    prev = page->back().hash;
    after = page->back().seq;
  }
  if (!head_seen) return Broken("entry " + std::to_string(head_seq) + " of --head is gone: entries were deleted");
  for (const auto& [id, sums] : txns) {
    if (sums.debits != sums.credits) {
      return Broken("transaction '" + id + "' does not balance: debits " + FormatCny(sums.debits) + " != credits " +
                    FormatCny(sums.credits) + " CNY");
    }
  }
  // What the audit log says: the top-ups (each must find its transaction) and the receipt keys
  // pinned for each site (a usage record must be signed with one of them).
  size_t topups = 0;
  std::map<std::string, std::set<std::string>> pinned_keys;  // site -> keys
  for (uint64_t seq = 0;;) {
    auto audit = (*tx)->ReadAudit(seq, 10000);
    if (!audit) return Fail(audit.error());
    if (audit->empty()) break;
    for (const AuditEntry& a : *audit) {
      if ((a.action == kReceiptKeyPinned || a.action == kReceiptKeyRotated) && a.subject.starts_with("site/")) {
        pinned_keys[a.subject.substr(5)].insert(a.detail);
      }
      if (a.action != "ledger.topup") continue;
      ++topups;
      const std::string id = a.detail.substr(0, a.detail.find(' '));
      if (!txns.contains(id)) return Broken("audit entry " + std::to_string(a.seq) + " records '" + id + "', which is missing");
    }
    seq = audit->back().seq;
  }
  // Deleting whole transactions at the tail leaves a valid chain: what refers to the ledger
  // from elsewhere must still find its transaction.
  UsageFilter all;
  all.limit = 100'000'000;
  auto usage = (*tx)->ListUsage(all);
  if (!usage) return Fail(usage.error());
  for (const UsageRecord& u : *usage) {
    const std::string what = "usage of job " + std::to_string(u.job) + " task " + std::to_string(u.task) + " attempt " +
                             std::to_string(u.attempt);
    if (u.signature.empty()) return Broken(what + " carries no signed usage receipt");
    if (!pinned_keys[u.site].contains(u.agent_key)) {
      return Broken(what + ": signed with key '" + u.agent_key.substr(0, 16) + "...', which was never pinned for site '" +
                    u.site + "' (no audited registration or rotation)");
    }
    if (auto ok = VerifyReceiptText(u.agent_key, u.receipt, u.signature); !ok) {
      return Broken(what + ": the agent's usage receipt does not verify (" + ok.error().message + ")");
    }
    auto receipt = ParseReceiptText(u.receipt);
    if (!receipt) return Broken(what + ": " + receipt.error().message);
    if (receipt->job != u.job || receipt->task != u.task || receipt->attempt != u.attempt || receipt->site != u.site ||
        receipt->event != "exited" || receipt->cpu_ms != u.cpu_ms || receipt->wall_ms != u.end_ms - u.start_ms) {
      return Broken(what + " differs from the receipt its agent signed ('" + u.receipt + "')");
    }
    auto it = txns.find(u.txn);
    if (it == txns.end()) return Broken("usage of job " + std::to_string(u.job) + " refers to '" + u.txn + "', which is missing");
    if (it->second.net[TenantAccount(u.tenant)] != u.charge) {
      return Broken("transaction '" + u.txn + "' does not charge tenant '" + u.tenant + "' the " + FormatCny(u.charge) +
                    " CNY its usage record says");
    }
  }
  std::printf("ledger: %llu entries in %zu transactions, balanced (debits = credits = %s CNY); hash chain intact; "
              "%zu usage records (receipts verified) and %zu top-ups found in it\nhead %llu:%s\n",
              static_cast<unsigned long long>(after), txns.size(), FormatCny(total).c_str(), usage->size(), topups,
              static_cast<unsigned long long>(after), prev.c_str());
  return 0;
}

}  // namespace suanwang
