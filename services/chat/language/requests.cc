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
#include "services/chat/language/clause.h"
#include "services/chat/language/intents.h"
#include "services/chat/language/task_references.h"
#include "services/chat/language/urdu.h"

namespace todo::chat::language {
namespace {

using internal::Blank;
using internal::Capitalized;
using internal::Clause;
using internal::ClauseOf;
using internal::Clauses;
using internal::FindWords;
using internal::HasWords;
using internal::IntentOf;
using internal::IsFiller;
using internal::kAddPrefixes;
using internal::PolitePrefixLength;
using internal::Quoted;
using internal::ReadTaskReference;
using internal::Remaining;
using internal::StartsWithAny;
using internal::Take;
using internal::Trimmed;
using internal::Words;

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
  Clause clause = ClauseOf(text);
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
    request.due_without_time = !recurrence->minutes.has_value();
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
    // "What are my high priority tasks?" asks about work still to do;
    // "all my high priority tasks" about every one.
    if (request.priority.has_value() && request.status == "all" && !HasWords(clause.lower, "all")) {
      request.status = "pending";
    }
    return request;
  }
  if (!dates.empty() && (intent == Intent::kAdd || intent == Intent::kUpdate)) {
    request.due = DueOf(dates[0]);
    request.due_without_time = !dates[0].time.has_value();
    request.due_without_day = dates[0].time_only;
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
  ReadTaskReference(clause, request, now);
  return request;
}

}  // namespace

std::vector<Request> UnderstandMessage(absl::string_view text, absl::CivilSecond now,
                                       const DateOptions& options) {
  std::vector<Request> requests;
  for (const std::string& clause : Clauses(text)) {
    const std::string lower = absl::AsciiStrToLower(clause);
    const std::string trimmed(absl::StripAsciiWhitespace(clause));
    const Intent intent = IntentOf(lower);
    // A correction that names no command ("no, I meant Friday", "actually,
    // high priority") changes the task the conversation last touched.
    if (intent == Intent::kOutOfScope && internal::IsCorrection(lower)) {
      Request correction = Read(trimmed, Intent::kUpdate, now, options);
      if (correction.due.has_value() || correction.priority.has_value() ||
          !correction.tags.empty() || correction.recurrence.has_value()) {
        if (correction.target.kind == TaskReference::Kind::kWords ||
            correction.target.kind == TaskReference::Kind::kNone) {
          correction.target = TaskReference{TaskReference::Kind::kPronoun};
        }
        requests.push_back(std::move(correction));
        continue;
      }
    }
    if (intent == Intent::kOutOfScope && !requests.empty()) continue;
    requests.push_back(Read(trimmed, intent, now, options));
  }
  if (requests.empty()) requests.push_back(Request{});
  // Nothing English in an Urdu message: the Urdu rules read it.
  if (requests.size() == 1 && requests[0].intent == Intent::kOutOfScope && IsUrdu(text)) {
    return UnderstandUrdu(text, now);
  }
  return requests;
}

}  // namespace todo::chat::language
