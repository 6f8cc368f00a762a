#pragma once

// Argon2id password hashing (libargon2), in the PHC string format
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash), with at most
// `max_concurrent` hashes computing at once: a burst of sign-ins queues here
// instead of taking every CPU from the service's other RPCs. Thread-safe.

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace todo::auth {

struct Argon2Params {
  uint32_t time_cost = 4;
  uint32_t memory_kib = 19456;
  uint32_t parallelism = 1;
  // Hashes computing at once; the rest wait.
  int max_concurrent = 2;
};

class PasswordHasher {
 public:
  explicit PasswordHasher(Argon2Params params);

  // A fresh random salt each time.
  absl::StatusOr<std::string> Hash(absl::string_view password);
  // Constant-time comparison inside libargon2. False for a malformed hash.
  bool Verify(absl::string_view encoded_hash, absl::string_view password);
  // Does the work of a Verify against a hash made at start-up and returns
  // false, so an unknown email costs as much time as a wrong password.
  bool VerifyUnknownAccount(absl::string_view password);

  const Argon2Params& params() const { return params_; }

 private:
  class Slot;

  const Argon2Params params_;
  std::string dummy_hash_;
  absl::Mutex mutex_;
  int running_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace todo::auth
