#include "services/gateway/rate_limiter.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"

namespace todo::gateway {

double AddressRateLimiter::Refilled(const Bucket& bucket, absl::Time now) const {
  const double elapsed =
      absl::ToDoubleSeconds(std::max(absl::ZeroDuration(), now - bucket.updated));
  return std::min(limit_.burst, bucket.tokens + elapsed * limit_.per_second);
}

std::optional<absl::Duration> AddressRateLimiter::Take(absl::string_view address, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto found = buckets_.find(address);
  if (found == buckets_.end()) {
    if (buckets_.size() >= limit_.max_tracked) {
      absl::erase_if(
          buckets_, [&](const auto& entry) { return Refilled(entry.second, now) >= limit_.burst; });
      if (buckets_.size() >= limit_.max_tracked) buckets_.clear();
    }
    found = buckets_.emplace(address, Bucket{limit_.burst, now}).first;
  }
  Bucket& bucket = found->second;
  bucket.tokens = Refilled(bucket, now);
  bucket.updated = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::nullopt;
  }
  return absl::Seconds((1.0 - bucket.tokens) / limit_.per_second);
}

}  // namespace todo::gateway
