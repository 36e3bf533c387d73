#include "store/store.h"

namespace suanwang {

std::string LedgerHash(const LedgerEntry& e) {
  return HashOfFields({e.prev_hash, std::to_string(e.seq), e.txn, e.kind, std::to_string(e.at_ms), e.account,
                       std::to_string(e.debit), std::to_string(e.credit), e.memo});
}

Result<std::vector<LedgerEntry>> ReadAccount(Transaction& tx, std::string_view account) {
  std::vector<LedgerEntry> entries;
  for (uint64_t after = 0;;) {
    SW_TRY(page, tx.ReadLedger(after, 10000, account));
    if (page.empty()) return entries;
    after = page.back().seq;
    entries.insert(entries.end(), page.begin(), page.end());
  }
}

Result<void> VerifyLedgerChain(const std::vector<LedgerEntry>& entries, uint64_t after, std::string_view first_prev_hash) {
  std::string prev(first_prev_hash);
  uint64_t expected = after + 1;
  for (const LedgerEntry& e : entries) {
    const std::string at = "ledger entry " + std::to_string(e.seq);
    if (e.seq != expected) {
      return MakeError(ErrorCode::kConflict, "ledger entry " + std::to_string(expected) + " is missing (next is " +
                                                 std::to_string(e.seq) + ")");
    }
    if (e.prev_hash != prev) return MakeError(ErrorCode::kConflict, at + ": prev_hash does not match the previous entry's hash");
    if (LedgerHash(e) != e.hash) return MakeError(ErrorCode::kConflict, at + ": hash does not match its contents (altered)");
    prev = e.hash;
    ++expected;
  }
  return {};
}

}  // namespace suanwang
