#include "common/jwt/jwt_verifier.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/jwt/caller.h"
#include "common/jwt/hs256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/loopback_http_server.h"
#include "tests/harness/status_matchers.h"

namespace todo::common::jwt {
namespace {

using ::testing::HasSubstr;
using ::todo::testing::CannedResponse;
using ::todo::testing::HttpExchange;
using ::todo::testing::IsOk;
using ::todo::testing::LoopbackHttpServer;
using ::todo::testing::StatusIs;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-test";
const absl::Time kNow = absl::FromUnixSeconds(1'767'225'600);

std::string B64(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

std::string Claims(const std::string& extra = "", int64_t exp_offset = 3600) {
  return absl::StrCat(R"({"sub":"user-1","email":"a@example.com","name":"A","iat":)",
                      absl::ToUnixSeconds(kNow), R"(,"exp":)",
                      absl::ToUnixSeconds(kNow) + exp_offset, extra, "}");
}

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

KeyPtr Generate(const char* type, int rsa_bits = 0) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> context(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  EVP_PKEY_keygen_init(context.get());
  if (rsa_bits > 0) {
    EVP_PKEY_CTX_set_rsa_keygen_bits(context.get(), rsa_bits);
  }
  EVP_PKEY_keygen(context.get(), &key);
  return KeyPtr(key, EVP_PKEY_free);
}

std::string Sign(EVP_PKEY* key, const EVP_MD* digest, const std::string& input) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  EVP_DigestSignInit(context.get(), nullptr, digest, nullptr, key);
  size_t length = 0;
  EVP_DigestSign(context.get(), nullptr, &length,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string signature(length, '\0');
  EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  signature.resize(length);
  return signature;
}

std::string Token(const std::string& header, const std::string& payload, EVP_PKEY* key,
                  const EVP_MD* digest) {
  const std::string input = absl::StrCat(B64(header), ".", B64(payload));
  return absl::StrCat(input, ".", B64(Sign(key, digest, input)));
}

std::string Ed25519Jwk(EVP_PKEY* key, const std::string& kid) {
  unsigned char raw[32];
  size_t length = sizeof(raw);
  EVP_PKEY_get_raw_public_key(key, raw, &length);
  return absl::StrCat(R"({"kty":"OKP","crv":"Ed25519","alg":"EdDSA","use":"sig","kid":")", kid,
                      R"(","x":")", B64(std::string(reinterpret_cast<char*>(raw), length)),
                      R"("})");
}

std::string BigNumB64(EVP_PKEY* key, const char* name) {
  BIGNUM* number = nullptr;
  EVP_PKEY_get_bn_param(key, name, &number);
  std::string bytes(BN_num_bytes(number), '\0');
  BN_bn2bin(number, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(number);
  return B64(bytes);
}

std::string RsaJwk(EVP_PKEY* key, const std::string& kid) {
  return absl::StrCat(R"({"kty":"RSA","alg":"RS256","kid":")", kid, R"(","n":")",
                      BigNumB64(key, OSSL_PKEY_PARAM_RSA_N), R"(","e":")",
                      BigNumB64(key, OSSL_PKEY_PARAM_RSA_E), R"("})");
}

class JwtVerifierTest : public ::testing::Test {
 protected:
  JwtVerifierTest() : clock_(kNow) {}

  JwtVerifier Hs256Verifier(JwtVerifierOptions options = {}) {
    options.hs256_secret = kSecret;
    return JwtVerifier(options, &clock_);
  }

  time::FakeClock clock_;
};

TEST_F(JwtVerifierTest, AcceptsAValidHs256Token) {
  auto claims = Hs256Verifier().Verify(SignHs256Token(Claims(), kSecret));
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->subject, "user-1");
  EXPECT_EQ(claims->email, "a@example.com");
  EXPECT_EQ(claims->name, "A");
  EXPECT_EQ(claims->expires_at, kNow + absl::Hours(1));
}

