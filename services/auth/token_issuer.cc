#include "services/auth/token_issuer.h"

#include "absl/strings/str_cat.h"
#include "common/jwt/hs256.h"
#include "common/logging/log.h"

namespace todo::auth {
namespace {

std::string Json(absl::string_view text) {
  std::string quoted;
  common::logging::AppendJsonString(text, quoted);
  return quoted;
}

}  // namespace

TokenIssuer::TokenIssuer(TokenOptions options, const common::time::Clock* clock)
    : options_(std::move(options)), clock_(clock) {}

IssuedToken TokenIssuer::Issue(absl::string_view user_id, absl::string_view email,
                               absl::string_view name) const {
  const absl::Time now = clock_->Now();
  IssuedToken issued;
  issued.expires_at = absl::FromUnixSeconds(absl::ToUnixSeconds(now + options_.lifetime));
  std::string payload = absl::StrCat(
      "{\"sub\":", Json(user_id), ",\"email\":", Json(email), ",\"name\":", Json(name),
      ",\"iat\":", absl::ToUnixSeconds(now), ",\"exp\":", absl::ToUnixSeconds(issued.expires_at));
  if (!options_.issuer.empty()) absl::StrAppend(&payload, ",\"iss\":", Json(options_.issuer));
  if (!options_.audience.empty()) absl::StrAppend(&payload, ",\"aud\":", Json(options_.audience));
  payload += "}";
  issued.token = common::jwt::SignHs256Token(payload, options_.secret);
  return issued;
}

}  // namespace todo::auth
