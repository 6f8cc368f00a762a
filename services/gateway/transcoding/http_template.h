#pragma once

// The path templates of google.api.http rules (transcoding.md 2.2):
//   Template = "/" Segments [ Verb ] ;   Segments = Segment { "/" Segment } ;
//   Segment  = "*" | "**" | LITERAL | Variable ;
//   Variable = "{" FieldPath [ "=" Segments ] "}" ;  FieldPath = IDENT { "." IDENT } ;
//   Verb     = ":" LITERAL ;
// "{x}" is "{x=*}"; "/" alone is valid (no segments). Refused: empty, "//",
// a trailing "/", empty variables, nested variables, text glued to a
// variable, an empty verb, and anything but literals after "**".

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace todo::gateway::transcoding {

inline constexpr char kSingleWildcard[] = "*";
inline constexpr char kDoubleWildcard[] = "**";

struct HttpTemplate {
  struct Variable {
    std::vector<std::string> field_path;
    // Template segments [start_segment, end_segment) that the variable covers.
    int start_segment = 0;
    int end_segment = 0;
    bool has_double_wildcard = false;
  };

  // "*", "**" or a literal each.
  std::vector<std::string> segments;
  // Without the ':'; empty when there is none.
  std::string verb;
  std::vector<Variable> variables;

  // INVALID_ARGUMENT naming the template when it does not parse.
  static absl::StatusOr<HttpTemplate> Parse(absl::string_view text);
};

}  // namespace todo::gateway::transcoding
