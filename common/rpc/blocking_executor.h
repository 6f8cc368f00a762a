#pragma once

// A few threads for work that blocks (a transaction on the connection pool),
// handed over by handlers that must not block: those running on an event
// loop (rpc/methods.h).

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace todo::common::rpc {

class BlockingExecutor {
 public:
  explicit BlockingExecutor(int threads);
  // Runs everything already handed over, then joins the threads.
  ~BlockingExecutor();
  BlockingExecutor(const BlockingExecutor&) = delete;
  BlockingExecutor& operator=(const BlockingExecutor&) = delete;

  void Run(absl::AnyInvocable<void() &&> work);

 private:
  void Work();

  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace todo::common::rpc
