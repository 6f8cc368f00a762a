#include "common/rpc/blocking_executor.h"

#include <algorithm>
#include <utility>

namespace todo::common::rpc {

BlockingExecutor::BlockingExecutor(BlockingExecutorOptions options)
    : max_queued_(std::max(1, options.max_queued)) {
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    threads_.emplace_back([this] { RunQueued(); });
  }
}

BlockingExecutor::~BlockingExecutor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) {
    thread.join();
  }
}

bool BlockingExecutor::TryRun(Work& work) {
  absl::MutexLock lock(&mu_);
  if (static_cast<int>(queue_.size()) >= max_queued_) return false;
  queue_.push_back(std::move(work));
  return true;
}

void BlockingExecutor::RunQueued() {
  for (;;) {
    Work work;
    {
      absl::MutexLock lock(&mu_);
      const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) {
        return;  // stopping, and nothing left to run
      }
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    std::move(work)();
  }
}

}  // namespace todo::common::rpc
