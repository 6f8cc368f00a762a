#pragma once

// Every error a client of the auth service can see, in one place.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace todo::auth::error {

// INVALID_ARGUMENT "<field>: <problem>".
absl::Status InvalidField(absl::string_view field, absl::string_view problem);
// ALREADY_EXISTS: the email has an account.
absl::Status EmailTaken();
// UNAUTHENTICATED, the same for an unknown email and a wrong password.
absl::Status WrongCredentials();
// NOT_FOUND: the token's user has no account (deleted).
absl::Status AccountNotFound();

}  // namespace todo::auth::error
