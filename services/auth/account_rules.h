#pragma once

// Validation and normalisation of sign-up and sign-in input. Pure.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace todo::auth {

// Trimmed; one '@' with text on both sides, no spaces or control characters,
// at most 254 bytes. Case is kept for display; LowerEmail gives the key.
absl::StatusOr<std::string> NormalizeEmail(absl::string_view email);
std::string LowerEmail(absl::string_view email);
// 8 to 1024 bytes; any characters.
absl::Status ValidatePassword(absl::string_view password);
// Trimmed, 1 to 100 characters.
absl::StatusOr<std::string> NormalizeName(absl::string_view name);

// True for a UUID in its canonical text form (8-4-4-4-12 hex digits, any
// case), as account ids are.
bool IsUuid(absl::string_view text);

}  // namespace todo::auth
