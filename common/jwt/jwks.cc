#include "common/jwt/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/jwt/json.h"
#include "common/logging/log.h"

namespace todo::common::jwt {
namespace {

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* key) {
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> Ed25519Key(const std::string& x_b64) {
  std::string x;
  if (!absl::WebSafeBase64Unescape(x_b64, &x) || x.size() != 32) {
    return absl::InvalidArgumentError("Ed25519 key: x must be 32 bytes");
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size());
  if (key == nullptr) {
    return absl::InvalidArgumentError("Ed25519 key: not a valid public key");
  }
  return Own(key);
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> RsaKey(const std::string& n_b64,
                                                 const std::string& e_b64) {
  std::string n;
  std::string e;
  if (!absl::WebSafeBase64Unescape(n_b64, &n) || !absl::WebSafeBase64Unescape(e_b64, &e) ||
      n.empty() || e.empty()) {
    return absl::InvalidArgumentError("RSA key: bad n or e");
  }
  if (n.size() * 8 < 2048) {
    return absl::InvalidArgumentError("RSA key: shorter than 2048 bits");
  }
  std::unique_ptr<BIGNUM, decltype(&BN_free)> modulus(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()),
                nullptr),
      BN_free);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> exponent(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()),
                nullptr),
      BN_free);
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> builder(OSSL_PARAM_BLD_new(),
                                                                          OSSL_PARAM_BLD_free);
  if (!modulus || !exponent || !builder ||
      !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) ||
      !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get())) {
    return absl::InternalError("RSA key: cannot build parameters");
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
      OSSL_PARAM_BLD_to_param(builder.get()), OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> context(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!params || !context || EVP_PKEY_fromdata_init(context.get()) <= 0 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return absl::InvalidArgumentError("RSA key: not a valid public key");
  }
  return Own(key);
}

absl::StatusOr<PublicKey> ParseKey(const google::protobuf::Struct& jwk) {
  const std::string kty = StringMember(jwk, "kty").value_or("");
  const std::string alg = StringMember(jwk, "alg").value_or("");
  PublicKey key;
  key.kid = StringMember(jwk, "kid").value_or("");
  if (kty == "OKP" && StringMember(jwk, "crv").value_or("") == "Ed25519" &&
      (alg.empty() || alg == "EdDSA")) {
    key.algorithm = KeyAlgorithm::kEdDsa;
    absl::StatusOr<std::shared_ptr<EVP_PKEY>> pkey =
        Ed25519Key(StringMember(jwk, "x").value_or(""));
    if (!pkey.ok()) return pkey.status();
    key.key = *std::move(pkey);
    return key;
  }
  if (kty == "RSA" && (alg.empty() || alg == "RS256")) {
    key.algorithm = KeyAlgorithm::kRs256;
    absl::StatusOr<std::shared_ptr<EVP_PKEY>> pkey =
        RsaKey(StringMember(jwk, "n").value_or(""), StringMember(jwk, "e").value_or(""));
    if (!pkey.ok()) return pkey.status();
    key.key = *std::move(pkey);
    return key;
  }
  return absl::UnimplementedError(absl::StrCat("unsupported key type ", kty, " ", alg));
}

}  // namespace

absl::StatusOr<std::vector<PublicKey>> ParseJwks(absl::string_view json) {
  absl::StatusOr<google::protobuf::Struct> document = ParseJsonObject(json);
  if (!document.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("JWKS: ", document.status().message()));
  }
  auto keys_it = document->fields().find("keys");
  if (keys_it == document->fields().end() || !keys_it->second.has_list_value()) {
    return absl::InvalidArgumentError("JWKS: no \"keys\" array");
  }
  std::vector<PublicKey> keys;
  for (const google::protobuf::Value& entry : keys_it->second.list_value().values()) {
    if (!entry.has_struct_value()) {
      continue;
    }
    if (StringMember(entry.struct_value(), "use").value_or("sig") != "sig") {
      continue;
    }
    absl::StatusOr<PublicKey> key = ParseKey(entry.struct_value());
    if (key.ok()) {
      keys.push_back(*std::move(key));
    } else {
      logging::Debug("jwks_key_skipped", {{"reason", std::string(key.status().message())}});
    }
  }
  return keys;
}

bool VerifySignature(const PublicKey& key, absl::string_view data, absl::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  if (!context) {
    return false;
  }
  const EVP_MD* digest = key.algorithm == KeyAlgorithm::kRs256 ? EVP_sha256() : nullptr;
  if (EVP_DigestVerifyInit(context.get(), nullptr, digest, nullptr, key.key.get()) <= 0) {
    return false;
  }
  return EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                          data.size()) == 1;
}

JwksCache::JwksCache(std::string url, const http_client::CurlClient& http, const time::Clock& clock,
                     absl::Duration min_refresh_interval, absl::Duration max_age)
    : url_(std::move(url)),
      http_(http),
      clock_(clock),
      min_refresh_interval_(min_refresh_interval),
      max_age_(max_age) {}

absl::StatusOr<std::shared_ptr<const PublicKey>> JwksCache::Find(absl::string_view kid) {
  {
    absl::MutexLock lock(&keys_mutex_);
    auto it = keys_.find(kid);
    if (it != keys_.end() && clock_.Now() - fetched_at_ < max_age_) {
      return it->second;
    }
  }
  {
    absl::MutexLock fetch_lock(&fetch_mutex_);
    if (clock_.Now() - last_attempt_ >= min_refresh_interval_) {
      last_attempt_ = clock_.Now();
      if (absl::Status refreshed = Refresh(); !refreshed.ok()) {
        logging::Warning("jwks_refresh_failed",
                         {{"url", url_}, {"error", std::string(refreshed.message())}});
      }
    }
  }
  absl::MutexLock lock(&keys_mutex_);
  auto it = keys_.find(kid);
  if (it != keys_.end()) {
    return it->second;
  }
  if (keys_.empty()) {
    return absl::UnavailableError("no signing keys available from JWKS_URL");
  }
  return absl::NotFoundError("unknown key id");
}

absl::Status JwksCache::Refresh() {
  http_client::HttpRequest request;
  request.url = url_;
  request.timeout = absl::Seconds(5);
  request.max_response_bytes = 256 * 1024;
  request.headers = {{"Accept", "application/json"}};
  absl::StatusOr<http_client::HttpResponse> response = http_.Send(request);
  if (!response.ok()) {
    return response.status();
  }
  if (response->status != 200) {
    return absl::UnavailableError(absl::StrCat("JWKS answered HTTP ", response->status));
  }
  absl::StatusOr<std::vector<PublicKey>> keys = ParseJwks(response->body);
  if (!keys.ok()) {
    return keys.status();
  }
  absl::flat_hash_map<std::string, std::shared_ptr<const PublicKey>> by_kid;
  for (PublicKey& key : *keys) {
    std::string kid = key.kid;
    by_kid[kid] = std::make_shared<const PublicKey>(std::move(key));
  }
  absl::MutexLock lock(&keys_mutex_);
  keys_ = std::move(by_kid);
  fetched_at_ = clock_.Now();
  logging::Info("jwks_refreshed", {{"url", url_}, {"keys", static_cast<int64_t>(keys_.size())}});
  return absl::OkStatus();
}

}  // namespace todo::common::jwt
