#pragma once

// How many connections a server has open, shared by its loops, and the one
// way to wait for them to close: a graceful shutdown blocks on Drained()
// rather than polling the count in a sleep loop. Thread-safe.

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace todo::common::event_loops {

class ConnectionCount {
 public:
  // Counts one more; returns how many were open before it.
  int Add() {
    absl::MutexLock lock(&mu_);
    return open_++;
  }
  void Remove() {
    absl::MutexLock lock(&mu_);
    --open_;
  }
  // Waits until none is open or `deadline` passes; true when none is.
  bool Drained(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithDeadline(absl::Condition(
                                     +[](int* open) { return *open <= 0; }, &open_),
                                 deadline);
  }

 private:
  absl::Mutex mu_;
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace todo::common::event_loops
