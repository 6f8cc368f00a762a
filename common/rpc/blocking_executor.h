#pragma once

// Threads for work that blocks (a transaction on the connection pool, a
// password hash), handed over by handlers that must not block: those running
// on an event loop (rpc/methods.h). The queue in front of the threads is
// bounded, so a flood of calls is refused (RESOURCE_EXHAUSTED, by the caller)
// instead of growing memory and latency without limit.

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace todo::common::rpc {

struct BlockingExecutorOptions {
  int threads = 8;
  // Work waiting for a thread at most; TryRun refuses more.
  int max_queued = 1000;
};

class BlockingExecutor {
 public:
  explicit BlockingExecutor(BlockingExecutorOptions options);
  // Runs everything already handed over, then joins the threads.
  ~BlockingExecutor();
  BlockingExecutor(const BlockingExecutor&) = delete;
  BlockingExecutor& operator=(const BlockingExecutor&) = delete;

  using Work = absl::AnyInvocable<void() &&>;
  // Queues `work` for a thread and takes it; false when max_queued wait
  // already, and `work` is left to the caller (to answer its call busy).
  bool TryRun(Work& work);

 private:
  void RunQueued();

  const int max_queued_;
  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace todo::common::rpc
