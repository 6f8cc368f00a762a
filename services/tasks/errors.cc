#include "services/tasks/errors.h"

#include "absl/strings/str_cat.h"
#include "common/status/client_status.h"

namespace todo::tasks::error {

absl::Status TaskNotFound(int64_t id) {
  return absl::NotFoundError(absl::StrCat("task ", id, " not found"));
}

absl::Status InvalidField(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status StaleEtag(int64_t id) {
  return absl::AbortedError(
      absl::StrCat("task ", id, " was changed by someone else; fetch it and retry"));
}

absl::Status RequestIdReused() {
  return common::WithReason(
      absl::FailedPreconditionError(
          "x-request-id was already used for a different request; use a new id"),
      common::kRequestIdReused);
}

absl::Status AccountDeleted() {
  return absl::UnauthenticatedError("invalid token: the account was deleted");
}

}  // namespace todo::tasks::error
