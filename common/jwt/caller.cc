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

absl::StatusOr<Claims> AuthenticateCaller(const grpc::ServerContext& context,
                                          const JwtVerifier& verifier) {
  const auto& metadata = context.client_metadata();
  const auto [begin, end] = metadata.equal_range("authorization");
  if (begin == end) {
    return absl::UnauthenticatedError("missing authorization");
  }
  if (std::next(begin) != end) {
    return absl::UnauthenticatedError("more than one authorization header");
  }
  absl::StatusOr<absl::string_view> token =
      BearerToken(absl::string_view(begin->second.data(), begin->second.size()));
  if (!token.ok()) {
    return absl::UnauthenticatedError("authorization must be \"Bearer <token>\"");
  }
  return verifier.Verify(*token);
}

}  // namespace todo::common::jwt
