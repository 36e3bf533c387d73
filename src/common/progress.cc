#include "common/progress.h"

#include <cstdio>

namespace suanwang {

ProgressBar::ProgressBar(std::string label, uint64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total == 0 ? 1 : total),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Add(uint64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  // Only redraw a few times a second, and never in the first second (short work stays quiet).
  if (now - start_ < std::chrono::seconds(1) || now - last_draw_ < std::chrono::milliseconds(200)) {
    return;
  }
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;
  last_draw_ = now;
  Draw(false);
}

void ProgressBar::Finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  std::lock_guard lock(mutex_);
  if (std::chrono::steady_clock::now() - start_ >= std::chrono::seconds(1)) Draw(true);
}

void ProgressBar::Draw(bool final) {
  uint64_t done = std::min(done_.load(std::memory_order_relaxed), total_);
  double fraction = static_cast<double>(done) / static_cast<double>(total_);
  constexpr int kWidth = 30;
  int filled = static_cast<int>(fraction * kWidth);
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
  std::fprintf(stderr, "\r%s [%.*s%*s] %5.1f%% %6.1fs elapsed, ~%.0fs left", label_.c_str(), filled,
               "==============================", kWidth - filled, "", fraction * 100, elapsed, eta);
  if (final) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

}  // namespace suanwang
