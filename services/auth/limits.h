#pragma once

// Limits of the auth API (api.md, "Auth").

#include <cstddef>

#include "absl/time/time.h"

namespace todo::auth {

inline constexpr size_t kMaxEmailBytes = 254;
inline constexpr size_t kMinPasswordBytes = 8;
// Longer passwords are refused before hashing: Argon2 cost grows with input.
inline constexpr size_t kMaxPasswordBytes = 1024;
inline constexpr size_t kMaxNameChars = 100;
inline constexpr int kMaxRequestBytes = 16 * 1024;

// Failed sign-ins per email: free up to `free_failures`, then each attempt
// waits (doubling from `first_delay` up to `max_delay`); at `lock_failures`
// the email is refused with RESOURCE_EXHAUSTED for `lockout`. Failures older
// than `window` are forgotten.
struct SignInThrottle {
  int free_failures = 3;
  int lock_failures = 10;
  absl::Duration first_delay = absl::Milliseconds(250);
  absl::Duration max_delay = absl::Seconds(2);
  absl::Duration lockout = absl::Minutes(15);
  absl::Duration window = absl::Minutes(15);
};

}  // namespace todo::auth
