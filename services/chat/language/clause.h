#pragma once

// A clause being read by the slot rules (requests.cc, task_sets.cc): the
// text as typed and in lower case at the same offsets, with each phrase a
// rule has taken blanked out, so the words no rule took are what is left
// (a title, the words that name a task). Not for use elsewhere.

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace todo::chat::language::internal {

struct Clause {
  std::string text;
  std::string lower;
  std::string rest;  // lower, with used phrases replaced by spaces
};

// A clause of `text`, nothing taken yet.
Clause ClauseOf(const std::string& text);
void Blank(Clause& clause, size_t begin, size_t end);
// Removes `phrase` (whole words) from the clause's rest; true if it was there.
bool Take(Clause& clause, absl::string_view phrase);
// The text no rule took, in its original case, with its spaces collapsed.
std::string Remaining(const Clause& clause);
// Quoted text ('...' or "..."), when the clause has some; taken.
std::optional<std::string> Quoted(Clause& clause);
std::string Capitalized(std::string text);
// Words that carry no content at the edges of a title or a search.
bool IsFiller(absl::string_view word);
// `text` without filler words at either end.
std::string Trimmed(const std::string& text);

}  // namespace todo::chat::language::internal
