// Which sites have a live agent: each heartbeat renews the site's lease for `lease_ms`; a lease
// that is not renewed in time expires, once, and the site is down until its next heartbeat.
// Pure bookkeeping on the times it is given; thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"

namespace suanwang {

struct SiteLease {
  std::string agent;
  // The credential that holds it ("token/ID", "cert/..."); empty: restored after a restart, to
  // be claimed by the first of the site's credentials that heartbeats.
  std::string credential;
  Timestamp last_heartbeat_ms = 0;
  Timestamp expires_ms = 0;
  bool live = false;
};

class SiteLeases {
 public:
  explicit SiteLeases(Timestamp lease_ms) : lease_ms_(lease_ms) {}

  enum class Renewal {
    kRenewed,     // the site was up and stays up, with the same agent
    kNewAgent,    // the site was up and stays up, but another agent took it (a restart)
    kCameUp,      // the site was down (or never seen): it comes up
    kRanOut,      // the lease ran out before this heartbeat and Expire has not yet taken it:
                  // not renewed (the site's jobs must be requeued first; heartbeat again)
    kHeldByAnother,  // the site is up under another credential: not renewed (only expiry or
                     // Release frees a lease)
  };
  // The same credential with another agent id resumes the lease (an agent that restarted).
  Renewal Renew(const std::string& site, const std::string& agent, const std::string& credential, Timestamp now);
  // Ends the site's live lease at `now` (an operator's release): it has run out, and the next
  // Expire takes it. False when no lease is live.
  bool Release(const std::string& site, Timestamp now);
  // True when the site's lease ran out by `now` and Expire has not yet taken it.
  bool RanOut(const std::string& site, Timestamp now) const;
  // Sites whose lease ran out at `now`, each returned once (they are down from then on).
  std::vector<std::string> Expire(Timestamp now);
  // The site's lease, if an agent ever held it.
  std::optional<SiteLease> Get(const std::string& site) const;
  Timestamp lease_ms() const { return lease_ms_; }

 private:
  const Timestamp lease_ms_;
  mutable std::mutex mutex_;
  std::map<std::string, SiteLease> leases_;
};

}  // namespace suanwang