TEST_F(JwtVerifierTest, RefusesATokenSignedWithAnotherSecret) {
  EXPECT_THAT(Hs256Verifier().Verify(SignHs256Token(Claims(), "another-secret-of-32-characters!")),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signature")));
}

TEST_F(JwtVerifierTest, RefusesAlgNone) {
  const std::string token =
      absl::StrCat(B64(R"({"alg":"none","typ":"JWT"})"), ".", B64(Claims()), ".");
  EXPECT_THAT(Hs256Verifier().Verify(token), StatusIs(absl::StatusCode::kUnauthenticated));
  const std::string upper =
      absl::StrCat(B64(R"({"alg":"NONE"})"), ".", B64(Claims()), ".", B64("x"));
  EXPECT_THAT(Hs256Verifier().Verify(upper), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(JwtVerifierTest, RefusesATamperedPayload) {
  const std::string token = SignHs256Token(Claims(), kSecret);
  const size_t first_dot = token.find('.');
  const size_t second_dot = token.find('.', first_dot + 1);
  const std::string forged =
      absl::StrCat(token.substr(0, first_dot), ".", B64(R"({"sub":"admin","exp":9999999999})"),
                   token.substr(second_dot));
  EXPECT_THAT(Hs256Verifier().Verify(forged), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(JwtVerifierTest, RefusesExpiredAndNotYetValidTokensBeyondTheLeeway) {
  EXPECT_THAT(Hs256Verifier().Verify(SignHs256Token(Claims("", -3600), kSecret)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
  // Within the 30 s leeway an expired token still passes.
  EXPECT_THAT(Hs256Verifier().Verify(SignHs256Token(Claims("", -10), kSecret)), IsOk());
  const std::string future = absl::StrCat(R"(,"nbf":)", absl::ToUnixSeconds(kNow) + 600);
  EXPECT_THAT(Hs256Verifier().Verify(SignHs256Token(Claims(future), kSecret)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not yet valid")));
}

TEST_F(JwtVerifierTest, RequiresExpAndSub) {
  EXPECT_THAT(Hs256Verifier().Verify(SignHs256Token(R"({"sub":"u"})", kSecret)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("exp")));
  EXPECT_THAT(Hs256Verifier().Verify(SignHs256Token(R"({"exp":9999999999})", kSecret)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("sub")));
  EXPECT_THAT(Hs256Verifier().Verify(SignHs256Token(R"({"sub":"u","exp":"soon"})", kSecret)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(JwtVerifierTest, ChecksIssuerAndAudienceWhenConfigured) {
  JwtVerifierOptions options;
  options.issuer = "https://auth.example.com";
  options.audience = "todo";
  const JwtVerifier verifier = Hs256Verifier(options);
  EXPECT_THAT(verifier.Verify(SignHs256Token(
                  Claims(R"(,"iss":"https://auth.example.com","aud":["x","todo"])"), kSecret)),
              IsOk());
  EXPECT_THAT(verifier.Verify(SignHs256Token(
                  Claims(R"(,"iss":"https://evil.example.com","aud":"todo")"), kSecret)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("issuer")));
  EXPECT_THAT(verifier.Verify(SignHs256Token(
                  Claims(R"(,"iss":"https://auth.example.com","aud":"other")"), kSecret)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("audience")));
  EXPECT_THAT(verifier.Verify(SignHs256Token(Claims(), kSecret)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(JwtVerifierTest, RefusesGarbageQuicklyAndAHugeTokenBeforeDecoding) {
  const JwtVerifier verifier = Hs256Verifier();
  for (const std::string token : {"", "abc", "a.b", "a.b.c.d", "!!!.###.$$$", "e30.e30.e30",
                                  "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.AAAA"}) {
    EXPECT_THAT(verifier.Verify(token), StatusIs(absl::StatusCode::kUnauthenticated)) << token;
  }
  EXPECT_THAT(verifier.Verify(std::string(1 << 20, 'a')),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("too large")));
}

TEST_F(JwtVerifierTest, RefusesClaimsThatNameASubjectTwice) {
  const std::string claims =
      absl::StrCat(R"({"sub":"alice","sub":"admin","exp":)", absl::ToUnixSeconds(kNow) + 3600, "}");
  EXPECT_THAT(Hs256Verifier().Verify(SignHs256Token(claims, kSecret)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(JwtVerifierTest, ACachedTokenStillExpiresOnTime) {
  const JwtVerifier verifier = Hs256Verifier();
  const std::string token = SignHs256Token(Claims("", /*exp_offset=*/40), kSecret);
  EXPECT_THAT(verifier.Verify(token), IsOk());
  EXPECT_THAT(verifier.Verify(token), IsOk());  // from the cache
  clock_.Advance(absl::Seconds(40 + 31));       // past exp and the 30 s leeway
  EXPECT_THAT(verifier.Verify(token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
}

TEST_F(JwtVerifierTest, NeverCachesARefusal) {
  const JwtVerifier verifier = Hs256Verifier();
  const std::string forged = SignHs256Token(Claims(), "another-secret-of-32-characters!");
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(verifier.Verify(forged), StatusIs(absl::StatusCode::kUnauthenticated));
  }
}

class JwksTest : public JwtVerifierTest {
 protected:
  JwksTest()
      : ed_key_(Generate("ED25519")),
        rsa_key_(Generate("RSA", 2048)),
        server_([this](const HttpExchange&) {
          CannedResponse response;
          response.body = absl::StrCat(R"({"keys":[)", Ed25519Jwk(ed_key_.get(), "ed-1"), ",",
                                       RsaJwk(rsa_key_.get(), "rsa-1"), "]}");
          return response;
        }),
        cache_(server_.Url("/api/auth/jwks"), http_, clock_),
        verifier_(Options(), &clock_, &cache_) {}

  static JwtVerifierOptions Options() {
    JwtVerifierOptions options;
    options.hs256_secret = kSecret;
    return options;
  }

  KeyPtr ed_key_;
  KeyPtr rsa_key_;
  LoopbackHttpServer server_;
  http_client::CurlClient http_;
  JwksCache cache_;
  JwtVerifier verifier_;
};

TEST_F(JwksTest, AcceptsEdDsaAndRs256TokensFromTheKeySet) {
  auto ed =
      verifier_.Verify(Token(R"({"alg":"EdDSA","kid":"ed-1"})", Claims(), ed_key_.get(), nullptr));
  ASSERT_THAT(ed, IsOk());
  EXPECT_EQ(ed->subject, "user-1");
  EXPECT_THAT(verifier_.Verify(Token(R"({"alg":"RS256","kid":"rsa-1"})", Claims(), rsa_key_.get(),
                                     EVP_sha256())),
              IsOk());
  // HS256 keeps working beside the key set.
  EXPECT_THAT(verifier_.Verify(SignHs256Token(Claims(), kSecret)), IsOk());
  // Keys are cached: one fetch served all of that.
  EXPECT_EQ(server_.request_count(), 1);
}

TEST_F(JwksTest, RefusesATokenSignedByAKeyOutsideTheSet) {
  KeyPtr stranger = Generate("ED25519");
  EXPECT_THAT(
      verifier_.Verify(Token(R"({"alg":"EdDSA","kid":"ed-1"})", Claims(), stranger.get(), nullptr)),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signature")));
}

TEST_F(JwksTest, RefusesAnAlgThatDoesNotMatchTheKey) {
  EXPECT_THAT(verifier_.Verify(
                  Token(R"({"alg":"RS256","kid":"ed-1"})", Claims(), rsa_key_.get(), EVP_sha256())),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("match")));
}

TEST_F(JwksTest, RefusesThePublicKeyUsedAsAnHmacSecret) {
  // Algorithm confusion: sign HS256 with the RSA public key's bytes (what a
  // naive verifier would feed to HMAC), pointing at the RSA kid.
  const std::string public_key_as_secret =
      absl::StrCat(BigNumB64(rsa_key_.get(), OSSL_PKEY_PARAM_RSA_N),
                   BigNumB64(rsa_key_.get(), OSSL_PKEY_PARAM_RSA_E));
  const std::string input =
      absl::StrCat(B64(R"({"alg":"HS256","kid":"rsa-1"})"), ".", B64(Claims()));
  const std::string token = absl::StrCat(input, ".", B64(HmacSha256(public_key_as_secret, input)));
  EXPECT_THAT(verifier_.Verify(token), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(JwksTest, RefetchesForAnUnknownKidAtMostOncePerInterval) {
  for (int i = 0; i < 20; ++i) {
    EXPECT_THAT(verifier_.Verify(Token(absl::StrCat(R"({"alg":"EdDSA","kid":"forged-)", i, R"("})"),
                                       Claims(), ed_key_.get(), nullptr)),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("kid")));
  }
  EXPECT_EQ(server_.request_count(), 1);
  clock_.Advance(absl::Minutes(1));
  verifier_.Verify(Token(R"({"alg":"EdDSA","kid":"forged"})", Claims(), ed_key_.get(), nullptr))
      .IgnoreError();
  EXPECT_EQ(server_.request_count(), 2);
}

TEST(JwksUnavailableTest, RefusesTokensWhenTheKeySetCannotBeFetched) {
  time::FakeClock clock(kNow);
  http_client::CurlClient http;
  JwksCache cache("http://127.0.0.1:1/jwks", http, clock);
  JwtVerifier verifier(JwtVerifierOptions(), &clock, &cache);
  KeyPtr key = Generate("ED25519");
  EXPECT_THAT(verifier.Verify(Token(R"({"alg":"EdDSA","kid":"k"})", Claims(), key.get(), nullptr)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // Without a secret, HS256 tokens are refused too.
  EXPECT_THAT(verifier.Verify(SignHs256Token(Claims(), kSecret)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(ParseJwksTest, SkipsUnsupportedAndEncryptionKeysAndRejectsNonSets) {
  KeyPtr key = Generate("ED25519");
  auto keys = ParseJwks(absl::StrCat(R"({"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"},)",
                                     R"({"kty":"OKP","crv":"Ed25519","use":"enc","x":"AAAA"},)",
                                     Ed25519Jwk(key.get(), "good"), "]}"));
  ASSERT_THAT(keys, IsOk());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].kid, "good");
  EXPECT_THAT(ParseJwks("[]").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseJwks(R"({"nokeys":1})").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  // Short RSA moduli are not keys we trust.
  KeyPtr weak = Generate("RSA", 1024);
  auto weak_keys = ParseJwks(absl::StrCat(R"({"keys":[)", RsaJwk(weak.get(), "weak"), "]}"));
  ASSERT_THAT(weak_keys, IsOk());
  EXPECT_TRUE(weak_keys->empty());
}

TEST(BearerTokenTest, AcceptsTheBearerSchemeInAnyCase) {
  EXPECT_EQ(*BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(*BearerToken("bearer  abc "), "abc");
  EXPECT_FALSE(BearerToken("Basic abc").ok());
  EXPECT_FALSE(BearerToken("Bearer").ok());
  EXPECT_FALSE(BearerToken("").ok());
}

}  // namespace
}  // namespace todo::common::jwt
