#include "store/group_commit.h"

#include <exception>
#include <string>
#include <vector>

namespace suanwang {

GroupCommitter::GroupCommitter(Store& store, size_t max_batch, std::function<void()> after_commit)
    : store_(store),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      after_commit_(std::move(after_commit)),
      writer_([this] { Loop(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

std::future<Result<void>> GroupCommitter::Submit(Op op) {
  Pending pending{std::move(op), {}};
  auto future = pending.done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      pending.done.set_value(MakeError(ErrorCode::kUnavailable, "the store is shutting down"));
      return future;
    }
    queue_.push_back(std::move(pending));
  }
  wake_.notify_one();
  return future;
}

namespace {

// An operation that throws fails alone (rolled back to its savepoint) instead of ending the
// writer thread, and with it the process.
Result<void> RunOp(const GroupCommitter::Op& op, Transaction& tx) {
  try {
    return op(tx);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, std::string("a store operation failed: ") + e.what());
  } catch (...) {
    return MakeError(ErrorCode::kInternal, "a store operation failed with an unknown exception");
  }
}

}  // namespace

void GroupCommitter::Loop() {
  while (true) {
    std::vector<Pending> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    auto tx = store_.Begin();
    if (!tx) {
      for (Pending& p : batch) p.done.set_value(std::unexpected(tx.error()));
      continue;
    }
    std::vector<Result<void>> results;
    results.reserve(batch.size());
    for (Pending& p : batch) {
      Result<void> result = (*tx)->Savepoint("op");
      if (result) result = RunOp(p.op, **tx);
      if (result) {
        result = (*tx)->Release("op");
      } else {
        (void)(*tx)->RollbackTo("op");
        (void)(*tx)->Release("op");
      }
      results.push_back(std::move(result));
    }
    Result<void> committed = (*tx)->Commit();
    ++commits_;
    if (committed && after_commit_) after_commit_();
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].done.set_value(committed ? std::move(results[i]) : committed);
    }
  }
}

}  // namespace suanwang
