#pragma once

// How sign-in guesses are slowed: every attempt reserves a slot for each of
// its keys in Postgres (auth.sign_in_throttle) before its password is hashed,
// in one transaction under the rows' locks. A key allows `free_attempts`
// attempts at once; after that each attempt makes the next wait
// `first_delay`, doubling up to `max_delay`. An attempt that comes while any
// of its keys waits is refused (RESOURCE_EXHAUSTED with a retry delay; the
// gateway says 429 with Retry-After) without being checked, and counts for
// nothing. Attempts are forgotten after `window` without one; a successful
// sign-in forgets its email's and its pair's attempts and gives its address
// back the one it took (the address key counts guessing, not an office of
// people signing in).
//
// Keys, so that no stranger can lock an owner out for long:
//   pair    email + client address: an attacker's own guesses slow only him;
//   email   all addresses together: a botnet's guesses at one account, with a
//           larger allowance and a short cap (an owner waits seconds);
//   address all emails from one address: credential stuffing.
//
// Postgres holds the state every replica shares. Each replica also remembers
// the keys it saw blocked and until when, and refuses their attempts without
// a transaction until then: a blocked key's time only moves forward, except
// when its owner signs in (then another replica may refuse the owner until
// the key's old time, at most a policy's cap). That keeps a refusal from
// costing a database connection and row locks, which a flood would take
// from everyone else. Thread-safe.

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/pg/connection_pool.h"
#include "common/time/clock.h"

namespace todo::auth {

struct ThrottlePolicy {
  int free_attempts = 0;
  absl::Duration first_delay = absl::Seconds(1);
  absl::Duration max_delay = absl::Minutes(1);
};

struct SignInThrottleOptions {
  ThrottlePolicy pair{5, absl::Seconds(1), absl::Minutes(1)};
  ThrottlePolicy email{20, absl::Seconds(1), absl::Seconds(10)};
  ThrottlePolicy address{50, absl::Seconds(1), absl::Minutes(1)};
  absl::Duration window = absl::Minutes(15);
};

// How long the attempt after `attempts` reserved ones must wait.
absl::Duration DelayAfter(const ThrottlePolicy& policy, int attempts);

class SignInThrottle {
 public:
  SignInThrottle(common::pg::ConnectionPool* pool, const common::time::Clock* clock,
                 SignInThrottleOptions options = {});

  // Reserves an attempt to sign in as `email_lower` from `client_address`
  // (empty when unknown: no pair or address key). OK: check the password;
  // the value is how many attempts the address made in the window before
  // this one (a newcomer's sign-in may go first). RESOURCE_EXHAUSTED with a
  // retry delay: refused, reserve nothing.
  absl::StatusOr<int> Reserve(absl::string_view email_lower, absl::string_view client_address);
  // After a successful sign-in.
  absl::Status Forget(absl::string_view email_lower, absl::string_view client_address);

 private:
  struct Key {
    std::string name;
    const ThrottlePolicy* policy;
  };
  std::vector<Key> KeysOf(absl::string_view email_lower, absl::string_view client_address) const;
  // The latest time any of `keys` is known here to be blocked until.
  absl::Time KnownBlockedUntil(const std::vector<Key>& keys);
  void RememberBlocked(const std::string& key, absl::Time until);

  common::pg::ConnectionPool* const pool_;
  const common::time::Clock* const clock_;
  const SignInThrottleOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> blocked_ ABSL_GUARDED_BY(mu_);
};

}  // namespace todo::auth
