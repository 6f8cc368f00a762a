#pragma once

// Bearer tokens for tests, signed like the auth service signs them.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/jwt/hs256.h"
#include "grpcpp/client_context.h"

namespace todo::testing {

inline constexpr char kTestSecret[] = "test-secret-that-is-at-least-32-characters";

inline std::string MintToken(absl::string_view user_id, absl::Time now,
                             absl::Duration lifetime = absl::Hours(1),
                             absl::string_view secret = kTestSecret) {
  return common::jwt::SignHs256Token(
      absl::StrCat(R"({"sub":")", user_id, R"(","iat":)", absl::ToUnixSeconds(now), R"(,"exp":)",
                   absl::ToUnixSeconds(now + lifetime), "}"),
      secret);
}

inline void Authorize(grpc::ClientContext& context, absl::string_view token) {
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

}  // namespace todo::testing
