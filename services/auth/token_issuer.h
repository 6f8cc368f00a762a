#pragma once

// Issues the HS256 access tokens every service verifies with common/jwt:
// `sub` (user id), `email`, `name`, `iat`, `exp`, and `iss`/`aud` when set.

#include <string>

#include "absl/time/time.h"
#include "common/time/clock.h"

namespace todo::auth {

struct TokenOptions {
  std::string secret;
  absl::Duration lifetime = absl::Hours(24 * 7);
  std::string issuer;
  std::string audience;
};

struct IssuedToken {
  std::string token;
  absl::Time expires_at;
};

class TokenIssuer {
 public:
  // `clock` must outlive the issuer.
  TokenIssuer(TokenOptions options, const common::time::Clock* clock);
  IssuedToken Issue(absl::string_view user_id, absl::string_view email,
                    absl::string_view name) const;

 private:
  const TokenOptions options_;
  const common::time::Clock* const clock_;
};

}  // namespace todo::auth
