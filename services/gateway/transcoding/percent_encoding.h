#pragma once

// Percent-decoding of path variables and query values (transcoding.md 3.2,
// 3.3, 4.2, 4.3). Invalid escapes ("%zz", a lone "%") are kept as they are.

#include <string>

#include "absl/strings/string_view.h"

namespace todo::gateway::transcoding {

// Envoy's url_unescape_spec, for variables that span several segments.
enum class UnescapeSpec {
  // RFC 6570 reserved characters ! # $ & ' ( ) * + , / : ; = ? @ [ ] stay
  // encoded; everything else is decoded. Envoy's default.
  kAllCharactersExceptReserved,
  // Everything but %2F is decoded.
  kAllCharactersExceptSlash,
  kAllCharacters,
};

// Every valid %XX decoded (single-segment variables, query values).
std::string UnescapeAll(absl::string_view text);
std::string Unescape(absl::string_view text, UnescapeSpec spec);
// Query values: like UnescapeAll, and '+' becomes a space when asked.
std::string UnescapeQueryValue(absl::string_view text, bool plus_as_space);

}  // namespace todo::gateway::transcoding
