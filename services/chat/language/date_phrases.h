#pragma once

// Dates and times as people write them in English, found in a message and
// resolved against the user's local "now". The conventions, decided once:
//   - Forward only: a phrase without a year or week names its next
//     occurrence not before today ("March 12" said in April is next year's;
//     "the 15th" said on the 20th is next month's). A bare weekday is its
//     next occurrence after today ("Friday" said on a Friday is a week on).
//   - "this <weekday>" is that day of the current Monday-Sunday week, or of
//     the next when it has passed; "next <weekday>" is that day of the
//     following Monday-Sunday week (as Recognizers-Text, Duckling and chrono
//     agree); "<weekday> next week" and "next week on <weekday>" the same.
//   - A time without a date is today's when it is still ahead, else
//     tomorrow's. Hours 1-6 without am/pm are afternoon ("at 5" is 17:00);
//     7-12 are as written. morning 09:00, afternoon 15:00, evening 19:00,
//     tonight and night 20:00, noon 12:00, midnight 23:59 (the end of that
//     day: "by midnight").
//   - Numeric dates: "a/b" and "a-b" are month/day unless `day_first` (the
//     assistant sets it from the user's time zone; the day that cannot be
//     a month decides either way: "22/04" is 22 April). Dotted numbers are
//     dates only with a four-digit year ("13.5.2015"), so "version 2.1" and
//     "12.5%" are not dates; neither is a lone number ("pay ABC 2000").
//   - "next week" is its Monday, "next month" its 1st, "end of the month"
//     its last day, "end of the week" its Sunday, "the weekend" Saturday.

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace todo::chat::language {

struct DateOptions {
  bool day_first = false;
};

struct DatePhrase {
  // Byte offsets of the phrase in the text: [begin, end).
  size_t begin = 0;
  size_t end = 0;
  absl::CivilDay day;
  // With a time of day, or a date only.
  std::optional<absl::CivilMinute> time;
  // The phrase names a past day ("yesterday", "two days ago", "last Monday").
  bool past = false;
  // A time without a day ("at 6pm"): today's if still ahead, else tomorrow's.
  bool time_only = false;
};

// Every date or date-time phrase of `text`, in order, resolved against
// `now` (the user's local date and time).
std::vector<DatePhrase> FindDatePhrases(absl::string_view text, absl::CivilSecond now,
                                        const DateOptions& options = {});

}  // namespace todo::chat::language
