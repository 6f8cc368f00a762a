#include "services/gateway/transcoding/http_template.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace todo::gateway::transcoding {
namespace {

bool IsIdentifier(absl::string_view text) {
  if (text.empty() || !(absl::ascii_isalpha(text[0]) || text[0] == '_')) {
    return false;
  }
  for (char c : text) {
    if (!(absl::ascii_isalnum(c) || c == '_')) return false;
  }
  return true;
}

class TemplateParser {
 public:
  explicit TemplateParser(absl::string_view text) : text_(text) {}

  bool Parse(HttpTemplate& result) {
    if (!Consume('/')) return false;
    if (AtEnd()) return true;  // "/" alone
    if (!ParseSegments(result, /*in_variable=*/false)) return false;
    if (Consume(':')) {
      if (!ParseLiteral(result.verb)) return false;
    }
    return AtEnd() && LiteralsOnlyAfterDoubleWildcard(result);
  }

 private:
  bool AtEnd() const { return position_ == text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[position_]; }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++position_;
    return true;
  }

  bool ParseSegments(HttpTemplate& result, bool in_variable) {
    do {
      if (!ParseSegment(result, in_variable)) return false;
    } while (Consume('/'));
    return true;
  }

  bool ParseSegment(HttpTemplate& result, bool in_variable) {
    if (Consume('*')) {
      result.segments.push_back(Consume('*') ? kDoubleWildcard : kSingleWildcard);
      return true;
    }
    if (Peek() == '{') {
      return !in_variable && ParseVariable(result);
    }
    std::string literal;
    if (!ParseLiteral(literal)) return false;
    result.segments.push_back(std::move(literal));
    return true;
  }

  // One or more characters up to the next '/', ':', '{', '}', '=' or '*'.
  bool ParseLiteral(std::string& out) {
    const size_t start = position_;
    while (!AtEnd() && absl::string_view("/:{}=*").find(Peek()) == absl::string_view::npos) {
      ++position_;
    }
    out = std::string(text_.substr(start, position_ - start));
    return !out.empty();
  }

  bool ParseVariable(HttpTemplate& result) {
    Consume('{');
    const size_t start = position_;
    while (!AtEnd() && Peek() != '=' && Peek() != '}') ++position_;
    HttpTemplate::Variable variable;
    for (absl::string_view part : absl::StrSplit(text_.substr(start, position_ - start), '.')) {
      if (!IsIdentifier(part)) return false;
      variable.field_path.emplace_back(part);
    }
    variable.start_segment = static_cast<int>(result.segments.size());
    if (Consume('=')) {
      if (!ParseSegments(result, /*in_variable=*/true)) return false;
    } else {
      result.segments.push_back(kSingleWildcard);
    }
    if (!Consume('}')) return false;
    // Text glued to a variable ("/{x}a") is not a segment boundary.
    if (!AtEnd() && Peek() != '/' && Peek() != ':') return false;
    variable.end_segment = static_cast<int>(result.segments.size());
    for (int i = variable.start_segment; i < variable.end_segment; ++i) {
      variable.has_double_wildcard |= result.segments[i] == kDoubleWildcard;
    }
    result.variables.push_back(std::move(variable));
    return true;
  }

  static bool LiteralsOnlyAfterDoubleWildcard(const HttpTemplate& result) {
    bool seen = false;
    for (const std::string& segment : result.segments) {
      const bool wildcard = segment == kSingleWildcard || segment == kDoubleWildcard;
      if (seen && wildcard) return false;
      seen |= segment == kDoubleWildcard;
    }
    return true;
  }

  absl::string_view text_;
  size_t position_ = 0;
};

}  // namespace

absl::StatusOr<HttpTemplate> HttpTemplate::Parse(absl::string_view text) {
  HttpTemplate result;
  TemplateParser parser(text);
  if (text.empty() || !parser.Parse(result)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid path template \"", text, "\""));
  }
  return result;
}

}  // namespace todo::gateway::transcoding
