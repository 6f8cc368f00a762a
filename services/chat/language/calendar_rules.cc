// The phrase parser's rules that name a place in the calendar rather than
// a day (phrase_parser.h): periods ("next week", "end of the month", "the
// weekend") and the Nth weekday of a month ("the second Monday of next
// month").

#include <algorithm>

#include "services/chat/language/phrase_parser.h"

namespace todo::chat::language::internal {

// next week / month / year, (the) end of the month / week, (the) weekend.
std::optional<Piece> Parser::PeriodAt(size_t i) const {
  const absl::CivilDay week_start = today_ - MondayIndex(absl::GetWeekday(today_));
  size_t at = i;
  if (WordAt(at, "the")) ++at;
  if ((WordAt(at, "end") || WordAt(at, "eom")) && WordAt(at + 1, "of")) {
    size_t what = at + 2;
    if (WordAt(what, "the")) ++what;
    int offset = 0;
    if (WordAt(what, "this")) ++what;
    if (WordAt(what, "next")) offset = 1, ++what;
    if (WordAt(what, "month")) {
      const absl::CivilMonth month = absl::CivilMonth(today_) + offset;
      return Piece{what + 1, absl::CivilDay(month + 1) - 1};
    }
    if (WordAt(what, "week")) return Piece{what + 1, week_start + 7 * offset + 6};
    if (WordAt(what, "year")) {
      return Piece{what + 1, absl::CivilDay(absl::CivilYear(today_) + offset + 1) - 1};
    }
    return std::nullopt;
  }
  at = i;
  int offset = -1;
  if (WordAt(at, "next"))
    offset = 1, ++at;
  else if (WordAt(at, "this"))
    offset = 0, ++at;
  if (WordAt(at, "weekend")) {
    absl::CivilDay saturday = week_start + 5 + 7 * std::max(offset, 0);
    if (saturday < today_) saturday += 7;
    return Piece{at + 1, saturday};
  }
  if (offset != 1) return std::nullopt;
  if (WordAt(at, "week")) return Piece{at + 1, week_start + 7};
  if (WordAt(at, "month")) return Piece{at + 1, absl::CivilDay(absl::CivilMonth(today_) + 1)};
  if (WordAt(at, "year")) return Piece{at + 1, absl::CivilDay(absl::CivilYear(today_) + 1)};
  return std::nullopt;
}

// [the] first|second|third|fourth|fifth|last <weekday> [of|in] [<month> |
// this month | next month | previous month]: without a month, this
// month's, or next month's once passed.
std::optional<Piece> Parser::NthWeekdayAt(size_t i) const {
  size_t at = i;
  if (WordAt(at, "the")) ++at;
  int nth = 0;
  if (WordAt(at, "last")) {
    nth = -1;
  } else if (std::optional<WordNumber> ordinal = WordNumberAt(tokens_, at);
             ordinal.has_value() && ordinal->ordinal && ordinal->value <= 5) {
    nth = ordinal->value;
  } else if (const Token* number = At(at);
             number != nullptr && number->IsNumber() && number->ordinal && number->value <= 5) {
    nth = static_cast<int>(number->value);
  } else {
    return std::nullopt;
  }
  const Token* day_token = At(at + 1);
  if (day_token == nullptr || !WeekdayOf(*day_token).has_value()) return std::nullopt;
  const absl::Weekday weekday = *WeekdayOf(*day_token);
  at += 2;
  std::optional<absl::CivilMonth> month;
  bool fixed = false;
  bool named_month = false;
  size_t after = at;
  if (WordAt(after, "of") || WordAt(after, "in")) ++after;
  if (const Token* named = At(after); named != nullptr && MonthOf(*named).has_value()) {
    absl::CivilMonth candidate(today_.year(), *MonthOf(*named));
    month = candidate, at = after + 1, named_month = true;
  } else {
    size_t which = after;
    if (WordAt(which, "the")) ++which;
    int offset = 2;  // none
    if (WordAt(which, "this")) offset = 0;
    if (WordAt(which, "next")) offset = 1;
    if (WordAt(which, "previous") || WordAt(which, "last")) offset = -1;
    if (offset == 2 && WordAt(which, "month") && which > after) {
      month = absl::CivilMonth(today_), at = which + 1;  // "of the month"
    } else if (offset != 2 && WordAt(which + 1, "month")) {
      month = absl::CivilMonth(today_) + offset, at = which + 2, fixed = true;
    }
  }
  const auto nth_of = [&](absl::CivilMonth in) -> std::optional<absl::CivilDay> {
    if (nth > 0) {
      const absl::CivilDay first(in);
      const int delta = (MondayIndex(weekday) - MondayIndex(absl::GetWeekday(first)) + 7) % 7;
      const absl::CivilDay day = first + delta + 7 * (nth - 1);
      if (absl::CivilMonth(day) != in) return std::nullopt;
      return day;
    }
    const absl::CivilDay last = absl::CivilDay(in + 1) - 1;
    return last - (MondayIndex(absl::GetWeekday(last)) - MondayIndex(weekday) + 7) % 7;
  };
  if (!month.has_value()) {
    if (nth < 0) return std::nullopt;  // "last sunday" is a weekday rule's
    month = absl::CivilMonth(today_);
  }
  std::optional<absl::CivilDay> day = nth_of(*month);
  // Forward only, unless the month was named relative to this one.
  for (int tries = 0; !fixed && tries < 12 && (!day.has_value() || *day < today_); ++tries) {
    *month = *month + (named_month ? 12 : 1);
    day = nth_of(*month);
  }
  if (!day.has_value()) return std::nullopt;
  return Piece{at, day, {}, *day < today_};
}

}  // namespace todo::chat::language::internal
