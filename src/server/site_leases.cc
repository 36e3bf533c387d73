#include "server/site_leases.h"

#include <algorithm>

namespace suanwang {

SiteLeases::Renewal SiteLeases::Renew(const std::string& site, const std::string& agent, const std::string& credential,
                                      Timestamp now) {
  std::lock_guard lock(mutex_);
  SiteLease& lease = leases_[site];
  if (lease.live && now >= lease.expires_ms) return Renewal::kRanOut;
  if (lease.live && !lease.credential.empty() && lease.credential != credential) return Renewal::kHeldByAnother;
  const Renewal renewal = !lease.live ? Renewal::kCameUp : lease.agent != agent ? Renewal::kNewAgent : Renewal::kRenewed;
  lease = SiteLease{agent, credential, now, now + lease_ms_, true};
  return renewal;
}

bool SiteLeases::Release(const std::string& site, Timestamp now) {
  std::lock_guard lock(mutex_);
  auto it = leases_.find(site);
  if (it == leases_.end() || !it->second.live) return false;
  it->second.expires_ms = std::min(it->second.expires_ms, now);
  return true;
}

bool SiteLeases::RanOut(const std::string& site, Timestamp now) const {
  std::lock_guard lock(mutex_);
  auto it = leases_.find(site);
  return it != leases_.end() && it->second.live && now >= it->second.expires_ms;
}

std::vector<std::string> SiteLeases::Expire(Timestamp now) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> expired;
  for (auto& [site, lease] : leases_) {
    if (lease.live && now >= lease.expires_ms) {
      lease.live = false;
      expired.push_back(site);
    }
  }
  return expired;
}

std::optional<SiteLease> SiteLeases::Get(const std::string& site) const {
  std::lock_guard lock(mutex_);
  auto it = leases_.find(site);
  if (it == leases_.end()) return std::nullopt;
  return it->second;
}

}  // namespace suanwang
