#pragma once

// Requests per client address, as token buckets: `per_second` sustained,
// `burst` at once. Shared by every worker (one mutex; it guards a map look-up
// per limited request, and only the auth routes are limited). The gateway
// uses it in front of sign-up and sign-in, so one address cannot fill the
// hashing queue for everyone; each service keeps its own limits behind it.
//
// At most `max_tracked` addresses are remembered: past that, addresses whose
// buckets are full again are forgotten first, and if none are, all are
// (failing open rather than growing without bound). Thread-safe.

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace todo::gateway {

struct RateLimit {
  double per_second = 1.0;
  double burst = 30;
  size_t max_tracked = 100'000;
};

class AddressRateLimiter {
 public:
  explicit AddressRateLimiter(RateLimit limit) : limit_(limit) {}

  // nullopt: allowed (a token is taken). Otherwise how long until one would be.
  std::optional<absl::Duration> Take(absl::string_view address, absl::Time now);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  double Refilled(const Bucket& bucket, absl::Time now) const;

  const RateLimit limit_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace todo::gateway
