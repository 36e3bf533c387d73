// Time is injected: the engine takes `now` as an argument; hosts decide where it comes from.
#pragma once

#include <chrono>
#include <cstdint>

#include "common/time.h"

namespace suanwang {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp Now() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock a test or simulator advances by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start = 0) : now_(start) {}
  Timestamp Now() const override { return now_; }
  void Advance(Timestamp delta) { now_ += delta; }
  void Set(Timestamp now) { now_ = now; }

 private:
  Timestamp now_;
};

}  // namespace suanwang
