#include "common/jwt/jwt_verifier.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "common/json/flat_json.h"
#include "common/jwt/hs256.h"
#include "common/text/text_rules.h"

namespace todo::common::jwt {
namespace {

using json::FlatJsonObject;
using json::FlatJsonValue;

absl::Status Unauthenticated(absl::string_view reason) {
  return absl::UnauthenticatedError(absl::StrCat("invalid token: ", reason));
}

bool DecodeSegment(absl::string_view segment, std::string* out) {
  // Base64url without padding, as RFC 7515 requires; absl's decoder accepts
  // padding too, which is harmless.
  for (char c : segment) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '=')) {
      return false;
    }
  }
  return absl::WebSafeBase64Unescape(segment, out);
}

bool AudienceMatches(const FlatJsonObject& claims, const std::string& audience) {
  const FlatJsonValue* aud = claims.Find("aud");
  if (aud == nullptr) {
    return false;
  }
  if (aud->kind == FlatJsonValue::Kind::kString) {
    return aud->string == audience;
  }
  return aud->kind == FlatJsonValue::Kind::kArray &&
         std::find(aud->strings.begin(), aud->strings.end(), audience) != aud->strings.end();
}

absl::StatusOr<absl::Time> TimeClaim(const FlatJsonObject& claims, absl::string_view name) {
  std::optional<double> seconds = claims.Number(name);
  if (!seconds.has_value() || std::abs(*seconds) > 1e11) {
    return Unauthenticated(absl::StrCat("bad ", name));
  }
  return absl::FromUnixSeconds(static_cast<int64_t>(*seconds));
}

}  // namespace

JwtVerifier::JwtVerifier(JwtVerifierOptions options, const time::Clock* clock, JwksCache* jwks)
    : options_(std::move(options)), clock_(clock), jwks_(jwks) {}

absl::Status JwtVerifier::VerifySignature(absl::string_view algorithm, absl::string_view kid,
                                          absl::string_view signing_input,
                                          absl::string_view signature) const {
  if (algorithm == "HS256") {
    if (options_.hs256_secret.empty()) {
      return Unauthenticated("HS256 not accepted");
    }
    const std::string expected = HmacSha256(options_.hs256_secret, signing_input);
    if (expected.size() != signature.size() ||
        CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) != 0) {
      return Unauthenticated("bad signature");
    }
    return absl::OkStatus();
  }
  const bool eddsa = algorithm == "EdDSA";
  if (!eddsa && algorithm != "RS256") {
    return Unauthenticated("unsupported alg");
  }
  if (jwks_ == nullptr) {
    return Unauthenticated("no key set configured for this alg");
  }
  absl::StatusOr<std::shared_ptr<const PublicKey>> key = jwks_->Find(kid);
  if (!key.ok()) {
    return Unauthenticated(key.status().code() == absl::StatusCode::kNotFound
                               ? "unknown kid"
                               : "signing keys unavailable");
  }
  const KeyAlgorithm wanted = eddsa ? KeyAlgorithm::kEdDsa : KeyAlgorithm::kRs256;
  if ((*key)->algorithm != wanted) {
    return Unauthenticated("alg does not match the key");
  }
  if (!jwt::VerifySignature(**key, signing_input, signature)) {
    return Unauthenticated("bad signature");
  }
  return absl::OkStatus();
}

absl::StatusOr<Claims> JwtVerifier::Verify(absl::string_view token) const {
  if (options_.cache_lifetime <= absl::ZeroDuration() || token.size() > options_.max_token_bytes) {
    return VerifyUncached(token);
  }
  CacheShard& shard = cache_[absl::HashOf(token) % kCacheShards];
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&shard.mutex);
    auto it = shard.entries.find(token);
    if (it != shard.entries.end()) {
      if (now <= it->second.valid_until) {
        return it->second.claims;
      }
      shard.entries.erase(it);
    }
  }
  absl::StatusOr<Claims> claims = VerifyUncached(token);
  if (claims.ok()) {
    const absl::Time valid_until =
        std::min(now + options_.cache_lifetime, claims->expires_at + options_.leeway);
    absl::MutexLock lock(&shard.mutex);
    if (shard.entries.size() >= options_.cache_capacity / kCacheShards) {
      shard.entries.clear();
    }
    shard.entries.insert_or_assign(std::string(token), CachedClaims{*claims, valid_until});
  }
  return claims;
}

absl::StatusOr<Claims> JwtVerifier::VerifyUncached(absl::string_view token) const {
  if (token.empty()) {
    return Unauthenticated("empty");
  }
  if (token.size() > options_.max_token_bytes) {
    return Unauthenticated("too large");
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) {
    return Unauthenticated("not a compact JWS");
  }
  std::string header_json;
  std::string payload_json;
  std::string signature;
  if (!DecodeSegment(parts[0], &header_json) || !DecodeSegment(parts[1], &payload_json) ||
      !DecodeSegment(parts[2], &signature)) {
    return Unauthenticated("bad base64url");
  }
  absl::StatusOr<FlatJsonObject> header = FlatJsonObject::Parse(header_json);
  if (!header.ok()) {
    return Unauthenticated("bad header");
  }
  const std::string algorithm = header->String("alg").value_or("");
  const std::string kid = header->String("kid").value_or("");
  const absl::string_view signing_input(token.data(), parts[0].size() + 1 + parts[1].size());
  if (absl::Status status = VerifySignature(algorithm, kid, signing_input, signature);
      !status.ok()) {
    return status;
  }

  absl::StatusOr<FlatJsonObject> payload = FlatJsonObject::Parse(payload_json);
  if (!payload.ok()) {
    return Unauthenticated("bad claims");
  }
  Claims claims;
  claims.subject = payload->String("sub").value_or("");
  if (claims.subject.empty() || claims.subject.size() > 255) {
    return Unauthenticated("missing sub");
  }
  // A NUL would end the id early where it meets C strings (another user's
  // id followed by "\u0000..."); no issuer makes ids with control characters.
  if (common::text::HasControlCharacters(claims.subject, common::text::LineBreaks::kRefused)) {
    return Unauthenticated("bad sub");
  }
  claims.email = payload->String("email").value_or("");
  claims.name = payload->String("name").value_or("");
  const absl::Time now = clock_->Now();
  absl::StatusOr<absl::Time> expires = TimeClaim(*payload, "exp");
  if (!expires.ok()) {
    return expires.status();
  }
  if (now > *expires + options_.leeway) {
    return Unauthenticated("expired");
  }
  claims.expires_at = *expires;
  if (payload->Has("nbf")) {
    absl::StatusOr<absl::Time> not_before = TimeClaim(*payload, "nbf");
    if (!not_before.ok()) return not_before.status();
    if (now + options_.leeway < *not_before) {
      return Unauthenticated("not yet valid");
    }
  }
  if (payload->Has("iat")) {
    absl::StatusOr<absl::Time> issued = TimeClaim(*payload, "iat");
    if (!issued.ok()) return issued.status();
    if (now + options_.leeway < *issued) {
      return Unauthenticated("issued in the future");
    }
    claims.issued_at = *issued;
  }
  if (!options_.issuer.empty() && payload->String("iss") != options_.issuer) {
    return Unauthenticated("wrong issuer");
  }
  if (!options_.audience.empty() && !AudienceMatches(*payload, options_.audience)) {
    return Unauthenticated("wrong audience");
  }
  return claims;
}

}  // namespace todo::common::jwt
