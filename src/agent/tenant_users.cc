#include "agent/tenant_users.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <charconv>
#include <thread>
#include <vector>

#include "api/site_protocol.h"

namespace suanwang {
namespace {

// useradd's exit status when /etc/passwd is locked by another useradd (an agent of another site).
constexpr int kUseraddLocked = 10;
// ... when the name is taken (another agent created it first).
constexpr int kUseraddNameInUse = 9;

Result<uid_t> ParseUid(std::string_view text, const std::string& flag) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1000 || value > 2000000000) {
    return MakeError(ErrorCode::kInvalidArgument,
                     flag + ": '" + std::string(text) + "' is not a uid from 1000 to 2000000000");
  }
  return static_cast<uid_t>(value);
}

}  // namespace

Result<UidRange> ParseUidRange(const std::string& text, const std::string& flag) {
  const auto dash = text.find('-');
  if (dash == std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, flag + ": '" + text + "' is not FIRST-LAST (e.g. 61000-61999)");
  }
  SW_TRY(first, ParseUid(std::string_view(text).substr(0, dash), flag));
  SW_TRY(last, ParseUid(std::string_view(text).substr(dash + 1), flag));
  if (first > last) return MakeError(ErrorCode::kInvalidArgument, flag + ": '" + text + "': FIRST is above LAST");
  return UidRange{first, last};
}

std::string TenantUserName(const std::string& tenant) {
  if (tenant.size() <= 29) return "sw-" + tenant;
  uint32_t hash = 2166136261u;  // FNV-1a: short, stable across builds and machines
  for (unsigned char c : tenant) hash = (hash ^ c) * 16777619u;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string suffix(8, '0');
  for (int i = 7; i >= 0; --i, hash >>= 4) suffix[static_cast<size_t>(i)] = kHex[hash & 15];
  return "sw-" + tenant.substr(0, 20) + "-" + suffix;
}

std::optional<TenantUser> TenantUsers::SystemLookup(const std::string& name) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return TenantUser{name, found->pw_uid, found->pw_gid};
}

TenantUsers::TenantUsers(UidRange range, CommandRunner& runner, uid_t agent_uid, Lookup lookup)
    : range_(range), runner_(runner), agent_uid_(agent_uid), lookup_(std::move(lookup)) {}

Result<TenantUser> TenantUsers::Checked(const std::string& tenant, const TenantUser& user) const {
  if (user.uid == 0 || user.uid == agent_uid_ || user.gid == 0 || user.uid < range_.first || user.uid > range_.last) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "tenant '" + tenant + "': user '" + user.name + "' exists with uid " + std::to_string(user.uid) +
                         " gid " + std::to_string(user.gid) + ", outside the task uid range " +
                         std::to_string(range_.first) + "-" + std::to_string(range_.last) +
                         " (or root's or the agent's own): not used for tasks");
  }
  return user;
}

Result<std::optional<TenantUser>> UserForTask(TenantUsers* users, const std::string& tenant, const std::string& task_id) {
  if (users == nullptr) return std::optional<TenantUser>();
  if (tenant.empty()) return MakeError(ErrorCode::kInvalidArgument, "task '" + task_id + "': no tenant to run it as");
  SW_TRY(user, users->ForTenant(tenant));
  return std::optional<TenantUser>(user);
}

Result<TenantUser> TenantUsers::ForTenant(const std::string& tenant) {
  if (!IsTenantName(tenant)) {
    return MakeError(ErrorCode::kInvalidArgument, "tenant '" + tenant + "': not a tenant name (1-64 of a-z 0-9 - _)");
  }
  std::lock_guard lock(mutex_);
  if (auto it = known_.find(tenant); it != known_.end()) return it->second;
  const std::string name = TenantUserName(tenant);
  std::optional<TenantUser> user = lookup_(name);
  for (int attempt = 0; !user && attempt < 50; ++attempt) {
    // UID_MIN/UID_MAX make useradd take the lowest free uid of the range (it fails when full).
    auto added = runner_.Run({"useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
                              "/usr/sbin/nologin", "--user-group", "--comment", "suanwang tenant " + tenant, "-K",
                              "UID_MIN=" + std::to_string(range_.first), "-K",
                              "UID_MAX=" + std::to_string(range_.last), "-K",
                              "GID_MIN=" + std::to_string(range_.first), "-K",
                              "GID_MAX=" + std::to_string(range_.last), name});
    if (!added) return std::unexpected(added.error());
    user = lookup_(name);
    if (user) break;
    if (added->exit_code != kUseraddLocked && added->exit_code != kUseraddNameInUse) {
      return MakeError(ErrorCode::kUnavailable, "tenant '" + tenant + "': useradd " + name + " failed (exit " +
                                                    std::to_string(added->exit_code) + "): " + added->err);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!user) return MakeError(ErrorCode::kUnavailable, "tenant '" + tenant + "': /etc/passwd stayed locked; no user " + name);
  SW_TRY(checked, Checked(tenant, *user));
  known_[tenant] = checked;
  return checked;
}

}  // namespace suanwang
