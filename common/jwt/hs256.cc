#include "common/jwt/hs256.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace todo::common::jwt {

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string SignHs256Token(absl::string_view payload_json, absl::string_view secret) {
  const std::string signing_input =
      absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"HS256","typ":"JWT"})"), ".",
                   absl::WebSafeBase64Escape(payload_json));
  return absl::StrCat(signing_input, ".",
                      absl::WebSafeBase64Escape(HmacSha256(secret, signing_input)));
}

}  // namespace todo::common::jwt
