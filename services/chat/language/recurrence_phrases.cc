#include "services/chat/language/recurrence_phrases.h"

#include <vector>

#include "services/chat/language/phrase_parser.h"
#include "services/chat/language/tokens.h"

namespace todo::chat::language {
namespace {

using internal::MonthOf;
using internal::WeekdayOf;
using internal::WordNumberAt;
using Unit = RecurrencePhrase::Unit;

// A word that is a frequency by itself.
std::optional<std::pair<Unit, int>> FrequencyWord(const Token& token) {
  const std::string& word = token.text;
  if (word == "daily" || word == "everyday" || word == "nightly") return {{Unit::kDay, 1}};
  if (word == "weekly") return {{Unit::kWeek, 1}};
  if (word == "biweekly" || word == "fortnightly") return {{Unit::kWeek, 2}};
  if (word == "monthly") return {{Unit::kMonth, 1}};
  if (word == "quarterly") return {{Unit::kMonth, 3}};
  if (word == "annually" || word == "annual" || word == "yearly") return {{Unit::kYear, 1}};
  return std::nullopt;
}

std::optional<Unit> UnitWord(const Token& token) {
  std::string word = token.text;
  if (word.size() > 1 && word.back() == 's') word.pop_back();
  if (word == "day") return Unit::kDay;
  if (word == "week") return Unit::kWeek;
  if (word == "month") return Unit::kMonth;
  if (word == "year") return Unit::kYear;
  return std::nullopt;
}

// "morning" or "mornings": the part of the day's default time.
std::optional<int> PartOfDayMinutes(const Token& token) {
  absl::string_view word = token.text;
  if (word.size() > 1 && word.back() == 's') word.remove_suffix(1);
  return internal::PartOfDayMinutes(word);
}

bool PluralWeekday(const Token& token) {
  return WeekdayOf(token).has_value() && token.text.size() > 3 && token.text.back() == 's' &&
         token.text != "tues" && token.text != "thurs";
}

}  // namespace

std::optional<RecurrencePhrase> FindRecurrence(absl::string_view text, absl::CivilSecond now,
                                               const DateOptions& options) {
  const std::vector<Token> tokens = Tokenize(text);
  const auto word = [&](size_t i, absl::string_view w) {
    return i < tokens.size() && tokens[i].Is(w);
  };
  std::optional<RecurrencePhrase> found;
  size_t first_token = 0;
  size_t last_token = 0;
  for (size_t i = 0; i < tokens.size() && !found.has_value(); ++i) {
    RecurrencePhrase phrase;
    size_t end = i + 1;
    if (std::optional<std::pair<Unit, int>> frequency = FrequencyWord(tokens[i])) {
      phrase.unit = frequency->first, phrase.interval = frequency->second;
    } else if ((word(i, "once") || word(i, "one")) && (word(i + 1, "a") || word(i + 1, "per")) &&
               i + 2 < tokens.size() && UnitWord(tokens[i + 2]).has_value()) {
      phrase.unit = *UnitWord(tokens[i + 2]);
      end = i + 3;
    } else if (word(i, "every") || word(i, "each")) {
      size_t at = i + 1;
      if (word(at, "other")) {
        phrase.interval = 2, ++at;
      } else if (at + 1 < tokens.size() && tokens[at].IsNumber() && tokens[at].value > 0 &&
                 tokens[at].value < 100 && UnitWord(tokens[at + 1]).has_value()) {
        phrase.interval = static_cast<int>(tokens[at].value), ++at;
      } else if (std::optional<internal::WordNumber> count = WordNumberAt(tokens, at);
                 count.has_value() && !count->ordinal && count->value > 1) {
        phrase.interval = count->value, at = count->next;
      }
      if (at >= tokens.size()) continue;
      if (std::optional<Unit> unit = UnitWord(tokens[at])) {
        phrase.unit = *unit;
      } else if (tokens[at].Is("weekend") || tokens[at].Is("weekends")) {
        phrase.unit = Unit::kWeek, phrase.weekday = absl::Weekday::saturday;
      } else if (WeekdayOf(tokens[at]).has_value()) {
        phrase.unit = Unit::kWeek, phrase.weekday = WeekdayOf(tokens[at]);
      } else if (std::optional<int> part = PartOfDayMinutes(tokens[at])) {
        phrase.unit = Unit::kDay, phrase.minutes = part;
      } else {
        // "each 4/15", "every March 3rd": a day of the year.
        std::vector<DatePhrase> dates =
            FindDatePhrases(text.substr(tokens[at].begin),
                            absl::CivilSecond(absl::CivilDay(now.year(), 1, 1)), options);
        if (dates.empty() || dates[0].begin != 0 || dates[0].time.has_value()) continue;
        phrase.unit = Unit::kYear, phrase.date = dates[0].day;
        size_t until = tokens[at].begin + dates[0].end;
        while (at < tokens.size() && tokens[at].end <= until) ++at;
        end = at;
        found = phrase, first_token = i, last_token = end;
        break;
      }
      end = at + 1;
    } else if (PluralWeekday(tokens[i])) {  // "on Mondays", "Sundays"
      phrase.unit = Unit::kWeek, phrase.weekday = WeekdayOf(tokens[i]);
    } else if (std::optional<int> part = PartOfDayMinutes(tokens[i]);
               part.has_value() && tokens[i].text.back() == 's') {  // "mornings"
      phrase.unit = Unit::kDay, phrase.minutes = part;
    } else {
      continue;
    }
    found = phrase, first_token = i, last_token = end;
  }
  if (!found.has_value()) return std::nullopt;
  RecurrencePhrase& phrase = *found;
  // "the 19th of every month", "every month on the 19th".
  if (phrase.unit == Unit::kMonth && phrase.interval == 1) {
    if (first_token >= 2 && tokens[first_token - 1].Is("of")) {
      if (std::optional<internal::WordNumber> day =
              internal::DayNumberAt(tokens, first_token - 2)) {
        phrase.day_of_month = day->value;
        first_token -= 2;
        if (first_token > 0 && tokens[first_token - 1].Is("the")) --first_token;
      }
    } else if (word(last_token, "on") && word(last_token + 1, "the")) {
      if (std::optional<internal::WordNumber> day = internal::DayNumberAt(tokens, last_token + 2)) {
        phrase.day_of_month = day->value;
        last_token = day->next;
      }
    }
  }
  if (first_token > 0 && tokens[first_token - 1].Is("on")) --first_token;
  phrase.begin = tokens[first_token].begin;
  phrase.end = tokens[last_token - 1].end;
  // The time of day said with it: the nearest time phrase that touches it.
  for (const DatePhrase& date : FindDatePhrases(text, now, options)) {
    if (!date.time.has_value()) continue;
    const size_t gap_before = date.end <= phrase.begin ? phrase.begin - date.end : 0;
    const size_t gap_after = date.begin >= phrase.end ? date.begin - phrase.end : 0;
    if (gap_before > 4 || gap_after > 4) continue;
    phrase.minutes = static_cast<int>(*date.time - absl::CivilMinute(date.day));
    phrase.begin = std::min(phrase.begin, date.begin);
    phrase.end = std::max(phrase.end, date.end);
    break;
  }
  // The first occurrence, not before now.
  const absl::CivilDay today(now);
  const int minute_of_day = now.hour() * 60 + now.minute();
  const bool later_today = !phrase.minutes.has_value() || *phrase.minutes > minute_of_day;
  if (phrase.weekday.has_value()) {
    int delta = (internal::MondayIndex(*phrase.weekday) -
                 internal::MondayIndex(absl::GetWeekday(today)) + 7) %
                7;
    if (delta == 0 && !later_today) delta = 7;
    phrase.first = today + delta;
  } else if (phrase.day_of_month.has_value()) {
    absl::CivilMonth month(today);
    for (int tries = 0; tries < 24; ++tries, ++month) {
      if (internal::ValidDay(static_cast<int>(month.year()), month.month(), *phrase.day_of_month)) {
        const absl::CivilDay day(month.year(), month.month(), *phrase.day_of_month);
        if (day > today || (day == today && later_today)) {
          phrase.first = day;
          break;
        }
      }
    }
  } else if (phrase.date.has_value()) {
    absl::CivilDay day(today.year(), phrase.date->month(), phrase.date->day());
    if (day < today)
      day = absl::CivilDay(today.year() + 1, phrase.date->month(), phrase.date->day());
    phrase.first = day;
  } else {
    phrase.first = later_today ? today : today + 1;
  }
  return phrase;
}

}  // namespace todo::chat::language
