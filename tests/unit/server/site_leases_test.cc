#include "server/site_leases.h"

#include <gtest/gtest.h>

namespace suanwang {
namespace {

TEST(SiteLeasesTest, HeartbeatsKeepASiteUpAndSilenceExpiresItOnce) {
  SiteLeases leases(1000);
  EXPECT_FALSE(leases.Get("sh-edge"));
  using R = SiteLeases::Renewal;
  EXPECT_EQ(leases.Renew("sh-edge", "host/1", "token/1", 0), R::kCameUp);
  EXPECT_EQ(leases.Renew("sh-edge", "host/1", "token/1", 900), R::kRenewed);
  EXPECT_EQ(leases.Renew("sh-edge", "host/9", "token/1", 900), R::kNewAgent);  // the agent restarted
  EXPECT_EQ(leases.Renew("sh-edge", "host/1", "token/1", 900), R::kNewAgent);
  EXPECT_TRUE(leases.Expire(1899).empty());
  EXPECT_EQ(leases.Expire(1900), std::vector<std::string>{"sh-edge"});
  EXPECT_TRUE(leases.Expire(5000).empty());  // reported once
  EXPECT_FALSE(leases.Get("sh-edge")->live);
  EXPECT_EQ(leases.Get("sh-edge")->last_heartbeat_ms, 900);
  EXPECT_EQ(leases.Renew("sh-edge", "host/2", "token/1", 6000), R::kCameUp);  // a new agent takes it: up again
  EXPECT_EQ(leases.Get("sh-edge")->agent, "host/2");
  EXPECT_EQ(leases.Get("sh-edge")->expires_ms, 7000);
}

TEST(SiteLeasesTest, AHeartbeatAfterTheLeaseRanOutDoesNotRenewItBeforeItIsExpired) {
  SiteLeases leases(100);
  leases.Renew("a", "x", "token/1", 0);
  // The server was paused: the agent's next heartbeat arrives after the lease ran out, before
  // the expiry pass has requeued the site's jobs. It must not quietly extend the lease.
  EXPECT_FALSE(leases.RanOut("a", 99));
  EXPECT_TRUE(leases.RanOut("a", 150));
  EXPECT_EQ(leases.Renew("a", "x", "token/1", 150), SiteLeases::Renewal::kRanOut);
  EXPECT_EQ(leases.Expire(150), std::vector<std::string>{"a"});
  EXPECT_FALSE(leases.RanOut("a", 150));
  EXPECT_EQ(leases.Renew("a", "x", "token/1", 160), SiteLeases::Renewal::kCameUp);
}

TEST(SiteLeasesTest, ALiveLeaseBelongsToItsCredentialUntilItExpiresOrIsReleased) {
  SiteLeases leases(1000);
  using R = SiteLeases::Renewal;
  EXPECT_EQ(leases.Renew("a", "host/1", "token/7", 0), R::kCameUp);
  // Another credential cannot take it over, whatever agent id it claims.
  EXPECT_EQ(leases.Renew("a", "host/1", "token/8", 10), R::kHeldByAnother);
  EXPECT_EQ(leases.Renew("a", "evil", "cert/site:a", 10), R::kHeldByAnother);
  EXPECT_EQ(leases.Get("a")->credential, "token/7");
  EXPECT_EQ(leases.Get("a")->expires_ms, 1000);  // not renewed by the refused heartbeats
  // The same credential resumes it under a new agent id (a restarted agent).
  EXPECT_EQ(leases.Renew("a", "host/2", "token/7", 20), R::kNewAgent);
  // An operator's release ends it now; the next expiry pass takes it, and then anyone of the
  // site's credentials may hold it.
  EXPECT_FALSE(leases.Release("b", 30));
  EXPECT_TRUE(leases.Release("a", 30));
  EXPECT_TRUE(leases.RanOut("a", 30));
  EXPECT_EQ(leases.Renew("a", "host/2", "token/7", 30), R::kRanOut);
  EXPECT_EQ(leases.Expire(30), std::vector<std::string>{"a"});
  EXPECT_EQ(leases.Renew("a", "host/3", "token/8", 40), R::kCameUp);
}

TEST(SiteLeasesTest, ALeaseRestoredAfterARestartIsClaimedByTheFirstCredential) {
  SiteLeases leases(1000);
  EXPECT_EQ(leases.Renew("a", "host/1", "", 0), SiteLeases::Renewal::kCameUp);
  EXPECT_EQ(leases.Renew("a", "host/1", "token/7", 10), SiteLeases::Renewal::kRenewed);
  EXPECT_EQ(leases.Renew("a", "host/1", "token/8", 20), SiteLeases::Renewal::kHeldByAnother);
}

TEST(SiteLeasesTest, SitesExpireIndependently) {
  SiteLeases leases(100);
  leases.Renew("a", "x", "token/1", 0);
  leases.Renew("b", "y", "token/1", 50);
  EXPECT_EQ(leases.Expire(120), std::vector<std::string>{"a"});
  EXPECT_TRUE(leases.Get("b")->live);
  EXPECT_EQ(leases.Expire(150), std::vector<std::string>{"b"});
}

}  // namespace
}  // namespace suanwang
