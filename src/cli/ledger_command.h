// `suanwang ledger verify`: reads the server's store directly and checks that no ledger entry
// was edited or deleted (docs/metering.md, "Verifying the ledger").
#pragma once

#include <string>

namespace suanwang {

// Exit 0 when the ledger is intact, 1 naming the first problem, 2 for a bad --head.
// `head`: "SEQ:HASH" as an earlier run printed it; the chain must still pass through it.
int RunLedgerVerify(const std::string& store_flag, const std::string& home_flag, const std::string& head);

}  // namespace suanwang
