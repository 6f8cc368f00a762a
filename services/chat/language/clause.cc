#include "services/chat/language/clause.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/chat/language/intents.h"

namespace todo::chat::language::internal {

Clause ClauseOf(const std::string& text) {
  const std::string lower = absl::AsciiStrToLower(text);
  return Clause{text, lower, lower};
}

void Blank(Clause& clause, size_t begin, size_t end) {
  for (size_t i = begin; i < end && i < clause.rest.size(); ++i) clause.rest[i] = ' ';
}

// Removes `phrase` (whole words) from the clause's rest; true if it was there.
bool Take(Clause& clause, absl::string_view phrase) {
  const size_t at = FindWords(clause.rest, phrase);
  if (at == absl::string_view::npos) return false;
  Blank(clause, at, at + phrase.size());
  return true;
}

// The text of `clause` that no slot took, in its original case, with its
// spaces collapsed.
std::string Remaining(const Clause& clause) {
  std::string out;
  for (size_t i = 0; i < clause.text.size(); ++i) {
    const char c = clause.rest[i] == ' ' ? ' ' : clause.text[i];
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  return std::string(absl::StripAsciiWhitespace(out));
}

// Quoted text ('...' or "..."), when the clause has some.
std::optional<std::string> Quoted(Clause& clause) {
  for (char quote : {'"', '\''}) {
    const size_t open = clause.text.find(quote);
    if (open == std::string::npos) continue;
    // An apostrophe inside a word ("don't") is not a quote.
    if (quote == '\'' && open > 0 && absl::ascii_isalpha(clause.text[open - 1])) continue;
    const size_t close = clause.text.find(quote, open + 1);
    if (close == std::string::npos || close == open + 1) continue;
    Blank(clause, open, close + 1);
    return clause.text.substr(open + 1, close - open - 1);
  }
  return std::nullopt;
}

std::string Capitalized(std::string text) {
  if (!text.empty()) text[0] = absl::ascii_toupper(text[0]);
  return text;
}

// Words that carry no content at the edges of a title or a search.
bool IsFiller(absl::string_view word) {
  static constexpr absl::string_view kFillers[] = {
      "a",  "an", "the",  "to",    "task", "tasks",  "please", "my",     "for",
      "me", "on", "at",   "by",    "due",  "that",   "it",     "and",    "with",
      "as", "of", "list", "todo",  "item", "called", "named",  "titled", "reminder",
      "in", "is", "one",  "about", "some", "any"};
  const std::string lower = absl::AsciiStrToLower(word);
  for (absl::string_view filler : kFillers) {
    if (lower == filler) return true;
  }
  return false;
}

// Cuts filler words off both ends.
std::string Trimmed(const std::string& text) {
  std::vector<std::string> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
  while (!words.empty() && IsFiller(words.front())) words.erase(words.begin());
  while (!words.empty() && IsFiller(words.back())) words.pop_back();
  std::string joined = absl::StrJoin(words, " ");
  while (!joined.empty() &&
         (joined.back() == ',' || joined.back() == '.' || joined.back() == ':')) {
    joined.pop_back();
  }
  return joined;
}

}  // namespace todo::chat::language::internal
