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
// A sign-in from an address with fewer attempts than this in the throttle's
// window is hashed ahead of the others (PasswordHasher, Priority::kFirst).
inline constexpr int kNewcomerAttempts = 3;

}  // namespace todo::auth
