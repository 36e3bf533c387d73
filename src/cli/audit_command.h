// `suanwang audit verify`: checks the audit log's hash chain in a store, entry by entry.
#pragma once

#include <string>

namespace suanwang {

// `store` is a store URL; empty: sqlite://HOME/suanwang.db with HOME from `home` or
// $SUANWANG_HOME or ./.suanwang. Exit 0 when the chain is intact, 1 when an entry was altered,
// removed or reordered (the message names the first), 2 when the store cannot be opened.
int RunAuditVerify(const std::string& store, const std::string& home);

}  // namespace suanwang
