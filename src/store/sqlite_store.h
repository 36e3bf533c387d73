// The SQLite Store: one database file, WAL journal, synchronous=FULL (a commit is on disk when
// Commit() returns). One writer at a time: Begin() takes the database's write lock (BEGIN
// IMMEDIATE) and holds this process's lock until the transaction ends.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace suanwang {

// Errors: kUnavailable when the file cannot be opened or created; kInternal on a failed
// migration.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace suanwang
