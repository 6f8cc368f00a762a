#pragma once

// The intent rules of UnderstandMessage (requests.h): what a clause asks,
// where a message splits into clauses, and the word matching they share
// with the slot rules (requests.cc). Not for use elsewhere.

#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/chat/language/requests.h"

namespace todo::chat::language::internal {

// The words of a lower-case text.
std::vector<std::string> Words(absl::string_view text);
// `text` starts with one of `prefixes`, as whole words.
bool StartsWithAny(absl::string_view text, std::initializer_list<absl::string_view> prefixes);
// Where `phrase` stands as whole words in `text`; npos when absent.
size_t FindWords(absl::string_view text, absl::string_view phrase, size_t from = 0);
bool HasWords(absl::string_view text, absl::string_view phrase);
// How much of `lower` is "please", "can you", "actually" and the like.
size_t PolitePrefixLength(absl::string_view lower);
// The ways of asking to add a task, longest first.
extern const std::vector<absl::string_view> kAddPrefixes;
// What a lower-case clause asks.
Intent IntentOf(absl::string_view lower);
// The clause corrects what was just said or done ("actually, Friday", "no, I
// meant 6pm", "sorry, make that high priority instead").
bool IsCorrection(absl::string_view lower);
// Sentences, and "X and Y" / "X then Y" where Y is a request of its own.
std::vector<std::string> Clauses(absl::string_view text);

}  // namespace todo::chat::language::internal
