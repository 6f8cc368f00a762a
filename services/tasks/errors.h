#pragma once

// Every error a client of the tasks service can see, in one place. A task of
// another user is reported exactly as a task that does not exist.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace todo::tasks::error {

// NOT_FOUND "task <id> not found".
absl::Status TaskNotFound(int64_t id);
// INVALID_ARGUMENT "<field>: <problem>".
absl::Status InvalidField(absl::string_view field, absl::string_view problem);
// ABORTED: the etag sent is not the task's current one.
absl::Status StaleEtag(int64_t id);
// FAILED_PRECONDITION with reason REQUEST_ID_REUSED (the gateway answers
// 422): the x-request-id was used before for a different request.
absl::Status RequestIdReused();
// UNAUTHENTICATED: the token's account was deleted.
absl::Status AccountDeleted();

}  // namespace todo::tasks::error
