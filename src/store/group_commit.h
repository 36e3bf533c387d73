// Group commit: many callers' small writes share one durable commit.
//
// A durable commit costs a disk flush (SQLite with synchronous=FULL: ~0.3 ms here, so ~3k
// commits/s), but a transaction holding a hundred inserts costs about the same flush. Callers
// hand an operation to the committer and wait; one writer thread runs every operation waiting
// at that moment inside one transaction, each under its own savepoint (a failing operation
// undoes only itself), commits once, and then answers all of them. Nothing is acknowledged
// before the commit that holds it is durable.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <atomic>
#include <thread>

#include "store/store.h"

namespace suanwang {

class GroupCommitter {
 public:
  using Op = std::function<Result<void>(Transaction&)>;

  // `after_commit` (optional) runs on the writer thread after each durable commit, before the
  // waiting callers are answered (e.g. to wake readers of what was just written).
  explicit GroupCommitter(Store& store, size_t max_batch = 512, std::function<void()> after_commit = {});
  ~GroupCommitter();  // finishes what was submitted, then stops
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // The future is ready once the commit holding `op` is durable (op's result), or failed (the
  // commit's error). Errors: kUnavailable once the committer is stopping.
  std::future<Result<void>> Submit(Op op);
  Result<void> Run(Op op) { return Submit(std::move(op)).get(); }

  uint64_t commits() const { return commits_; }

 private:
  struct Pending {
    Op op;
    std::promise<Result<void>> done;
  };
  void Loop();

  Store& store_;
  const size_t max_batch_;
  std::function<void()> after_commit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::atomic<uint64_t> commits_{0};
  std::thread writer_;
};

}  // namespace suanwang
