#pragma once

// Who is calling: the verified claims of the `authorization: Bearer <JWT>`
// metadata of a gRPC call. The user id used by every store call comes only
// from here, never from a request body.

#include <vector>

#include "absl/status/statusor.h"
#include "common/jwt/jwt_verifier.h"

namespace todo::common::jwt {

// From the values of the call's `authorization` metadata: UNAUTHENTICATED
// when the header is missing, repeated, not a Bearer token, or the token
// does not verify.
absl::StatusOr<Claims> AuthenticateCaller(const std::vector<absl::string_view>& authorization,
                                          const JwtVerifier& verifier);

// The bearer token of an `authorization` header value, or INVALID_ARGUMENT.
absl::StatusOr<absl::string_view> BearerToken(absl::string_view header_value);

}  // namespace todo::common::jwt
