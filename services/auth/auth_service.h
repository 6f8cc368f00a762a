#pragma once

// AuthServiceImpl: accounts, sign-in and tokens over gRPC. Thread-safe.

#include "absl/status/statusor.h"
#include "common/jwt/jwt_verifier.h"
#include "services/auth/auth_store.h"
#include "services/auth/limits.h"
#include "services/auth/password_hasher.h"
#include "services/auth/sign_in_throttle.h"
#include "services/auth/token_issuer.h"
#include "services/auth/user_data_purger.h"
#include "todo/auth/v1/auth.grpc.pb.h"

namespace todo::auth {

class AuthServiceImpl final : public v1::AuthService::Service {
 public:
  // Every pointer must outlive the service.
  AuthServiceImpl(AuthStore* store, PasswordHasher* hasher, const TokenIssuer* issuer,
                  const common::jwt::JwtVerifier* verifier, const UserDataPurger* purger,
                  const common::time::Clock* clock, SignInThrottle* throttle);

  grpc::Status SignUp(grpc::ServerContext* context, const v1::SignUpRequest* request,
                      v1::AuthResponse* response) override;
  grpc::Status SignIn(grpc::ServerContext* context, const v1::SignInRequest* request,
                      v1::AuthResponse* response) override;
  grpc::Status GetMe(grpc::ServerContext* context, const v1::GetMeRequest* request,
                     v1::User* response) override;
  grpc::Status DeleteMe(grpc::ServerContext* context, const v1::DeleteMeRequest* request,
                        google::protobuf::Empty* response) override;

 private:
  absl::StatusOr<v1::AuthResponse> SignUp(const v1::SignUpRequest& request);
  // `client_address` is "" when unknown.
  absl::StatusOr<v1::AuthResponse> SignIn(const v1::SignInRequest& request,
                                          absl::string_view client_address);
  absl::StatusOr<v1::User> GetMe(const grpc::ServerContext& context);
  absl::StatusOr<google::protobuf::Empty> DeleteMe(const grpc::ServerContext& context);
  // The account of the call's token; UNAUTHENTICATED when it was deleted.
  absl::StatusOr<Account> CallerAccount(const grpc::ServerContext& context);
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
