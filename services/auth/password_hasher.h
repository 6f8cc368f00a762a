#pragma once

// Argon2id password hashing (libargon2), in the PHC string format
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
//
// Hashing runs on `max_concurrent` worker threads of its own at a lower CPU
// priority (nice +19), never on the request threads: a flood of sign-ins
// queues here and uses only the CPU the service's other RPCs leave idle, so
// GetMe and friends keep their latency. Callers block until their hash is
// done. The queue is bounded (`max_queued`): past it a call is refused at
// once with RESOURCE_EXHAUSTED and a retry delay (429 with Retry-After at the
// gateway), so a flood cannot delay everyone's sign-in without bound.
// Work of Priority::kFirst (a sign-in from an address without recent
// attempts) is taken before kNormal work, and when the queue is full it takes
// the place of the newest kNormal work, which is refused instead: a flood
// from addresses that keep trying cannot keep a newcomer out.
// Thread-safe.

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace todo::auth {

struct Argon2Params {
  // About 75 ms per hash on the 2-core machines this runs on.
  uint32_t time_cost = 3;
  uint32_t memory_kib = 32768;
  uint32_t parallelism = 1;
  // Hashing threads, i.e. hashes computing at once; the rest wait.
  int max_concurrent = 2;
  // Hashes waiting for a thread, at most; more are refused.
  int max_queued = 16;
};

enum class Priority { kNormal, kFirst };

class PasswordHasher {
 public:
  explicit PasswordHasher(Argon2Params params);
  ~PasswordHasher();
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // A fresh random salt each time.
  absl::StatusOr<std::string> Hash(absl::string_view password,
                                   Priority priority = Priority::kNormal);
  // Constant-time comparison inside libargon2. False for a malformed hash.
  absl::StatusOr<bool> Verify(absl::string_view encoded_hash, absl::string_view password,
                              Priority priority = Priority::kNormal);
  // Does the work of a Verify against a hash made at start-up and returns
  // false, so an unknown email costs as much time as a wrong password.
  absl::StatusOr<bool> VerifyUnknownAccount(absl::string_view password,
                                            Priority priority = Priority::kNormal);

  const Argon2Params& params() const { return params_; }

 private:
  // Runs `work` on a hashing thread and waits for it to finish;
  // RESOURCE_EXHAUSTED (not run) when max_queued are waiting already.
  absl::Status RunOnWorker(const std::function<void()>& work, Priority priority);
  void WorkerLoop();

  // A caller waiting for its work: run (refused false) or pushed out of a
  // full queue by kFirst work (refused true); `done` either way.
  struct Waiting {
    std::function<void()> work;
    absl::Notification* done;
    bool* refused;
  };

  const Argon2Params params_;
  std::string dummy_hash_;
  absl::Mutex mutex_;
  std::deque<Waiting> first_ ABSL_GUARDED_BY(mutex_);
  std::deque<Waiting> normal_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace todo::auth
