#include "services/chat/language/requests.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/chat/language/intents.h"

namespace todo::chat::language {
namespace {

using internal::Clauses;
using internal::FindWords;
using internal::HasWords;
using internal::IntentOf;
using internal::kAddPrefixes;
using internal::PolitePrefixLength;
using internal::StartsWithAny;
using internal::Words;

// A clause as typed and in lower case (same bytes, same offsets), with
// the spans already taken by slots blanked out of `rest`.
struct Clause {
  std::string text;
  std::string lower;
  std::string rest;  // lower, with used phrases replaced by spaces
};

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
      "a",  "an", "the",  "to",   "task",  "tasks",  "please", "my",     "for",
      "me", "on", "at",   "by",   "due",   "that",   "it",     "and",    "with",
      "as", "of", "list", "todo", "item",  "called", "named",  "titled", "reminder",
      "in", "is", "one",  "all",  "about", "some",   "any"};
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

absl::CivilMinute DueOf(const DatePhrase& phrase) {
  return phrase.time.value_or(absl::CivilMinute(phrase.day) + 23 * 60 + 59);
}

void ReadPriority(Clause& clause, Request& request) {
  struct Phrase {
    const char* text;
    const char* priority;
  };
  static constexpr Phrase kPhrases[] = {{"high priority", "high"},
                                        {"high-priority", "high"},
                                        {"priority high", "high"},
                                        {"top priority", "high"},
                                        {"urgent", "high"},
                                        {"important", "high"},
                                        {"low priority", "low"},
                                        {"low-priority", "low"},
                                        {"priority low", "low"},
                                        {"not urgent", "low"},
                                        {"medium priority", "medium"},
                                        {"priority medium", "medium"},
                                        {"normal priority", "medium"},
                                        {"priority to high", "high"},
                                        {"priority to low", "low"},
                                        {"priority to medium", "medium"}};
  for (const Phrase& phrase : kPhrases) {
    if (Take(clause, phrase.text)) {
      request.priority = phrase.priority;
      for (const char* before : {"with", "as", "a"}) Take(clause, before);
      return;
    }
  }
  if (request.intent == Intent::kUpdate) {  // "make it high", "set priority low"
    for (const char* level : {"high", "low", "medium"}) {
      if (HasWords(clause.rest, level) &&
          (HasWords(clause.lower, "make") || HasWords(clause.lower, "priority"))) {
        Take(clause, level);
        Take(clause, "priority");
        request.priority = level;
        return;
      }
    }
  }
}

void ReadTags(Clause& clause, Request& request) {
  // #work
  for (size_t at = clause.rest.find('#'); at != std::string::npos;
       at = clause.rest.find('#', at + 1)) {
    size_t end = at + 1;
    while (end < clause.rest.size() && (absl::ascii_isalnum(clause.rest[end]) ||
                                        clause.rest[end] == '-' || clause.rest[end] == '_')) {
      ++end;
    }
    if (end > at + 1 && !absl::ascii_isdigit(clause.rest[at + 1])) {
      request.tags.push_back(clause.rest.substr(at + 1, end - at - 1));
      Blank(clause, at, end);
    }
  }
  // tagged work, with tag work, tag it work
  for (const char* lead : {"tagged as", "tagged with", "tagged", "with the tag", "with tag",
                           "tag it as", "tag it with", "tag it", "tag"}) {
    const size_t at = FindWords(clause.rest, lead);
    if (at == std::string::npos) continue;
    const size_t word = clause.rest.find_first_not_of(' ', at + strlen(lead));
    if (word == std::string::npos) continue;
    size_t end = word;
    while (end < clause.rest.size() && clause.rest[end] != ' ' && clause.rest[end] != ',') ++end;
    request.tags.push_back(clause.rest.substr(word, end - word));
    Blank(clause, at, end);
    return;
  }
}

// Which task: "task 3", "#3", "the first one", "it", "all my tasks", or
// the words that name it.
void ReadTarget(Clause& clause, Request& request) {
  TaskReference& target = request.target;
  const std::vector<std::string> words = Words(clause.rest);
  for (size_t i = 0; i < words.size(); ++i) {
    long id = 0;
    absl::string_view word = words[i];
    const bool marker = word == "task" || word == "number" || word == "id" || word == "#";
    if (marker && i + 1 < words.size() &&
        absl::SimpleAtoi(absl::StripPrefix(words[i + 1], "#"), &id) && id > 0) {
      target = {TaskReference::Kind::kId, id};
      Take(clause, words[i + 1]);
      Take(clause, words[i]);
      return;
    }
    if (absl::StartsWith(word, "#") && absl::SimpleAtoi(word.substr(1), &id) && id > 0) {
      target = {TaskReference::Kind::kId, id};
      Take(clause, word);
      return;
    }
  }
  static constexpr std::pair<const char*, int> kOrdinals[] = {
      {"first", 1}, {"second", 2}, {"third", 3}, {"fourth", 4}, {"fifth", 5}, {"1st", 1},
      {"2nd", 2},   {"3rd", 3},    {"4th", 4},   {"5th", 5},    {"last", -1}};
  for (const auto& [ordinal, value] : kOrdinals) {
    for (const char* noun : {"one", "task", "item", ""}) {
      const std::string phrase = *noun ? absl::StrCat(ordinal, " ", noun) : ordinal;
      if (HasWords(clause.rest, phrase) && (*noun || HasWords(clause.rest, "the"))) {
        Take(clause, phrase);
        Take(clause, "the");
        target = {TaskReference::Kind::kOrdinal, 0, value};
        return;
      }
    }
  }
  for (const char* pronoun :
       {"that one", "this one", "that task", "this task", "it", "that", "this", "them"}) {
    if (Take(clause, pronoun)) {
      target.kind = TaskReference::Kind::kPronoun;
      return;
    }
  }
  for (const char* all : {"all my tasks", "all tasks", "all of my tasks", "everything",
                          "all of them", "all my completed tasks", "all completed tasks"}) {
    if (Take(clause, all)) {
      target.kind = TaskReference::Kind::kAll;
      return;
    }
  }
  if (std::optional<std::string> quoted = Quoted(clause)) {
    target = {TaskReference::Kind::kWords, 0, 0, *quoted};
    return;
  }
}

// The words left naming the task, without the command's own words.
std::string NamingWords(Clause& clause) {
  for (const char* command :
       {"mark",     "as",       "done",       "complete",   "completed",   "finished", "finish",
        "delete",   "remove",   "erase",      "drop",       "get rid of",  "trash",    "reopen",
        "not done", "pending",  "incomplete", "undone",     "change",      "rename",   "update",
        "edit",     "move",     "reschedule", "postpone",   "push",        "set",      "make",
        "actually", "can you",  "could you",  "i finished", "i completed", "i did",    "done with",
        "with",     "tick off", "check off",  "i'm",        "im",          "i've",     "i have",
        "undo"}) {
    while (Take(clause, command)) {
    }
  }
  return Trimmed(Remaining(clause));
}

void ReadListFilters(Clause& clause, Request& request, absl::CivilSecond now,
                     const std::vector<DatePhrase>& dates) {
  const std::string& lower = clause.lower;
  static constexpr absl::string_view kPending[] = {
      "pending",   "open",        "incomplete", "to do",    "todo",       "left",
      "remaining", "outstanding", "unfinished", "not done", "still have", "due"};
  static constexpr absl::string_view kCompleted[] = {"completed", "complete", "done",
                                                     "finished",  "did i",    "have i"};
  for (absl::string_view word : kCompleted) {
    if (HasWords(lower, word)) request.status = "completed", Take(clause, word);
  }
  for (absl::string_view word : kPending) {
    if (HasWords(lower, word) && request.status == "all") {
      request.status = "pending", Take(clause, word);
    }
  }
  if (Take(clause, "overdue") || Take(clause, "late")) {
    request.status = "pending";
    request.due_to = absl::CivilMinute(now);
  }
  if (!dates.empty()) {
    const DatePhrase& date = dates[0];
    request.due_from = absl::CivilMinute(date.day);
    request.due_to = absl::CivilMinute(date.day + 1);
    if (HasWords(lower, "this week") || HasWords(lower, "next week")) {
      request.due_to = absl::CivilMinute(date.day + 7);
    }
    Blank(clause, date.begin, date.end);
  }
  for (const char* lead : {"sorted by", "sort by", "ordered by", "order by", "by"}) {
    const size_t at = FindWords(clause.rest, lead);
    if (at == std::string::npos) continue;
    const std::string after = clause.rest.substr(at + strlen(lead));
    for (const auto& [said, key] :
         std::initializer_list<std::pair<const char*, const char*>>{{"due date", "due_date"},
                                                                    {"deadline", "due_date"},
                                                                    {"date", "due_date"},
                                                                    {"priority", "priority desc"},
                                                                    {"title", "title"},
                                                                    {"name", "title"},
                                                                    {"newest", "created_at desc"},
                                                                    {"oldest", "created_at"}}) {
      const size_t found = FindWords(after, said);
      if (found != std::string::npos && found < 8) {
        request.sort = key;
        Blank(clause, at, at + strlen(lead) + found + strlen(said));
        break;
      }
    }
    if (request.sort.has_value()) break;
  }
  // Words to search for: "about X", "containing X", "called X", "find X".
  for (const char* lead : {"anything about", "about", "containing", "called", "named", "matching",
                           "mentioning", "find", "search for", "search"}) {
    const size_t at = FindWords(clause.rest, lead);
    if (at == std::string::npos) continue;
    Clause after = clause;
    Blank(after, 0, at + strlen(lead));
    std::string words = Trimmed(Remaining(after));
    if (!words.empty()) {
      request.search = words;
      Blank(clause, at, clause.rest.size());
    }
    break;
  }
  // "my work tasks": a tag.
  const std::vector<std::string> words = Words(clause.rest);
  for (size_t i = 1; i < words.size(); ++i) {
    if ((words[i] == "tasks" || words[i] == "task" || words[i] == "items") &&
        !IsFiller(words[i - 1]) && words[i - 1] != "show" && words[i - 1] != "list" &&
        words[i - 1] != "what" && words[i - 1] != "priority" && words[i - 1] != "which" &&
        request.tags.empty()) {
      request.tags.push_back(words[i - 1]);
      Take(clause, words[i - 1]);
    }
  }
}

Request Read(const std::string& text, Intent intent, absl::CivilSecond now,
             const DateOptions& options) {
  Request request;
  request.intent = intent;
  Clause clause{text, absl::AsciiStrToLower(text), absl::AsciiStrToLower(text)};
  if (intent != Intent::kAdd && intent != Intent::kUpdate && intent != Intent::kList &&
      intent != Intent::kComplete && intent != Intent::kReopen && intent != Intent::kDelete) {
    return request;
  }
  // When and how often.
  std::optional<RecurrencePhrase> recurrence;
  if (intent == Intent::kAdd || intent == Intent::kUpdate) {
    recurrence = FindRecurrence(text, now, options);
  }
  if (recurrence.has_value()) {
    using Unit = RecurrencePhrase::Unit;
    if (recurrence->interval == 1 && recurrence->unit != Unit::kYear) {
      request.recurrence = recurrence->unit == Unit::kDay    ? "daily"
                           : recurrence->unit == Unit::kWeek ? "weekly"
                                                             : "monthly";
    } else {
      request.unsupported_recurrence =
          text.substr(recurrence->begin, recurrence->end - recurrence->begin);
    }
    request.due = absl::CivilMinute(recurrence->first) + recurrence->minutes.value_or(23 * 60 + 59);
    Blank(clause, recurrence->begin, recurrence->end);
  }
  std::vector<DatePhrase> dates;
  for (const DatePhrase& date : FindDatePhrases(text, now, options)) {
    if (clause.rest.substr(date.begin, date.end - date.begin).find_first_not_of(' ') ==
        std::string::npos) {
      continue;  // inside the recurrence
    }
    dates.push_back(date);
  }
  ReadPriority(clause, request);
  ReadTags(clause, request);
  if (intent == Intent::kList) {
    ReadListFilters(clause, request, now, dates);
    return request;
  }
  if (!dates.empty() && (intent == Intent::kAdd || intent == Intent::kUpdate)) {
    request.due = DueOf(dates[0]);
    Blank(clause, dates[0].begin, dates[0].end);
  }
  if (intent == Intent::kAdd) {
    std::optional<std::string> quoted = Quoted(clause);
    Blank(clause, 0, PolitePrefixLength(clause.rest));
    const std::string trimmed(absl::StripAsciiWhitespace(clause.rest));
    for (absl::string_view prefix : kAddPrefixes) {
      const size_t at = clause.rest.find(trimmed);
      if (StartsWithAny(trimmed, {prefix})) {
        Blank(clause, at, at + prefix.size());
        break;
      }
    }
    for (const char* filler : {"for me", "to my list", "on my list", "to my tasks", "please"}) {
      Take(clause, filler);
    }
    const std::string title = quoted.has_value() ? *quoted : Trimmed(Remaining(clause));
    if (!title.empty()) request.title = Capitalized(title);
    return request;
  }
  ReadTarget(clause, request);
  if (intent == Intent::kUpdate) {
    // "change task 1 to 'Call mom tonight'", "rename it to Call mom".
    if (std::optional<std::string> quoted = Quoted(clause)) {
      request.title = *quoted;
    } else if (const size_t to = FindWords(clause.rest, "to");
               to != std::string::npos &&
               (HasWords(clause.lower, "rename") || HasWords(clause.lower, "change") ||
                HasWords(clause.lower, "retitle"))) {
      Clause after = clause;
      Blank(after, 0, to + 2);
      const std::string title = Trimmed(Remaining(after));
      if (!title.empty() && !request.due.has_value() && !request.priority.has_value()) {
        request.title = title;
        Blank(clause, to, clause.rest.size());
      }
    }
  }
  if (request.target.kind == TaskReference::Kind::kNone) {
    const std::string words = NamingWords(clause);
    if (!words.empty()) request.target = {TaskReference::Kind::kWords, 0, 0, words};
  }
  return request;
}

}  // namespace

std::vector<Request> UnderstandMessage(absl::string_view text, absl::CivilSecond now,
                                       const DateOptions& options) {
  std::vector<Request> requests;
  for (const std::string& clause : Clauses(text)) {
    const Intent intent = IntentOf(absl::AsciiStrToLower(clause));
    if (intent == Intent::kOutOfScope && !requests.empty()) continue;
    requests.push_back(Read(std::string(absl::StripAsciiWhitespace(clause)), intent, now, options));
  }
  if (requests.empty()) requests.push_back(Request{});
  return requests;
}

}  // namespace todo::chat::language
