// The PostgreSQL Store (libpq). One connection per Store, one transaction at a time on it
// (Begin() waits for the previous one to end); durability is the server's (fsync on).
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace suanwang {

// `url` is a libpq connection URI ("postgres://user@host:port/db?options=..."). Applies pending
// migrations under an advisory lock. Errors: kUnavailable when the server cannot be reached;
// kInternal on a failed migration.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url);

}  // namespace suanwang
