#include "store/store.h"

namespace suanwang {

std::string LedgerHash(const LedgerEntry& e) {
  // Fields are length-prefixed so that no two different entries serialise alike.
  std::string data;
  auto put = [&](std::string_view s) {
    data += std::to_string(s.size());
    data += ':';
    data += s;
  };
  put(e.prev_hash);
  put(std::to_string(e.seq));
  put(e.txn);
  put(e.kind);
  put(std::to_string(e.at_ms));
  put(e.account);
  put(std::to_string(e.debit));
  put(std::to_string(e.credit));
  put(e.memo);
  return Sha256Hex(data);
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
