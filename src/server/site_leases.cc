#include "server/site_leases.h"

namespace suanwang {

SiteLeases::Renewal SiteLeases::Renew(const std::string& site, const std::string& agent, Timestamp now) {
  std::lock_guard lock(mutex_);
  SiteLease& lease = leases_[site];
  if (lease.live && now >= lease.expires_ms) return Renewal::kRanOut;
  const Renewal renewal = !lease.live ? Renewal::kCameUp : lease.agent != agent ? Renewal::kNewAgent : Renewal::kRenewed;
  lease = SiteLease{agent, now, now + lease_ms_, true};
  return renewal;
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
