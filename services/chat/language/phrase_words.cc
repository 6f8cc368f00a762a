#include <array>
#include <string>

#include "services/chat/language/phrase_parser.h"

namespace todo::chat::language::internal {

std::optional<int> MonthOf(const Token& token) {
  static constexpr std::array<const char*, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
  static constexpr std::array<const char*, 12> kFull = {
      "january", "february", "march",     "april",   "may",      "june",
      "july",    "august",   "september", "october", "november", "december"};
  if (token.kind != Token::Kind::kWord) return std::nullopt;
  for (int i = 0; i < 12; ++i) {
    if (token.text == kMonths[i] || token.text == kFull[i]) return i + 1;
  }
  if (token.text == "sept") return 9;
  return std::nullopt;
}

std::optional<absl::Weekday> WeekdayOf(const Token& token) {
  struct Name {
    const char* text;
    absl::Weekday day;
  };
  static constexpr Name kNames[] = {
      {"monday", absl::Weekday::monday},   {"mon", absl::Weekday::monday},
      {"tuesday", absl::Weekday::tuesday}, {"tue", absl::Weekday::tuesday},
      {"tues", absl::Weekday::tuesday},    {"wednesday", absl::Weekday::wednesday},
      {"wed", absl::Weekday::wednesday},   {"thursday", absl::Weekday::thursday},
      {"thu", absl::Weekday::thursday},    {"thur", absl::Weekday::thursday},
      {"thurs", absl::Weekday::thursday},  {"friday", absl::Weekday::friday},
      {"fri", absl::Weekday::friday},      {"saturday", absl::Weekday::saturday},
      {"sat", absl::Weekday::saturday},    {"sunday", absl::Weekday::sunday},
      {"sun", absl::Weekday::sunday},
  };
  if (token.kind != Token::Kind::kWord) return std::nullopt;
  std::string text = token.text;
  if (text.size() > 1 && text.back() == 's' && text != "tues" && text != "thurs") text.pop_back();
  for (const Name& name : kNames) {
    if (text == name.text) return name.day;
  }
  return std::nullopt;
}

std::optional<WordNumber> WordNumberAt(const std::vector<Token>& tokens, size_t i) {
  static constexpr std::array<const char*, 20> kUnits = {
      "zero",     "one",     "two",     "three",     "four",     "five",    "six",
      "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",  "thirteen",
      "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
  static constexpr std::array<const char*, 20> kOrdinals = {
      "zeroth",    "first",     "second",      "third",      "fourth",
      "fifth",     "sixth",     "seventh",     "eighth",     "ninth",
      "tenth",     "eleventh",  "twelfth",     "thirteenth", "fourteenth",
      "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth"};
  const auto unit = [&](size_t at) -> std::optional<WordNumber> {
    if (at >= tokens.size() || tokens[at].kind != Token::Kind::kWord) return std::nullopt;
    for (int n = 1; n < 20; ++n) {
      if (tokens[at].text == kUnits[n]) return WordNumber{n, false, at + 1};
      if (tokens[at].text == kOrdinals[n]) return WordNumber{n, true, at + 1};
    }
    return std::nullopt;
  };
  if (i >= tokens.size()) return std::nullopt;
  int tens = 0;
  if (tokens[i].Is("twenty")) tens = 20;
  if (tokens[i].Is("thirty")) tens = 30;
  if (tokens[i].Is("forty")) tens = 40;
  if (tokens[i].Is("fifty")) tens = 50;
  if (tokens[i].Is("twentieth")) return WordNumber{20, true, i + 1};
  if (tokens[i].Is("thirtieth")) return WordNumber{30, true, i + 1};
  if (tens == 0) return unit(i);
  size_t after = i + 1;
  if (after < tokens.size() && tokens[after].IsMark('-')) ++after;
  if (std::optional<WordNumber> ones = unit(after); ones.has_value() && ones->value < 10) {
    return WordNumber{tens + ones->value, ones->ordinal, ones->next};
  }
  return WordNumber{tens, false, i + 1};
}

// A day of the month: "12", "12th", "twelfth", "twenty first".
std::optional<WordNumber> DayNumberAt(const std::vector<Token>& tokens, size_t i) {
  if (i >= tokens.size()) return std::nullopt;
  if (tokens[i].IsNumber()) {
    if (tokens[i].value < 1 || tokens[i].value > 31 || tokens[i].digits > 2) return std::nullopt;
    return WordNumber{static_cast<int>(tokens[i].value), tokens[i].ordinal, i + 1};
  }
  std::optional<WordNumber> word = WordNumberAt(tokens, i);
  if (!word.has_value() || word->value > 31) return std::nullopt;
  return word;
}

std::optional<int> PartOfDayMinutes(absl::string_view word) {
  if (word == "morning") return 9 * 60;
  if (word == "afternoon") return 15 * 60;
  if (word == "evening") return 19 * 60;
  if (word == "night") return 20 * 60;
  return std::nullopt;
}

bool ValidDay(int year, int month, int day) {
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  const absl::CivilDay made(year, month, day);
  return made.month() == month && made.day() == day;
}

// Words after "1-2" or "3/4" that make it a quantity, not a date.
bool IsQuantityWord(const Token& token) {
  static constexpr const char* kWords[] = {"hour", "hours", "minute", "minutes", "min",
                                           "mins", "day",   "days",   "week",    "weeks",
                                           "cup",  "cups",  "times",  "pages",   "people"};
  if (token.kind != Token::Kind::kWord) return false;
  for (const char* word : kWords) {
    if (token.text == word) return true;
  }
  return false;
}

}  // namespace todo::chat::language::internal
