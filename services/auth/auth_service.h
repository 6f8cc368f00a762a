#pragma once

// AuthServiceImpl: accounts, sign-in and tokens over gRPC. Every RPC
// blocks (a password hash, a transaction), so each runs on the server's
// blocking threads; the methods below know nothing of the wire and
// rpc/methods.h converts their outcome. Thread-safe.

#include "absl/status/statusor.h"
#include "common/jwt/jwt_verifier.h"
#include "common/rpc/service_server.h"
#include "google/protobuf/empty.pb.h"
#include "services/auth/auth_store.h"
#include "services/auth/limits.h"
#include "services/auth/password_hasher.h"
#include "services/auth/sign_in_throttle.h"
#include "services/auth/token_issuer.h"
#include "services/auth/user_data_purger.h"
#include "todo/auth/v1/auth.pb.h"

namespace todo::auth {

using common::rpc::Call;

class AuthServiceImpl final {
 public:
  // The gRPC service it serves (methods are bound by name and checked
  // against the descriptor at start).
  static constexpr char kServiceName[] = "todo.auth.v1.AuthService";

  // Every pointer must outlive the service.
  AuthServiceImpl(AuthStore* store, PasswordHasher* hasher, const TokenIssuer* issuer,
                  const common::jwt::JwtVerifier* verifier, const UserDataPurger* purger,
                  const common::time::Clock* clock, SignInThrottle* throttle);

  // Every RPC of todo.auth.v1.AuthService, by path. The service must
  // outlive the server.
  common::rpc::MethodTable Methods(const common::rpc::ServerResources& resources);

 private:
  absl::StatusOr<v1::AuthResponse> SignUp(const v1::SignUpRequest& request);
  // `client_address` is "" when unknown.
  absl::StatusOr<v1::AuthResponse> SignIn(const v1::SignInRequest& request,
                                          absl::string_view client_address);
  absl::StatusOr<v1::User> GetMe(const Call& context);
  absl::StatusOr<google::protobuf::Empty> DeleteMe(const Call& context);
  // The account of the call's token; UNAUTHENTICATED when it was deleted.
  absl::StatusOr<Account> CallerAccount(const Call& context);
  v1::AuthResponse Respond(const Account& account) const;

  AuthStore* const store_;
  PasswordHasher* const hasher_;
  const TokenIssuer* const issuer_;
  const common::jwt::JwtVerifier* const verifier_;
  const UserDataPurger* const purger_;
  const common::time::Clock* const clock_;
  SignInThrottle* const throttle_;
};

}  // namespace todo::auth
