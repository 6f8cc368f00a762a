#include "services/auth/auth_service.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/jwt/caller.h"
#include "common/logging/log.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"
#include "services/auth/account_rules.h"
#include "services/auth/errors.h"
#include "services/auth/limits.h"
#include "todo/auth/v1/auth.pb.h"

namespace todo::auth {
namespace {

v1::User UserOf(const Account& account) {
  v1::User user;
  user.set_id(account.id);
  user.set_email(account.email);
  user.set_name(account.name);
  *user.mutable_created_at() = common::time::ToTimestamp(account.created_at);
  *user.mutable_updated_at() = common::time::ToTimestamp(account.updated_at);
  return user;
}

// Where the call comes from: the gateway names the client in
// x-forwarded-for (only it can reach this service); a direct caller is its
// connection's peer.
std::string ClientAddress(const Call& context) {
  const absl::string_view forwarded = context.FirstMetadata("x-forwarded-for");
  if (!forwarded.empty()) {
    return std::string(absl::StripAsciiWhitespace(forwarded.substr(0, forwarded.find(','))));
  }
  return context.peer_address();
}

}  // namespace

AuthServiceImpl::AuthServiceImpl(AuthStore* store, PasswordHasher* hasher,
                                 const TokenIssuer* issuer,
                                 const common::jwt::JwtVerifier* verifier,
                                 const UserDataPurger* purger, const common::time::Clock* clock,
                                 SignInThrottle* throttle)
    : store_(store),
      hasher_(hasher),
      issuer_(issuer),
      verifier_(verifier),
      purger_(purger),
      clock_(clock),
      throttle_(throttle) {}

common::rpc::MethodTable AuthServiceImpl::Methods(const common::rpc::ServerResources& resources) {
  using common::rpc::BlockingUnary;
  const std::string prefix = absl::StrCat("/", AuthServiceImpl::kServiceName, "/");
  common::rpc::MethodTable methods;
  methods[prefix + "SignUp"] = BlockingUnary<v1::SignUpRequest, v1::AuthResponse>(
      resources.blocking,
      [this](const Call&, const v1::SignUpRequest& request) { return SignUp(request); });
  methods[prefix + "SignIn"] = BlockingUnary<v1::SignInRequest, v1::AuthResponse>(
      resources.blocking, [this](const Call& call, const v1::SignInRequest& request) {
        return SignIn(request, ClientAddress(call));
      });
  methods[prefix + "GetMe"] = BlockingUnary<v1::GetMeRequest, v1::User>(
      resources.blocking,
      [this](const Call& call, const v1::GetMeRequest&) { return GetMe(call); });
  methods[prefix + "DeleteMe"] = BlockingUnary<v1::DeleteMeRequest, google::protobuf::Empty>(
      resources.blocking,
      [this](const Call& call, const v1::DeleteMeRequest&) { return DeleteMe(call); });
  return methods;
}

v1::AuthResponse AuthServiceImpl::Respond(const Account& account) const {
  const IssuedToken token = issuer_->Issue(account.id, account.email, account.name);
  v1::AuthResponse response;
  *response.mutable_user() = UserOf(account);
  response.set_access_token(token.token);
  *response.mutable_expires_at() = common::time::ToTimestamp(token.expires_at);
  return response;
}

absl::StatusOr<v1::AuthResponse> AuthServiceImpl::SignUp(const v1::SignUpRequest& request) {
  ASSIGN_OR_RETURN(const std::string email, NormalizeEmail(request.email()));
  RETURN_IF_ERROR(ValidatePassword(request.password()));
  ASSIGN_OR_RETURN(const std::string name, NormalizeName(request.name()));
  ASSIGN_OR_RETURN(const std::string hash, hasher_->Hash(request.password()));
  ASSIGN_OR_RETURN(const Account account, store_->CreateAccount(email, name, hash));
  common::logging::Info("account_created", {{"user_id", account.id}});
  return Respond(account);
}

absl::StatusOr<v1::AuthResponse> AuthServiceImpl::SignIn(const v1::SignInRequest& request,
                                                         absl::string_view client_address) {
  ASSIGN_OR_RETURN(const std::string email, NormalizeEmail(request.email()));
  if (request.password().size() > kMaxPasswordBytes) {
    return error::InvalidField("password", "is too long");
  }
  const std::string key = LowerEmail(email);
  // Reserved before any hashing: a refused attempt costs one transaction.
  ASSIGN_OR_RETURN(const int address_attempts, throttle_->Reserve(key, client_address));
  // An address that has not been trying passwords lately goes ahead of those
  // that have, so a flood cannot keep a newcomer out of the hashing queue.
  const Priority priority =
      address_attempts < kNewcomerAttempts ? Priority::kFirst : Priority::kNormal;
  ASSIGN_OR_RETURN(const std::optional<Account> account, store_->FindByEmail(key));
  // An unknown email does the same hashing work as a wrong password, so the
  // answer and its timing tell nothing about which accounts exist.
  ASSIGN_OR_RETURN(const bool verified,
                   account ? hasher_->Verify(account->password_hash, request.password(), priority)
                           : hasher_->VerifyUnknownAccount(request.password(), priority));
  if (!verified) {
    return error::WrongCredentials();
  }
  RETURN_IF_ERROR(throttle_->Forget(key, client_address));
  return Respond(*account);
}

absl::StatusOr<Account> AuthServiceImpl::CallerAccount(const Call& context) {
  ASSIGN_OR_RETURN(
      const common::jwt::Claims claims,
      common::jwt::AuthenticateCaller(context.MetadataValues("authorization"), *verifier_));
  absl::StatusOr<Account> account = store_->GetAccount(claims.subject);
  if (absl::IsNotFound(account.status())) {
    // A valid token whose account is gone (deleted): the token no longer
    // speaks for anyone.
    return absl::UnauthenticatedError("invalid token: the account was deleted");
  }
  return account;
}

absl::StatusOr<v1::User> AuthServiceImpl::GetMe(const Call& context) {
  ASSIGN_OR_RETURN(const Account account, CallerAccount(context));
  return UserOf(account);
}

absl::StatusOr<google::protobuf::Empty> AuthServiceImpl::DeleteMe(const Call& context) {
  ASSIGN_OR_RETURN(const Account account, CallerAccount(context));
  ASSIGN_OR_RETURN(const absl::string_view token,
                   common::jwt::BearerToken(context.FirstMetadata("authorization")));
  // The account goes last: if a service cannot purge now, the user can retry.
  RETURN_IF_ERROR(purger_->PurgeAll(token));
  RETURN_IF_ERROR(store_->DeleteAccount(account.id));
  RETURN_IF_ERROR(throttle_->Forget(LowerEmail(account.email), ""));
  common::logging::Info("account_deleted", {{"user_id", account.id}});
  return google::protobuf::Empty();
}

}  // namespace todo::auth
