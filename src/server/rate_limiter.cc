#include "server/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace suanwang {

RateLimiter::RateLimiter(double per_second, double burst)
    : per_second_(per_second), burst_(burst >= 1 ? burst : std::max(1.0, per_second)) {}

RateLimiter::Verdict RateLimiter::Take(const std::string& key, Timestamp now_ms) {
  if (per_second_ <= 0) return {};
  std::lock_guard lock(mutex_);
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now_ms});
  Bucket& bucket = it->second;
  if (!fresh && now_ms > bucket.updated_ms) {
    const double refill = static_cast<double>(now_ms - bucket.updated_ms) * per_second_ / 1000.0;
    bucket.tokens = std::min(burst_, bucket.tokens + refill);
    bucket.updated_ms = now_ms;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return {};
  }
  const double wait_ms = std::ceil((1.0 - bucket.tokens) * 1000.0 / per_second_);
  return {false, std::max<Timestamp>(1, static_cast<Timestamp>(wait_ms))};
}

}  // namespace suanwang
