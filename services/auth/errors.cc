#include "services/auth/errors.h"

#include "absl/strings/str_cat.h"

namespace todo::auth::error {

absl::Status InvalidField(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status EmailTaken() {
  return absl::AlreadyExistsError("an account with this email already exists");
}

absl::Status WrongCredentials() { return absl::UnauthenticatedError("wrong email or password"); }

absl::Status AccountNotFound() { return absl::NotFoundError("account not found"); }

}  // namespace todo::auth::error
