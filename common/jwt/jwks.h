#pragma once

// JSON Web Key Sets (RFC 7517) for verifying tokens from an external issuer
// such as Better Auth's JWT plugin: Ed25519 (kty OKP, alg EdDSA) and RSA
// (kty RSA, alg RS256, at least 2048 bits) public keys.

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/http_client/curl_client.h"
#include "common/time/clock.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace todo::common::jwt {

enum class KeyAlgorithm { kEdDsa, kRs256 };

struct PublicKey {
  std::string kid;
  KeyAlgorithm algorithm;
  std::shared_ptr<EVP_PKEY> key;
};

// Parses a key set; keys of other types, private keys' extra members and keys
// meant only for encryption ("use":"enc") are skipped. INVALID_ARGUMENT when
// the document is not a key set.
absl::StatusOr<std::vector<PublicKey>> ParseJwks(absl::string_view json);

// Verifies `signature` over `data` with `key`.
bool VerifySignature(const PublicKey& key, absl::string_view data, absl::string_view signature);

// The key set at a URL, fetched on first use and again when a token names an
// unknown `kid` (at most once per `min_refresh_interval`, so a flood of forged
// kids cannot turn into a flood of fetches) or when the set is older than
// `max_age`. Thread-safe.
class JwksCache {
 public:
  JwksCache(std::string url, const http_client::CurlClient& http, const time::Clock& clock,
            absl::Duration min_refresh_interval = absl::Seconds(30),
            absl::Duration max_age = absl::Hours(1));

  // NOT_FOUND for a kid absent even after a refresh; UNAVAILABLE when the set
  // cannot be fetched and none is cached.
  absl::StatusOr<std::shared_ptr<const PublicKey>> Find(absl::string_view kid);

 private:
  absl::Status Refresh() ABSL_EXCLUSIVE_LOCKS_REQUIRED(fetch_mutex_);

  const std::string url_;
  const http_client::CurlClient& http_;
  const time::Clock& clock_;
  const absl::Duration min_refresh_interval_;
  const absl::Duration max_age_;

  // Serialises fetches; readers of a warm cache never wait for one.
  absl::Mutex fetch_mutex_;
  absl::Time last_attempt_ ABSL_GUARDED_BY(fetch_mutex_) = absl::InfinitePast();

  mutable absl::Mutex keys_mutex_;
  absl::flat_hash_map<std::string, std::shared_ptr<const PublicKey>> keys_
      ABSL_GUARDED_BY(keys_mutex_);
  absl::Time fetched_at_ ABSL_GUARDED_BY(keys_mutex_) = absl::InfinitePast();
};

}  // namespace todo::common::jwt
