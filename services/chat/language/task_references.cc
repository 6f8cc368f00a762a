#include "services/chat/language/task_references.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "services/chat/language/intents.h"

namespace todo::chat::language::internal {
namespace {

// One task: "task 3", "#3", "the first one", "it", or quoted words.
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
       {"that one", "this one", "that task", "this task", "it", "that", "this"}) {
    if (Take(clause, pronoun)) {
      target.kind = TaskReference::Kind::kPronoun;
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

// "meetings" -> "meeting": a search matches the singular inside the plural.
std::string Singular(const std::string& word) {
  if (word.size() > 3 && absl::EndsWith(word, "s") && !absl::EndsWith(word, "ss")) {
    return word.substr(0, word.size() - 1);
  }
  return word;
}

// A part of the day used as a qualifier ("my morning meetings"): its
// range on `day`, and the word taken.
bool ReadPartOfDay(Clause& clause, absl::CivilDay day, TaskSet& set) {
  static constexpr std::pair<const char*, std::pair<int, int>> kParts[] = {
      {"morning", {0, 12}}, {"afternoon", {12, 18}}, {"evening", {18, 24}}};
  const std::vector<std::string> words = Words(clause.rest);
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    for (const auto& [part, hours] : kParts) {
      if (words[i] != part || Singular(words[i + 1]) == words[i + 1]) continue;
      set.due_from = absl::CivilMinute(absl::CivilHour(day) + hours.first);
      set.due_to = absl::CivilMinute(absl::CivilHour(day) + hours.second);
      Take(clause, part);
      return true;
    }
  }
  return false;
}

// Several tasks: "all my completed tasks", "every work task", "my morning
// meetings". False (and nothing taken) when the clause names no set.
bool ReadTaskSet(Clause& clause, Request& request, absl::CivilSecond now) {
  TaskSet set;
  bool quantified = false;
  for (const char* quantifier :
       {"all of my", "all my", "all of the", "all the", "all", "every", "each", "everything"}) {
    while (Take(clause, quantifier)) quantified = true;
  }
  absl::CivilDay day = absl::CivilDay(now);
  if (Take(clause, "tomorrow's")) day += 1, quantified = true;
  const bool today = Take(clause, "today's");
  const bool part_of_day = ReadPartOfDay(clause, day, set);
  if (!quantified && !today && !part_of_day) return false;
  if (today && !part_of_day) {
    set.due_from = absl::CivilMinute(day);
    set.due_to = absl::CivilMinute(day + 1);
  }
  // Which ones by state: what the command implies, else what was said.
  const Intent intent = request.intent;
  if (intent == Intent::kComplete || intent == Intent::kUpdate) set.status = "pending";
  if (intent == Intent::kReopen) set.status = "completed";
  if (intent == Intent::kDelete) {
    for (const char* word : {"completed", "done", "finished"}) {
      if (Take(clause, word)) set.status = "completed";
    }
    for (const char* word : {"pending", "open", "unfinished", "incomplete", "outstanding"}) {
      if (Take(clause, word)) set.status = "pending";
    }
  }
  if (Take(clause, "overdue")) {
    set.status = "pending";
    set.due_to = absl::CivilMinute(now);
  }
  // "#work" is which tasks, except where it is what an update sets.
  if (intent != Intent::kUpdate) set.tags = std::exchange(request.tags, {});
  // "all my work tasks": the word before "tasks" is a tag; the other words
  // left ("meetings") are searched for, singular.
  NamingWords(clause);  // takes the command's own words
  const std::vector<std::string> words = Words(clause.rest);
  const auto is_noun = [](const std::string& word) {
    return word == "tasks" || word == "task" || word == "items";
  };
  std::vector<std::string> search;
  for (size_t i = 0; i < words.size(); ++i) {
    if (is_noun(words[i]) || IsFiller(words[i])) continue;
    if (i + 1 < words.size() && is_noun(words[i + 1]) && set.tags.empty()) {
      set.tags.push_back(words[i]);
    } else {
      search.push_back(Singular(words[i]));
    }
  }
  if (!search.empty()) set.search = absl::StrJoin(search, " ");
  set.everything = !set.search.has_value() && set.tags.empty() && !set.due_from.has_value() &&
                   !set.due_to.has_value();
  request.target.kind = TaskReference::Kind::kSet;
  request.target.set = std::move(set);
  return true;
}

}  // namespace

void ReadTaskReference(Clause& clause, Request& request, absl::CivilSecond now) {
  for (const char* listed : {"all of them", "all of those", "all of these", "them all",
                             "both of them", "those tasks", "these tasks", "them", "those"}) {
    if (Take(clause, listed)) {
      request.target.kind = TaskReference::Kind::kListed;
      return;
    }
  }
  ReadTarget(clause, request);
  if (request.target.kind != TaskReference::Kind::kNone) return;
  if (ReadTaskSet(clause, request, now)) return;
  const std::string words = NamingWords(clause);
  if (!words.empty()) request.target = {TaskReference::Kind::kWords, 0, 0, words};
}

}  // namespace todo::chat::language::internal
