#include "services/chat/language/intents.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace todo::chat::language::internal {

// The words of a lower-case text.
std::vector<std::string> Words(absl::string_view text) {
  std::vector<std::string> words;
  for (absl::string_view word :
       absl::StrSplit(text, absl::ByAnyChar(" \t\n,!?;:\"'()"), absl::SkipEmpty())) {
    words.emplace_back(word);
  }
  return words;
}

bool StartsWithAny(absl::string_view text, std::initializer_list<absl::string_view> prefixes) {
  for (absl::string_view prefix : prefixes) {
    if (absl::StartsWith(text, prefix) &&
        (text.size() == prefix.size() || !absl::ascii_isalnum(text[prefix.size()]))) {
      return true;
    }
  }
  return false;
}

// Finds `phrase` as whole words in `text`; npos when absent.
size_t FindWords(absl::string_view text, absl::string_view phrase, size_t from) {
  for (size_t at = text.find(phrase, from); at != absl::string_view::npos;
       at = text.find(phrase, at + 1)) {
    const bool starts = at == 0 || !absl::ascii_isalnum(text[at - 1]);
    const size_t end = at + phrase.size();
    const bool ends = end == text.size() || !absl::ascii_isalnum(text[end]);
    if (starts && ends) return at;
  }
  return absl::string_view::npos;
}

bool HasWords(absl::string_view text, absl::string_view phrase) {
  return FindWords(text, phrase) != absl::string_view::npos;
}

const std::vector<absl::string_view> kAddPrefixes = {"add a task to",
                                                     "add a task",
                                                     "add task",
                                                     "add a reminder to",
                                                     "add",
                                                     "create a task to",
                                                     "create a task",
                                                     "create",
                                                     "new task",
                                                     "remind me to",
                                                     "remind me",
                                                     "remember to",
                                                     "i need to remember to",
                                                     "i need to",
                                                     "i have to",
                                                     "i must",
                                                     "i should",
                                                     "don't forget to",
                                                     "dont forget to",
                                                     "schedule",
                                                     "put",
                                                     "note to",
                                                     "make a task to",
                                                     "make a note to"};

// How much of `lower` is "please", "can you", "actually" and the like.
size_t PolitePrefixLength(absl::string_view lower) {
  size_t at = lower.find_first_not_of(' ');
  if (at == absl::string_view::npos) return lower.size();
  for (bool again = true; again;) {
    again = false;
    // A yes or no in front ("no, delete only the first one") leads into
    // the request.
    for (absl::string_view polite :
         {"actually", "please", "can you", "could you", "would you", "pls", "ok so", "okay so",
          "hey", "so", "no", "yes", "ok", "okay", "oh", "well", "wait", "sorry"}) {
      if (StartsWithAny(lower.substr(at), {polite})) {
        at = lower.find_first_not_of(" ,", at + polite.size());
        if (at == absl::string_view::npos) return lower.size();
        again = true;
      }
    }
  }
  return at;
}

// Words that make a question about the user's tasks.
bool AboutTasks(absl::string_view text) {
  for (absl::string_view word :
       {"task",      "tasks",    "todo",      "todos",     "to do", "to-do",
        "list",      "pending",  "completed", "complete",  "done",  "finished",
        "due",       "overdue",  "priority",  "tagged",    "left",  "remaining",
        "reminders", "reminder", "have i",    "do i have", "my"}) {
    if (HasWords(text, word)) return true;
  }
  return false;
}

namespace {

// "yes", "Yes, go ahead", "sure, do it please"; "no", "no thanks, leave
// them": a yes or no and words that only say so again. A no that asks for
// something else ("no, delete only the first one") is that request.
std::optional<Intent> AnswerOf(absl::string_view lower) {
  static constexpr absl::string_view kYes[] = {
      "yes",       "yeah",    "yep",     "yup",        "y",         "sure",
      "ok",        "okay",    "confirm", "confirmed",  "do it",     "go ahead",
      "please do", "correct", "right",   "absolutely", "of course", "go for it"};
  static constexpr absl::string_view kNo[] = {"no",         "nope",      "n",      "cancel",
                                              "never mind", "nevermind", "don't",  "dont",
                                              "stop",       "no thanks", "not now"};
  static constexpr absl::string_view kAgain[] = {
      "please", "go",       "ahead",   "do",     "it",    "them",  "that", "all",
      "thanks", "thank",    "you",     "yes",    "sure",  "ok",    "okay", "delete",
      "remove", "complete", "change",  "mind",   "never", "leave", "keep", "not",
      "don't",  "cancel",   "of",      "course", "for",   "as",    "they", "are",
      "is",     "now",      "confirm", "s",      "fine",  "don",   "t"};
  std::string text(lower);
  for (char& c : text) {
    if (c == ',' || c == '.' || c == '!') c = ' ';
  }
  const auto only_again = [&](size_t from) {
    for (const std::string& word : Words(absl::string_view(text).substr(from))) {
      if (std::find(std::begin(kAgain), std::end(kAgain), word) == std::end(kAgain)) return false;
    }
    return true;
  };
  for (absl::string_view yes : kYes) {
    if (StartsWithAny(text, {yes}) && only_again(yes.size())) return Intent::kConfirm;
  }
  for (absl::string_view no : kNo) {
    if (StartsWithAny(text, {no}) && only_again(no.size())) return Intent::kDecline;
  }
  return std::nullopt;
}

}  // namespace

