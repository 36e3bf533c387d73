#include "server/site_leases.h"

#include <gtest/gtest.h>

namespace suanwang {
namespace {

TEST(SiteLeasesTest, HeartbeatsKeepASiteUpAndSilenceExpiresItOnce) {
  SiteLeases leases(1000);
  EXPECT_FALSE(leases.Get("sh-edge"));
  using R = SiteLeases::Renewal;
  EXPECT_EQ(leases.Renew("sh-edge", "host/1", 0), R::kCameUp);
  EXPECT_EQ(leases.Renew("sh-edge", "host/1", 900), R::kRenewed);
  EXPECT_EQ(leases.Renew("sh-edge", "host/9", 900), R::kNewAgent);  // the agent restarted
  EXPECT_EQ(leases.Renew("sh-edge", "host/1", 900), R::kNewAgent);
  EXPECT_TRUE(leases.Expire(1899).empty());
  EXPECT_EQ(leases.Expire(1900), std::vector<std::string>{"sh-edge"});
  EXPECT_TRUE(leases.Expire(5000).empty());  // reported once
  EXPECT_FALSE(leases.Get("sh-edge")->live);
  EXPECT_EQ(leases.Get("sh-edge")->last_heartbeat_ms, 900);
  EXPECT_EQ(leases.Renew("sh-edge", "host/2", 6000), R::kCameUp);  // a new agent takes it: up again
  EXPECT_EQ(leases.Get("sh-edge")->agent, "host/2");
  EXPECT_EQ(leases.Get("sh-edge")->expires_ms, 7000);
}

TEST(SiteLeasesTest, AHeartbeatAfterTheLeaseRanOutDoesNotRenewItBeforeItIsExpired) {
  SiteLeases leases(100);
  leases.Renew("a", "x", 0);
  // The server was paused: the agent's next heartbeat arrives after the lease ran out, before
  // the expiry pass has requeued the site's jobs. It must not quietly extend the lease.
  EXPECT_FALSE(leases.RanOut("a", 99));
  EXPECT_TRUE(leases.RanOut("a", 150));
  EXPECT_EQ(leases.Renew("a", "x", 150), SiteLeases::Renewal::kRanOut);
  EXPECT_EQ(leases.Expire(150), std::vector<std::string>{"a"});
  EXPECT_FALSE(leases.RanOut("a", 150));
  EXPECT_EQ(leases.Renew("a", "x", 160), SiteLeases::Renewal::kCameUp);
}

TEST(SiteLeasesTest, SitesExpireIndependently) {
  SiteLeases leases(100);
  leases.Renew("a", "x", 0);
  leases.Renew("b", "y", 50);
  EXPECT_EQ(leases.Expire(120), std::vector<std::string>{"a"});
  EXPECT_TRUE(leases.Get("b")->live);
  EXPECT_EQ(leases.Expire(150), std::vector<std::string>{"b"});
}

}  // namespace
}  // namespace suanwang
