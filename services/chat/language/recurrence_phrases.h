#pragma once

// How often something repeats, as people say it: "every day", "weekly",
// "every Friday at 5pm", "on Mondays", "each month", "every other week",
// "3pm every day", "quarterly". Resolved to a unit and an interval, the
// weekday or date it falls on, the time of day, and its first occurrence
// from the user's "now" (forward only: today's when its time is still
// ahead). Whether the task service can store it (daily, weekly, monthly,
// interval 1) is the assistant's concern, not this parser's.

#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/chat/language/date_phrases.h"

namespace todo::chat::language {

struct RecurrencePhrase {
  enum class Unit { kDay, kWeek, kMonth, kYear };
  // Byte offsets of the phrase (with its time of day when next to it).
  size_t begin = 0;
  size_t end = 0;
  Unit unit = Unit::kDay;
  int interval = 1;
  std::optional<absl::Weekday> weekday;
  // "on the 19th of every month": the day of the month.
  std::optional<int> day_of_month;
  // "each 4/15": the day of the year.
  std::optional<absl::CivilDay> date;
  // Minutes since midnight.
  std::optional<int> minutes;
  // The first occurrence, not before now.
  absl::CivilDay first;
};

std::optional<RecurrencePhrase> FindRecurrence(absl::string_view text, absl::CivilSecond now,
                                               const DateOptions& options = {});

}  // namespace todo::chat::language
