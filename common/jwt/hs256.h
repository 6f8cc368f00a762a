#pragma once

// HMAC-SHA256 JSON Web Tokens: the signing half, used by the auth service to
// issue tokens (verification lives in jwt_verifier.h).

#include <string>

#include "absl/strings/string_view.h"

namespace todo::common::jwt {

// Raw HMAC-SHA256 of `data` under `key` (32 bytes).
std::string HmacSha256(absl::string_view key, absl::string_view data);

// A compact JWT: base64url({"alg":"HS256","typ":"JWT"}).base64url(payload).sig
// `payload_json` must be a JSON object.
std::string SignHs256Token(absl::string_view payload_json, absl::string_view secret);

}  // namespace todo::common::jwt
