#include "sim/run_pool.h"

#include <atomic>
#include <thread>

namespace suanwang {

void RunParallel(std::vector<std::function<void()>> jobs, unsigned threads) {
  if (threads <= 1 || jobs.size() <= 1) {
    for (auto& job : jobs) job();
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::jthread> workers;
  const unsigned count = std::min<unsigned>(threads, static_cast<unsigned>(jobs.size()));
  for (unsigned t = 0; t < count; ++t) {
    workers.emplace_back([&] {
      for (size_t i = next.fetch_add(1); i < jobs.size(); i = next.fetch_add(1)) jobs[i]();
    });
  }
}

}  // namespace suanwang
