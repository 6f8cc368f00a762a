#pragma once

// What a message asks, read by rules: each request (a message may hold
// several: "add buy milk and show me all my tasks") with its intent and
// its slots. No tool runs here; the assistant resolves references ("it",
// "the first one") against the conversation and calls the tools.
//
// Conventions, decided once:
//   - A due date without a time is due at 23:59 that day (the end of the
//     day it names), so it is not overdue before the day is over.
//   - The title of a new task is the request without its command words and
//     its date, time, recurrence, priority and tag phrases, with its first
//     letter in capitals ("add call mom tomorrow at 5pm" -> "Call mom").
//   - A message that asks nothing about tasks is out of scope.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/chat/language/date_phrases.h"
#include "services/chat/language/recurrence_phrases.h"

namespace todo::chat::language {

enum class Intent {
  kAdd,
  kList,
  kComplete,
  kReopen,
  kDelete,
  kUpdate,
  kConfirm,  // "yes", "go ahead"
  kDecline,  // "no", "cancel that"
  kGreeting,
  kHelp,
  kOutOfScope,
};

// The tasks a bulk request is about, as list_tasks filters: "all my
// tasks", "all completed tasks", "all my work tasks", "my morning
// meetings" (a search for "meeting" due this morning).
struct TaskSet {
  std::string status = "all";
  std::optional<std::string> search;
  std::vector<std::string> tags;
  std::optional<absl::CivilMinute> due_from;
  std::optional<absl::CivilMinute> due_to;
  // Nothing but the status narrows it: every task of the user, or every
  // completed one ("delete everything", "complete all my tasks").
  bool everything = false;
};

// Which task a request is about.
struct TaskReference {
  enum class Kind {
    kNone,
    kId,       // "task 3", "#3"
    kOrdinal,  // "the first one", "the second task", "the last one"
    kPronoun,  // "it", "that one": the last task the conversation touched
    kWords,    // "the meeting task": words to search for
    kListed,   // "them", "all of those": every task of the last listing
    kSet,      // "all my tasks", "my morning meetings": `set`
  };
  Kind kind = Kind::kNone;
  long id = 0;        // kId
  int ordinal = 0;    // kOrdinal: 1 for "the first one"; -1 for "the last one"
  std::string words;  // kWords: "the meeting task" -> "meeting"
  TaskSet set;        // kSet
};

struct Request {
  Intent intent = Intent::kOutOfScope;
  // "en", or "ur" for a message read by the Urdu rules (urdu.h): the reply
  // is in the message's language.
  std::string language = "en";
  TaskReference target;
  // add_task / update_task fields, when said.
  std::optional<std::string> title;
  std::optional<std::string> priority;  // "low", "medium", "high"
  std::vector<std::string> tags;
  std::optional<absl::CivilMinute> due;
  // `due` was said as a day without a time ("Friday"): 23:59 of it, unless
  // a change keeps the task's own time of day ("no, I meant Friday").
  bool due_without_time = false;
  // `due` was said as a time without a day ("6pm"): the next such time,
  // unless a change keeps the task's own day ("sorry, 6pm instead").
  bool due_without_day = false;
  std::optional<std::string> recurrence;  // "daily", "weekly", "monthly", "none"
  // A recurrence the task service cannot keep ("every other week").
  std::optional<std::string> unsupported_recurrence;
  // list_tasks filters.
  std::string status = "all";
  std::optional<std::string> search;
  std::optional<absl::CivilMinute> due_from;
  std::optional<absl::CivilMinute> due_to;
  std::optional<std::string> sort;
};

// The requests of `text`, in order; `now` is the user's local time.
std::vector<Request> UnderstandMessage(absl::string_view text, absl::CivilSecond now,
                                       const DateOptions& options = {});

}  // namespace todo::chat::language
