// The date rules of the phrase parser (phrase_parser.h).

#include <algorithm>
#include <string>

#include "services/chat/language/phrase_parser.h"

namespace todo::chat::language::internal {

std::optional<Piece> Parser::DateAt(size_t i) const {
  for (auto rule : {&Parser::RelativeAt, &Parser::NumericAt, &Parser::NthWeekdayAt,
                    &Parser::MonthDayAt, &Parser::WeekdayAt, &Parser::PeriodAt}) {
    if (std::optional<Piece> piece = (this->*rule)(i)) return piece;
  }
  return std::nullopt;
}

// today, tonight, tomorrow, yesterday, the day after tomorrow, in 3 days,
// two weeks from now, a month ago, in 2 hours.
std::optional<Piece> Parser::RelativeAt(size_t i) const {
  size_t at = i;
  if (WordAt(at, "the")) ++at;
  if (WordAt(at, "day") && (WordAt(at + 1, "after") || WordAt(at + 1, "before"))) {
    const bool after = WordAt(at + 1, "after");
    if (after && (WordAt(at + 2, "tomorrow") || WordAt(at + 2, "tmrw"))) {
      return Piece{at + 3, today_ + 2};
    }
    if (!after && WordAt(at + 2, "yesterday")) return Piece{at + 3, today_ - 2, {}, true};
  }
  // Fixed-date holidays, forward only.
  struct Holiday {
    const char* first;
    const char* second;  // "" when one word
    int month;
    int day;
  };
  static constexpr Holiday kHolidays[] = {
      {"christmas", "eve", 12, 24},  {"christmas", "", 12, 25},   {"xmas", "", 12, 25},
      {"new", "year's", 1, 1},       {"new", "year", 1, 1},       {"halloween", "", 10, 31},
      {"valentine's", "day", 2, 14}, {"valentines", "day", 2, 14}};
  for (const Holiday& holiday : kHolidays) {
    if (!WordAt(i, holiday.first)) continue;
    size_t end = i + 1;
    if (*holiday.second != '\0') {
      if (!WordAt(end, holiday.second)) continue;
      ++end;
    }
    if (WordAt(end, "day") || WordAt(end, "eve")) {
      if (WordAt(end, "eve") && holiday.month == 1) {
        return Piece{end + 1, Forward(12, 31, std::nullopt)};
      }
      if (WordAt(end, "day")) ++end;
    }
    return Piece{end, Forward(holiday.month, holiday.day, std::nullopt)};
  }
  if (WordAt(i, "today")) return Piece{i + 1, today_};
  if (WordAt(i, "tonight")) return Piece{i + 1, today_, 20 * 60};
  if (WordAt(i, "tomorrow") || WordAt(i, "tmrw") || WordAt(i, "tmr") || WordAt(i, "tomorow")) {
    return Piece{i + 1, today_ + 1};
  }
  if (WordAt(i, "yesterday")) return Piece{i + 1, today_ - 1, {}, true};
  if (WordAt(i, "next") && WordAt(i + 1, "day")) return Piece{i + 2, today_ + 1};

  // [in] N unit(s) [from now | from today | from tomorrow | later | ago]
  at = i;
  const bool in = WordAt(at, "in") || WordAt(at, "within");
  if (in) ++at;
  // One or more terms: "3 days", "1 month 21 days", "2 years, 1 month and
  // 21 days", "a couple of weeks", "four business days", "two sundays".
  struct Term {
    int count = 0;
    std::string unit;  // singular
    std::optional<absl::Weekday> weekday;
  };
  std::vector<Term> terms;
  for (;;) {
    Term term;
    size_t next = at;
    if (WordAt(next, "a") || WordAt(next, "an") || WordAt(next, "few")) {
      term.count = WordAt(next, "few") ? 3 : 1;
      ++next;
      if (WordAt(next, "couple")) term.count = 2, next += WordAt(next + 1, "of") ? 2 : 1;
      if (WordAt(next, "few")) term.count = 3, ++next;
    } else if (const Token* number = At(next); number != nullptr && number->IsNumber()) {
      if (number->value < 1 || number->value > 999 || number->ordinal) break;
      term.count = static_cast<int>(number->value);
      ++next;
    } else if (std::optional<WordNumber> word = WordNumberAt(tokens_, next);
               word.has_value() && !word->ordinal) {
      term.count = word->value;
      next = word->next;
    } else {
      break;
    }
    if (WordAt(next, "business") || WordAt(next, "working")) term.unit = "business ", ++next;
    const Token* unit = At(next);
    if (unit == nullptr || unit->kind != Token::Kind::kWord) break;
    std::string name = unit->text;
    if (name.size() > 1 && name.back() == 's') name.pop_back();
    if (name == "min" || name == "minute") name = "minute";
    if (name == "hr" || name == "hour") name = "hour";
    if (WeekdayOf(*unit).has_value()) name = "weekday", term.weekday = WeekdayOf(*unit);
    term.unit += name;
    terms.push_back(term);
    at = next + 1;
    // Another term after ",", "and" or nothing.
    size_t more = at;
    if (MarkAt(more, ',')) ++more;
    if (WordAt(more, "and")) ++more;
    const Token* following = At(more);
    if (following == nullptr || !(following->IsNumber() || WordNumberAt(tokens_, more) ||
                                  WordAt(more, "a") || WordAt(more, "an"))) {
      break;
    }
    at = more;
  }
  if (terms.empty()) return std::nullopt;
  int direction = 0;
  absl::CivilDay base = today_;
  if (in) {
    direction = 1;
  } else if (WordAt(at, "from") || WordAt(at, "after")) {
    direction = 1;
    if (WordAt(at + 1, "now") || WordAt(at + 1, "today")) {
      at += 2;
    } else if (WordAt(at + 1, "tomorrow")) {
      base = today_ + 1, at += 2;
    } else if (WordAt(at + 1, "yesterday")) {
      base = today_ - 1, at += 2;
    } else {
      return std::nullopt;
    }
  } else if (WordAt(at, "later") || WordAt(at, "hence")) {
    direction = 1, ++at;
  } else if (WordAt(at, "ago")) {
    direction = -1, ++at;
  } else if (WordAt(at, "before") && WordAt(at + 1, "yesterday")) {
    direction = -1, base = today_ - 1, at += 2;
  } else {
    return std::nullopt;
  }
  int months = 0;
  int days = 0;
  int minutes = 0;
  for (const Term& term : terms) {
    const int n = direction * term.count;
    if (term.unit == "minute") {
      minutes += n;
    } else if (term.unit == "hour") {
      minutes += 60 * n;
    } else if (term.unit == "day") {
      days += n;
    } else if (term.unit == "week") {
      days += 7 * n;
    } else if (term.unit == "month") {
      months += n;
    } else if (term.unit == "year") {
      months += 12 * n;
    } else if (term.unit == "weekday" && terms.size() == 1 && n > 0) {
      int delta = (MondayIndex(*term.weekday) - MondayIndex(absl::GetWeekday(base)) + 7) % 7;
      if (delta == 0) delta = 7;
      return Piece{at, base + delta + 7 * (n - 1)};
    } else if (term.unit == "business day" && terms.size() == 1 && n > 0) {
      absl::CivilDay day = base;
      for (int left = n; left > 0;) {
        ++day;
        const absl::Weekday weekday = absl::GetWeekday(day);
        if (weekday != absl::Weekday::saturday && weekday != absl::Weekday::sunday) --left;
      }
      return Piece{at, day};
    } else {
      return std::nullopt;
    }
  }
  if (minutes != 0) {
    if (base != today_ || months != 0 || days != 0) return std::nullopt;
    const absl::CivilMinute when = absl::CivilMinute(now_) + minutes;
    return Piece{at, absl::CivilDay(when),
                 static_cast<int>(when - absl::CivilMinute(absl::CivilDay(when))), minutes < 0};
  }
  absl::CivilDay day = base;
  if (months != 0) {
    const absl::CivilMonth month = absl::CivilMonth(base) + months;
    const int last = static_cast<int>(absl::CivilDay(month + 1) - absl::CivilDay(month));
    day = absl::CivilDay(month.year(), month.month(), std::min(static_cast<int>(base.day()), last));
  }
  day += days;
  return Piece{at, day, {}, direction < 0};
}

// [this|next|last|coming] <weekday> [next week | of next week], and
// next week [on] <weekday>.
std::optional<Piece> Parser::WeekdayAt(size_t i) const {
  const absl::CivilDay week_start = today_ - MondayIndex(absl::GetWeekday(today_));
  size_t at = i;
  int week = 0;  // 0: bare, 1: this, 2: next, -1: last
  if (WordAt(at, "this"))
    week = 1, ++at;
  else if (WordAt(at, "next") || WordAt(at, "following"))
    week = 2, ++at;
  else if (WordAt(at, "last") || WordAt(at, "previous"))
    week = -1, ++at;
  else if (WordAt(at, "coming"))
    ++at;
  // "next week [on] friday"
  if (week != 0 && WordAt(at, "week")) {
    size_t day_at = at + 1;
    if (WordAt(day_at, "on")) ++day_at;
    if (const Token* token = At(day_at); token != nullptr && WeekdayOf(*token).has_value()) {
      const int offset = week == 2 ? 7 : week == -1 ? -7 : 0;
      return Piece{
          day_at + 1, week_start + offset + MondayIndex(*WeekdayOf(*token)), {}, week == -1};
    }
    return std::nullopt;
  }
  const Token* token = At(at);
  if (token == nullptr || !WeekdayOf(*token).has_value()) return std::nullopt;
  const int index = MondayIndex(*WeekdayOf(*token));
  ++at;
  if (week == 0) {
    // "friday next week", "sunday of next week"
    size_t after = at;
    if (WordAt(after, "of")) ++after;
    if ((WordAt(after, "next") || WordAt(after, "this") || WordAt(after, "last")) &&
        WordAt(after + 1, "week")) {
      const int offset = WordAt(after, "next") ? 7 : WordAt(after, "last") ? -7 : 0;
      return Piece{after + 2, week_start + offset + index, {}, offset < 0};
    }
    // "thursday the 21st" names a day of the month: left to that rule.
    if (WordAt(at, "the") || (At(at) != nullptr && At(at)->IsNumber() && At(at)->ordinal)) {
      return std::nullopt;
    }
    int delta = (index - MondayIndex(absl::GetWeekday(today_)) + 7) % 7;
    if (delta == 0) delta = 7;
    return Piece{at, today_ + delta};
  }
  if (week == 1) {
    absl::CivilDay day = week_start + index;
    if (day < today_) day += 7;
    return Piece{at, day};
  }
  if (week == 2) return Piece{at, week_start + 7 + index};
  return Piece{at, week_start - 7 + index, {}, true};
}

// March 12, Mar. 12th, 12 March, the 12th of March, 12th of next month,
// [weekday,] the 15th, on 15, with an optional year.
std::optional<Piece> Parser::MonthDayAt(size_t i) const {
  size_t at = i;
  if (const Token* token = At(at); token != nullptr && WeekdayOf(*token).has_value()) {
    ++at;
    if (MarkAt(at, ',')) ++at;
  }
  const size_t start = at;
  // Month first.
  if (const Token* token = At(at); token != nullptr && MonthOf(*token).has_value()) {
    const int month = *MonthOf(*token);
    size_t day_at = at + 1;
    while (MarkAt(day_at, '.') || MarkAt(day_at, '-') || MarkAt(day_at, '/')) ++day_at;
    if (WordAt(day_at, "the")) ++day_at;
    if (std::optional<WordNumber> day = DayNumberAt(tokens_, day_at)) {
      size_t end = day->next;
      if (MarkAt(end, ':') || WordAt(end, "am") || WordAt(end, "pm")) return std::nullopt;
      std::optional<int> year = YearAt(end, &end);
      std::optional<absl::CivilDay> resolved = Forward(month, day->value, year);
      if (!resolved.has_value()) return std::nullopt;
      return Piece{end, resolved, {}, *resolved < today_};
    }
    return std::nullopt;
  }
  const std::optional<absl::Weekday> weekday =
      start > i ? WeekdayOf(tokens_[i]) : std::optional<absl::Weekday>();
  // Day first: [the] 12[th] [of] March | [of] next/this month.
  if (WordAt(at, "the")) ++at;
  std::optional<WordNumber> day = DayNumberAt(tokens_, at);
  if (!day.has_value()) return std::nullopt;
  size_t after = day->next;
  while (MarkAt(after, '.')) ++after;
  const bool of = WordAt(after, "of");
  if (of) ++after;
  if (const Token* token = At(after); token != nullptr && MonthOf(*token).has_value()) {
    size_t end = after + 1;
    while (MarkAt(end, '.')) ++end;
    std::optional<int> year = YearAt(end, &end);
    std::optional<absl::CivilDay> resolved = Forward(*MonthOf(*token), day->value, year);
    if (!resolved.has_value()) return std::nullopt;
    return Piece{end, resolved, {}, *resolved < today_};
  }
  if (of && (WordAt(after, "next") || WordAt(after, "this")) && WordAt(after + 1, "month")) {
    const absl::CivilMonth month = absl::CivilMonth(today_) + (WordAt(after, "next") ? 1 : 0);
    if (!ValidDay(static_cast<int>(month.year()), month.month(), day->value)) return std::nullopt;
    return Piece{after + 2, absl::CivilDay(month.year(), month.month(), day->value)};
  }
  // "the 15th", "on the 27th", "on 15": a day of this month, or the next.
  const bool named = WordAt(start, "the") || day->ordinal || (start > 0 && WordAt(start - 1, "on"));
  // "the 1st quarter", "3rd floor", "2nd time": an ordinal of something else.
  for (const char* noun : {"quarter", "floor", "time", "place", "grade", "century", "edition",
                           "year", "week", "day", "item", "task", "one", "attempt", "round"}) {
    if (WordAt(day->next, noun) || (WordAt(day->next, std::string(noun) + "s"))) {
      return std::nullopt;
    }
  }
  if ((MarkAt(day->next, '/') || MarkAt(day->next, '-') || MarkAt(day->next, '.')) &&
      At(day->next + 1) != nullptr && At(day->next + 1)->IsNumber()) {
    return std::nullopt;  // a numeric date or a decimal, not "the 27."
  }
  const Token* next = At(day->next);
  const bool looks_like_time = next != nullptr && (next->IsMark(':') || next->Is("am") ||
                                                   next->Is("pm") || next->Is("o'clock"));
  if (!named || looks_like_time ||
      (At(day->next) != nullptr && At(day->next)->kind == Token::Kind::kWord && !of &&
       !day->ordinal && !WordAt(start, "the"))) {
    return std::nullopt;
  }
  // With a weekday ("friday the 13th"), the next month where they agree.
  const int months = weekday.has_value() ? 28 : 3;
  for (absl::CivilMonth month = absl::CivilMonth(today_); month < absl::CivilMonth(today_) + months;
       ++month) {
    if (ValidDay(static_cast<int>(month.year()), month.month(), day->value)) {
      const absl::CivilDay candidate(month.year(), month.month(), day->value);
      if (candidate >= today_ &&
          (!weekday.has_value() || absl::GetWeekday(candidate) == *weekday)) {
        return Piece{day->next, candidate};
      }
    }
  }
  return std::nullopt;
}

// 4/22, 22/04, 3-7-2017, 2015/08/12, 2026-03-12, 13.5.2015.
std::optional<Piece> Parser::NumericAt(size_t i) const {
  const Token* first = At(i);
  if (first == nullptr || !first->IsNumber() || first->ordinal) return std::nullopt;
  const Token* separator = At(i + 1);
  if (separator == nullptr ||
      !(separator->IsMark('/') || separator->IsMark('-') || separator->IsMark('.'))) {
    return std::nullopt;
  }
  const char mark = separator->text[0];
  const Token* second = At(i + 2);
  // "2019-sep-1", "2019/sep/01".
  if (second != nullptr && first->digits == 4 && MonthOf(*second).has_value() &&
      MarkAt(i + 3, mark)) {
    std::optional<WordNumber> day = DayNumberAt(tokens_, i + 4);
    if (!day.has_value()) return std::nullopt;
    std::optional<absl::CivilDay> resolved =
        Forward(*MonthOf(*second), day->value, static_cast<int>(first->value));
    if (!resolved.has_value()) return std::nullopt;
    return Piece{day->next, resolved, {}, *resolved < today_};
  }
  if (second == nullptr || !second->IsNumber() || second->digits > 2) return std::nullopt;
  const Token* third = nullptr;
  size_t end = i + 3;
  // The year after the same mark, or after a comma ("08/12,2015").
  if ((MarkAt(i + 3, mark) || (mark != '.' && MarkAt(i + 3, ','))) && At(i + 4) != nullptr &&
      At(i + 4)->IsNumber() && (MarkAt(i + 3, mark) || At(i + 4)->digits != 1)) {
    third = At(i + 4);
    end = i + 5;
  }
  // Not a range or a quantity: "1-2 hours", "12.5%", "2.1".
  if (const Token* after = At(end);
      after != nullptr && (after->IsMark('%') || IsQuantityWord(*after))) {
    return std::nullopt;
  }
  if (mark == '.' && (third == nullptr || (first->digits != 4 && third->digits != 4))) {
    return std::nullopt;
  }
  int year = 0;
  int month = 0;
  int day = 0;
  if (first->digits == 4) {  // y/m/d
    if (third == nullptr || third->digits > 2) return std::nullopt;
    year = static_cast<int>(first->value);
    month = static_cast<int>(second->value);
    day = static_cast<int>(third->value);
  } else {
    if (first->digits > 2) return std::nullopt;
    const int a = static_cast<int>(first->value);
    const int b = static_cast<int>(second->value);
    const bool day_first = mark == '.' || options_.day_first;
    if (a > 12 && b <= 12) {
      day = a, month = b;
    } else if (b > 12 && a <= 12) {
      month = a, day = b;
    } else if (day_first) {
      day = a, month = b;
    } else {
      month = a, day = b;
    }
    if (third != nullptr) {
      if (third->digits == 4) {
        year = static_cast<int>(third->value);
      } else if (third->digits == 2) {
        year = static_cast<int>(third->value) + (third->value <= 50 ? 2000 : 1900);
      } else {
        return std::nullopt;
      }
    }
  }
  std::optional<absl::CivilDay> resolved =
      Forward(month, day, third != nullptr ? std::optional<int>(year) : std::nullopt);
  if (!resolved.has_value()) return std::nullopt;
  return Piece{end, resolved, {}, *resolved < today_};
}

}  // namespace todo::chat::language::internal
