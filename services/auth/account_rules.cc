#include "services/auth/account_rules.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/text/text_rules.h"
#include "services/auth/errors.h"
#include "services/auth/limits.h"

namespace todo::auth {

absl::StatusOr<std::string> NormalizeEmail(absl::string_view email) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(email);
  if (trimmed.empty()) {
    return error::InvalidField("email", "is required");
  }
  if (trimmed.size() > kMaxEmailBytes) {
    return error::InvalidField("email",
                               absl::StrCat("must be at most ", kMaxEmailBytes, " characters"));
  }
  const size_t at = trimmed.find('@');
  if (at == absl::string_view::npos || at == 0 || at + 1 == trimmed.size() ||
      trimmed.find('@', at + 1) != absl::string_view::npos) {
    return error::InvalidField("email", "must look like name@example.com");
  }
  const bool clean = std::none_of(trimmed.begin(), trimmed.end(), [](char c) {
    const unsigned char byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7F;
  });
  if (!clean) {
    return error::InvalidField("email", "must not contain spaces or control characters");
  }
  return std::string(trimmed);
}

std::string LowerEmail(absl::string_view email) { return absl::AsciiStrToLower(email); }

absl::Status ValidatePassword(absl::string_view password) {
  if (password.size() < kMinPasswordBytes) {
    return error::InvalidField("password",
                               absl::StrCat("must be at least ", kMinPasswordBytes, " characters"));
  }
  if (password.size() > kMaxPasswordBytes) {
    return error::InvalidField("password",
                               absl::StrCat("must be at most ", kMaxPasswordBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizeName(absl::string_view name) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(name);
  if (trimmed.empty()) {
    return error::InvalidField("name", "is required");
  }
  if (common::text::HasControlCharacters(trimmed, common::text::LineBreaks::kRefused)) {
    return error::InvalidField("name", "must not contain control characters");
  }
  if (common::text::CountCharacters(trimmed) > kMaxNameChars) {
    return error::InvalidField("name",
                               absl::StrCat("must be at most ", kMaxNameChars, " characters"));
  }
  return std::string(trimmed);
}

bool IsUuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !absl::ascii_isxdigit(text[i])) return false;
  }
  return true;
}

}  // namespace todo::auth
