// A progress bar on stderr for work longer than a second. Thread-safe: workers call Add().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace suanwang {

class ProgressBar {
 public:
  // Draws nothing unless `enabled` (callers pass isatty(stderr) or a --progress flag).
  ProgressBar(std::string label, uint64_t total, bool enabled);
  ~ProgressBar();

  void Add(uint64_t n);
  void Finish();

 private:
  void Draw(bool final);

  std::string label_;
  uint64_t total_;
  bool enabled_;
  std::atomic<uint64_t> done_{0};
  std::mutex mutex_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool finished_ = false;
};

}  // namespace suanwang
