#pragma once

// Verification of the bearer tokens every service accepts (api.md, "Identity
// and tenancy"):
//   - HS256 signed with BETTER_AUTH_SECRET;
//   - EdDSA (Ed25519) or RS256 whose `kid` is in the key set at JWKS_URL.
// The header's `alg` must match the key it selects: an HS256 token is checked
// only against the shared secret and an EdDSA/RS256 token only against a JWKS
// key of that type, so no public key can ever act as an HMAC secret
// (algorithm confusion). `alg: none` and every other algorithm are refused.
//
// Every failure is UNAUTHENTICATED with a short reason that names no secret.
// Thread-safe.

#include <array>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/jwt/jwks.h"
#include "common/time/clock.h"

namespace todo::common::jwt {

struct JwtVerifierOptions {
  // Empty: HS256 tokens are refused.
  std::string hs256_secret;
  // When set, `iss` must equal it.
  std::string issuer;
  // When set, `aud` (a string or an array) must contain it.
  std::string audience;
  // Tolerated clock skew for exp / nbf / iat.
  absl::Duration leeway = absl::Seconds(30);
  // Longer tokens are refused before any decoding.
  size_t max_token_bytes = 8 * 1024;
  // Verified tokens are remembered this long (never past their `exp`), so a
  // client reusing its token pays for signature and JSON work once. Zero
  // disables the cache.
  absl::Duration cache_lifetime = absl::Seconds(60);
  size_t cache_capacity = 16 * 1024;
};

struct Claims {
  // The user id (`sub`).
  std::string subject;
  std::string email;
  std::string name;
  absl::Time issued_at = absl::InfinitePast();
  absl::Time expires_at = absl::InfiniteFuture();
};

class JwtVerifier {
 public:
  // `jwks` may be null (no JWKS_URL); both pointers must outlive the verifier.
  JwtVerifier(JwtVerifierOptions options, const time::Clock* clock, JwksCache* jwks = nullptr);

  absl::StatusOr<Claims> Verify(absl::string_view token) const;

 private:
  // Tokens that verified, by token text. Sharded so concurrent calls rarely
  // share a lock; a full shard is simply emptied.
  struct CachedClaims {
    Claims claims;
    absl::Time valid_until;
  };
  struct CacheShard {
    absl::Mutex mutex;
    absl::flat_hash_map<std::string, CachedClaims> entries ABSL_GUARDED_BY(mutex);
  };
  static constexpr size_t kCacheShards = 16;

  absl::StatusOr<Claims> VerifyUncached(absl::string_view token) const;

  absl::Status VerifySignature(absl::string_view algorithm, absl::string_view kid,
                               absl::string_view signing_input, absl::string_view signature) const;

  const JwtVerifierOptions options_;
  const time::Clock* const clock_;
  JwksCache* const jwks_;
  mutable std::array<CacheShard, kCacheShards> cache_;
};

}  // namespace todo::common::jwt
