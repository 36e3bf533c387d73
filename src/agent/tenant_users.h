// Each tenant's own unprivileged Unix user, under which the agent runs that tenant's tasks.
//
// The user is "sw-TENANT" (names over 32 characters: "sw-" + the first 20 + "-" + 8 hex digits
// of a hash), created once with useradd (no home, no login shell, its own group) with a uid
// taken from the agent's range (--task-uids, default 61000-61999). The passwd database is the
// durable record of the mapping: it survives the agent's restarts and is shared by every agent
// on the machine (two agents of different sites never give two tenants one uid, and the Slurm
// executor's slurmd finds the user by uid on the nodes that share it).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "agent/command_runner.h"
#include "common/error.h"

namespace suanwang {

struct UidRange {
  uid_t first = 61000;
  uid_t last = 61999;
};

// "FIRST-LAST", both >= 1000, FIRST <= LAST. Errors: kInvalidArgument naming `flag`.
Result<UidRange> ParseUidRange(const std::string& text, const std::string& flag = "--task-uids");

struct TenantUser {
  std::string name;  // the passwd name
  uid_t uid = 0;
  gid_t gid = 0;
};

// The user name for a tenant (see the top of this file).
std::string TenantUserName(const std::string& tenant);

class TenantUsers {
 public:
  // A passwd entry by name, or none. The default reads the system's (getpwnam_r).
  using Lookup = std::function<std::optional<TenantUser>(const std::string& name)>;
  static std::optional<TenantUser> SystemLookup(const std::string& name);

  // `runner` (for useradd) must outlive this object. `agent_uid`: never handed to a tenant.
  TenantUsers(UidRange range, CommandRunner& runner, uid_t agent_uid, Lookup lookup = SystemLookup);

  // The tenant's user, created when it has none yet. Errors: kInvalidArgument (not a tenant
  // name), kUnavailable (useradd failed or the range is full: the message has its words),
  // kPermissionDenied (an existing user of that name has a uid outside the range, uid 0 or the
  // agent's own uid, or gid 0: it is not handed out).
  Result<TenantUser> ForTenant(const std::string& tenant);

 private:
  Result<TenantUser> Checked(const std::string& tenant, const TenantUser& user) const;

  UidRange range_;
  CommandRunner& runner_;
  uid_t agent_uid_;
  Lookup lookup_;
  std::mutex mutex_;
  std::map<std::string, TenantUser> known_;
};

// The user a task of `tenant` runs as: none when `users` is null (an unconfined agent), else
// the tenant's. Errors: kInvalidArgument naming `task_id` when confined and `tenant` is empty;
// those of TenantUsers::ForTenant.
Result<std::optional<TenantUser>> UserForTask(TenantUsers* users, const std::string& tenant, const std::string& task_id);

}  // namespace suanwang
