// Per-key token buckets: each key (an API token) may make `per_second` requests a second on
// average and `burst` at once. Time is passed in, so the limiter is tested without sleeping.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "common/time.h"

namespace suanwang {

class RateLimiter {
 public:
  struct Verdict {
    bool allowed = true;
    Timestamp retry_after_ms = 0;  // when denied: how long until one request is allowed again
  };

  // per_second <= 0 turns limiting off. burst < 1 is taken as max(1, per_second).
  RateLimiter(double per_second, double burst);

  // Takes one request from `key`'s bucket at time `now_ms`. Thread-safe.
  Verdict Take(const std::string& key, Timestamp now_ms);

 private:
  struct Bucket {
    double tokens = 0;
    Timestamp updated_ms = 0;
  };
  double per_second_;
  double burst_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace suanwang
