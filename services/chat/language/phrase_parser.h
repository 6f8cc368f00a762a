#pragma once

// The insides of FindDatePhrases (date_phrases.h), shared by its files:
// words (phrase_words.cc), date rules (date_rules.cc), time rules
// (time_rules.cc) and the parser's loop (date_phrases.cc). Not for use
// elsewhere.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/chat/language/date_phrases.h"
#include "services/chat/language/tokens.h"

namespace todo::chat::language::internal {

std::optional<int> MonthOf(const Token& token);
std::optional<absl::Weekday> WeekdayOf(const Token& token);
// Monday = 0 ... Sunday = 6.
inline int MondayIndex(absl::Weekday day) { return (static_cast<int>(day) + 7) % 7; }

// Numbers written as words, up to fifty-nine: "five", "twenty one",
// "twenty-first", "third", "forty five".
struct WordNumber {
  int value = 0;
  bool ordinal = false;
  size_t next = 0;
};
std::optional<WordNumber> WordNumberAt(const std::vector<Token>& tokens, size_t i);
// A day of the month: "12", "12th", "twelfth", "twenty first".
std::optional<WordNumber> DayNumberAt(const std::vector<Token>& tokens, size_t i);
bool ValidDay(int year, int month, int day);
// morning, afternoon, evening, night: their default times, in minutes.
std::optional<int> PartOfDayMinutes(absl::string_view word);
// Words after "1-2" or "3/4" that make it a quantity, not a date.
bool IsQuantityWord(const Token& token);

// A piece of a phrase found at a token: its end (exclusive, in tokens),
// a day, a time of day (minutes since midnight), or both.
struct Piece {
  size_t end = 0;
  std::optional<absl::CivilDay> day;
  std::optional<int> minutes;
  // The time is a point relative to now ("in 2 hours"): day and minutes
  // are final.
  bool past = false;
};

class Parser {
 public:
  Parser(absl::string_view text, absl::CivilSecond now, const DateOptions& options)
      : tokens_(Tokenize(text)), now_(now), today_(now), options_(options) {}

  std::vector<DatePhrase> Run();

 private:
  const Token* At(size_t i) const { return i < tokens_.size() ? &tokens_[i] : nullptr; }
  bool WordAt(size_t i, absl::string_view word) const {
    return i < tokens_.size() && tokens_[i].Is(word);
  }
  bool MarkAt(size_t i, char mark) const { return i < tokens_.size() && tokens_[i].IsMark(mark); }

  size_t SkipJoiners(size_t i) const {
    while (WordAt(i, "at") || WordAt(i, "on") || WordAt(i, "by") || MarkAt(i, ',') ||
           MarkAt(i, '@')) {
      ++i;
    }
    return i;
  }

  // The phrase's first token, with a preposition right before it.
  size_t Extend(size_t first) const {
    if (first > 0) {
      const Token& before = tokens_[first - 1];
      if (before.Is("on") || before.Is("at") || before.Is("by") || before.Is("due") ||
          before.Is("before") || before.Is("until") || before.Is("for")) {
        return first - 1;
      }
    }
    return first;
  }

  DatePhrase Resolve(size_t first, const Piece& piece) const;

  // The part of the day token `i` names, in minutes.
  std::optional<int> PartOfDay(size_t i) const {
    if (i >= tokens_.size() || tokens_[i].kind != Token::Kind::kWord) return std::nullopt;
    return PartOfDayMinutes(tokens_[i].text);
  }

  std::optional<Piece> DateAt(size_t i) const;
  std::optional<Piece> TimeAt(size_t i) const;
  // A clock as written: hours, minutes and how they were written.
  struct Clock {
    int hour = 0;
    int minute = 0;
    bool colon = false;           // 7:56, 7h01
    bool dotted = false;          // 8.10 (a time only with am/pm)
    bool packed = false;          // 340 (only with am/pm)
    bool worded_minutes = false;  // eight forty
    size_t end = 0;
  };
  std::optional<Clock> ClockAt(size_t i) const;
  std::optional<int> NamedTimeAt(size_t i, size_t* end) const;
  std::optional<Piece> TimeAfterPart(size_t i, bool bare_hour = false) const;
  std::optional<Piece> RelativeAt(size_t i) const;
  std::optional<Piece> WeekdayAt(size_t i) const;
  std::optional<Piece> MonthDayAt(size_t i) const;
  std::optional<Piece> NumericAt(size_t i) const;
  std::optional<Piece> PeriodAt(size_t i) const;
  std::optional<Piece> NthWeekdayAt(size_t i) const;

  // The next (month, day) not before today, or in `year`.
  std::optional<absl::CivilDay> Forward(int month, int day, std::optional<int> year) const {
    if (year.has_value()) {
      if (!ValidDay(*year, month, day)) return std::nullopt;
      return absl::CivilDay(*year, month, day);
    }
    for (int candidate = static_cast<int>(today_.year()); candidate < today_.year() + 9;
         ++candidate) {
      if (ValidDay(candidate, month, day) && absl::CivilDay(candidate, month, day) >= today_) {
        return absl::CivilDay(candidate, month, day);
      }
    }
    return std::nullopt;
  }

  // A year after a date: "2016", "'16" is not taken; two digits only in
  // numeric dates.
  std::optional<int> YearAt(size_t i, size_t* next) const {
    size_t at = i;
    if (MarkAt(at, ',')) ++at;
    const Token* token = At(at);
    if (token == nullptr || !token->IsNumber() || token->digits != 4) return std::nullopt;
    *next = at + 1;
    return static_cast<int>(token->value);
  }

  const std::vector<Token> tokens_;
  const absl::CivilSecond now_;
  const absl::CivilDay today_;
  const DateOptions options_;
};

}  // namespace todo::chat::language::internal
