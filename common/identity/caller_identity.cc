#include "common/identity/caller_identity.h"

#include <utility>

#include "common/jwt/caller.h"
#include "common/status/status_macros.h"

namespace todo::common::identity {

absl::StatusOr<std::string> CallerIdentity::UserOf(const rpc::Call& call,
                                                   absl::string_view path_user_id) const {
  ASSIGN_OR_RETURN(jwt::Claims claims,
                   jwt::AuthenticateCaller(call.MetadataValues("authorization"), *verifier_));
  if (deleted_users_ != nullptr && deleted_users_->Contains(claims.subject)) {
    return absl::UnauthenticatedError("invalid token: the account was deleted");
  }
  if (!path_user_id.empty() && path_user_id != claims.subject) {
    return absl::NotFoundError("user not found");
  }
  return std::move(claims.subject);
}

}  // namespace todo::common::identity
