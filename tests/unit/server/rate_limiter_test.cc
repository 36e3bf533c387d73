// Token buckets with time passed in: bursts, refill, separate keys, and the retry hint.
#include "server/rate_limiter.h"

#include <gtest/gtest.h>

namespace suanwang {
namespace {

TEST(RateLimiterTest, AllowsABurstThenRefillsAtTheRate) {
  RateLimiter limiter(10, 3);  // 10/s: one request every 100 ms, 3 at once
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take("t", 1000).allowed);
  const auto denied = limiter.Take("t", 1000);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after_ms, 100);
  EXPECT_FALSE(limiter.Take("t", 1050).allowed);
  EXPECT_EQ(limiter.Take("t", 1050).retry_after_ms, 50);
  EXPECT_TRUE(limiter.Take("t", 1100).allowed);
  EXPECT_FALSE(limiter.Take("t", 1100).allowed);
  // A long pause refills up to the burst, not beyond.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take("t", 60'000).allowed);
  EXPECT_FALSE(limiter.Take("t", 60'000).allowed);
}

TEST(RateLimiterTest, KeysHaveTheirOwnBuckets) {
  RateLimiter limiter(1, 1);
  EXPECT_TRUE(limiter.Take("a", 0).allowed);
  EXPECT_FALSE(limiter.Take("a", 0).allowed);
  EXPECT_TRUE(limiter.Take("b", 0).allowed);
}

TEST(RateLimiterTest, ZeroRateMeansNoLimit) {
  RateLimiter limiter(0, 0);
  for (int i = 0; i < 100'000; ++i) ASSERT_TRUE(limiter.Take("t", 0).allowed);
}

TEST(RateLimiterTest, TimeGoingBackwardsGrantsNothingExtra) {
  RateLimiter limiter(1, 1);
  EXPECT_TRUE(limiter.Take("t", 5000).allowed);
  EXPECT_FALSE(limiter.Take("t", 1000).allowed);
  EXPECT_TRUE(limiter.Take("t", 6000).allowed);
}

TEST(RateLimiterTest, FractionalRates) {
  RateLimiter limiter(0.5, 0);  // burst defaults to max(1, rate) = 1
  EXPECT_TRUE(limiter.Take("t", 0).allowed);
  const auto denied = limiter.Take("t", 0);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after_ms, 2000);
  EXPECT_TRUE(limiter.Take("t", 2000).allowed);
}

}  // namespace
}  // namespace suanwang