bool IsCorrection(absl::string_view lower) {
  return StartsWithAny(absl::StripLeadingAsciiWhitespace(lower),
                       {"actually", "no", "sorry", "oops", "wait", "correction", "i meant",
                        "i mean", "make that", "change that"}) ||
         HasWords(lower, "instead") || HasWords(lower, "i meant");
}

Intent IntentOf(absl::string_view lower) {
  const std::string trimmed(absl::StripAsciiWhitespace(absl::StripSuffix(
      absl::StripSuffix(absl::StripSuffix(absl::StripAsciiWhitespace(lower), "."), "!"), "?")));
  if (const std::optional<Intent> answer = AnswerOf(trimmed)) return *answer;
  if (StartsWithAny(trimmed, {"hi", "hello", "hey", "thanks", "thank you", "good morning"}) &&
      Words(trimmed).size() <= 3) {
    return Intent::kGreeting;
  }
  if (trimmed == "help" || HasWords(trimmed, "what can you do")) return Intent::kHelp;
  const absl::string_view text = absl::string_view(trimmed).substr(PolitePrefixLength(trimmed));
  const bool done_words = HasWords(text, "done") || HasWords(text, "complete") ||
                          HasWords(text, "completed") || HasWords(text, "finished");
  if (StartsWithAny(text, {"reopen", "uncomplete", "undo", "unmark"}) ||
      (StartsWithAny(text, {"mark"}) &&
       (HasWords(text, "not done") || HasWords(text, "pending") || HasWords(text, "incomplete") ||
        HasWords(text, "undone") || HasWords(text, "not complete")))) {
    return Intent::kReopen;
  }
  if (StartsWithAny(text, {"complete", "finish", "finished", "tick off", "check off", "done with",
                           "i finished", "i completed", "i did", "i've done", "i have done",
                           "i'm done with", "im done with"}) ||
      (StartsWithAny(text, {"mark", "set"}) && done_words)) {
    return Intent::kComplete;
  }
  if (StartsWithAny(text, {"delete", "remove", "erase", "drop", "get rid of", "trash"})) {
    return Intent::kDelete;
  }
  if (StartsWithAny(text, {"change", "rename", "update", "edit", "move", "reschedule", "postpone",
                           "push", "set", "make", "tag", "retitle"})) {
    return Intent::kUpdate;
  }
  if (StartsWithAny(text, {"show", "list", "display", "view", "find", "search"}) ||
      (StartsWithAny(text, {"what", "what's", "whats", "which", "do i have", "anything", "any",
                            "get", "give me", "tell me", "see", "how many"}) &&
       AboutTasks(text)) ||
      HasWords(text, "my tasks") || HasWords(text, "my todo")) {
    return Intent::kList;
  }
  for (absl::string_view prefix : kAddPrefixes) {
    if (StartsWithAny(text, {prefix})) return Intent::kAdd;
  }
  return Intent::kOutOfScope;
}

// Splits a message into clauses: sentences, and "X and Y" / "X then Y"
// where Y starts with a command of its own.
std::vector<std::string> Clauses(absl::string_view text) {
  std::vector<std::string> sentences;
  std::string current;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool end_mark = c == '?' || c == '!' || c == ';' || c == '\n' ||
                          (c == '.' && (i + 1 == text.size() || text[i + 1] == ' ') &&
                           !(i > 0 && (text[i - 1] == 'm' || absl::ascii_isdigit(text[i - 1]))));
    if (end_mark) {
      if (!absl::StripAsciiWhitespace(current).empty()) sentences.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!absl::StripAsciiWhitespace(current).empty()) sentences.push_back(current);
  std::vector<std::string> clauses;
  for (const std::string& sentence : sentences) {
    std::string remaining = sentence;
    for (;;) {
      const std::string lower = absl::AsciiStrToLower(remaining);
      size_t cut = std::string::npos;
      size_t skip = 0;
      for (const char* joiner : {" and then ", ", then ", " then ", " and ", ", and "}) {
        for (size_t at = lower.find(joiner); at != std::string::npos;
             at = lower.find(joiner, at + 1)) {
          if (cut != std::string::npos && at >= cut) continue;
          const Intent next = IntentOf(lower.substr(at + strlen(joiner)));
          if (next != Intent::kOutOfScope && next != Intent::kConfirm && next != Intent::kDecline) {
            cut = at, skip = strlen(joiner);
          }
        }
      }
      if (cut == std::string::npos) break;
      clauses.push_back(remaining.substr(0, cut));
      remaining = remaining.substr(cut + skip);
    }
    clauses.push_back(remaining);
  }
  return clauses;
}

}  // namespace todo::chat::language::internal
