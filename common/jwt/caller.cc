#include "common/jwt/caller.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace todo::common::jwt {

absl::StatusOr<absl::string_view> BearerToken(absl::string_view header_value) {
  constexpr absl::string_view kScheme = "bearer ";
  if (header_value.size() <= kScheme.size() || !absl::StartsWithIgnoreCase(header_value, kScheme)) {
    return absl::InvalidArgumentError("not a Bearer authorization");
  }
  return absl::StripAsciiWhitespace(header_value.substr(kScheme.size()));
}

absl::StatusOr<Claims> AuthenticateCaller(const std::vector<absl::string_view>& authorization,
                                          const JwtVerifier& verifier) {
  if (authorization.empty()) {
    return absl::UnauthenticatedError("missing authorization");
  }
  if (authorization.size() > 1) {
    return absl::UnauthenticatedError("more than one authorization header");
  }
  absl::StatusOr<absl::string_view> token = BearerToken(authorization.front());
  if (!token.ok()) {
    return absl::UnauthenticatedError("authorization must be \"Bearer <token>\"");
  }
  return verifier.Verify(*token);
}

}  // namespace todo::common::jwt
