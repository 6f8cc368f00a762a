#pragma once

// Who is calling a service, the one way every service decides it: the
// verified `sub` of the call's `authorization: Bearer <JWT>`, refused when
// that account was deleted (its tokens stay valid by signature until they
// expire), and NOT_FOUND when a compatibility path names another user
// (another user's data is "not found", never "forbidden").

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/jwt/jwt_verifier.h"
#include "common/rpc/server.h"
#include "common/tombstones/deleted_users.h"

namespace todo::common::identity {

class CallerIdentity {
 public:
  // `deleted_users` may be null (no account is refused); both must outlive
  // this object.
  CallerIdentity(const jwt::JwtVerifier* verifier, const tombstones::DeletedUsers* deleted_users)
      : verifier_(verifier), deleted_users_(deleted_users) {}

  // The caller's user id. UNAUTHENTICATED for a missing or bad token and for
  // a deleted account; NOT_FOUND when `path_user_id` is set and is not the
  // caller.
  absl::StatusOr<std::string> UserOf(const rpc::Call& call,
                                     absl::string_view path_user_id = "") const;

 private:
  const jwt::JwtVerifier* const verifier_;
  const tombstones::DeletedUsers* const deleted_users_;
};

}  // namespace todo::common::identity
