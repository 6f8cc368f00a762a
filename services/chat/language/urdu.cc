#include "services/chat/language/urdu.h"

#include <string>
#include <utility>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace todo::chat::language {
namespace {

// Words, split at spaces and Urdu and Latin punctuation (the full stop ۔,
// the comma ، and the question mark ؟ are two bytes each).
std::vector<std::string> UrduWords(absl::string_view text) {
  std::string spaced(text);
  for (const char* mark : {"\xdb\x94", "\xd8\x8c", "\xd8\x9f"}) {
    for (size_t at = spaced.find(mark); at != std::string::npos; at = spaced.find(mark, at)) {
      spaced.replace(at, 2, " ");
    }
  }
  return absl::StrSplit(spaced, absl::ByAnyChar(" \t\n.,!?:;\"'"), absl::SkipEmpty());
}

// A number in Western, Urdu (۰-۹) or Arabic-Indic (٠-٩) digits.
std::optional<int> NumberOf(const std::string& word) {
  int value = 0;
  size_t i = 0;
  bool any = false;
  while (i < word.size()) {
    const unsigned char c = word[i];
    int digit = -1;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
      i += 1;
    } else if (i + 1 < word.size() && (c == 0xDB || c == 0xD9)) {
      const unsigned char next = word[i + 1];
      if (c == 0xDB && next >= 0xB0 && next <= 0xB9) digit = next - 0xB0;  // ۰-۹
      if (c == 0xD9 && next >= 0xA0 && next <= 0xA9) digit = next - 0xA0;  // ٠-٩
      i += 2;
    }
    if (digit < 0 || value > 1000) return std::nullopt;
    value = value * 10 + digit;
    any = true;
  }
  return any ? std::optional<int>(value) : std::nullopt;
}

bool Is(const std::string& word, std::initializer_list<const char*> choices) {
  for (const char* choice : choices) {
    if (word == choice) return true;
  }
  return false;
}

// Words that only join or point: dropped from titles.
bool IsFiller(const std::string& word) {
  return Is(word, {"کا",  "کی",   "کے",   "کو",   "کام",  "ایک", "میرا", "میری", "میرے", "براہ",
                   "کرم", "ٹاسک", "پلیز", "والا", "والی", "بھی", "ہے",   "میں",  "لیے",  "لئے"});
}

struct Verb {
  std::vector<const char*> words;
  Intent intent;
};

}  // namespace

bool IsUrdu(absl::string_view text) {
  // Arabic-script letters are U+0600-U+06FF: lead bytes 0xD8-0xDB.
  int letters = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    const unsigned char c = text[i];
    if (c >= 0xD8 && c <= 0xDB) ++letters, ++i;
  }
  return letters >= 2;
}

std::vector<Request> UnderstandUrdu(absl::string_view text, absl::CivilSecond now) {
  std::vector<std::string> words = UrduWords(text);
  Request request;
  request.language = "ur";
  // The verb comes last; the longest phrase first.
  static const std::vector<Verb> kVerbs = {{{"شامل", "کر", "دیں"}, Intent::kAdd},
                                           {{"شامل", "کریں"}, Intent::kAdd},
                                           {{"شامل", "کرو"}, Intent::kAdd},
                                           {{"یاد", "دلائیں"}, Intent::kAdd},
                                           {{"یاد", "دلانا"}, Intent::kAdd},
                                           {{"لکھ", "لیں"}, Intent::kAdd},
                                           {{"بنا", "دیں"}, Intent::kAdd},
                                           {{"بنائیں"}, Intent::kAdd},
                                           {{"مکمل", "ہو", "گیا"}, Intent::kComplete},
                                           {{"مکمل", "کر", "دیں"}, Intent::kComplete},
                                           {{"مکمل", "کریں"}, Intent::kComplete},
                                           {{"ہو", "گیا"}, Intent::kComplete},
                                           {{"حذف", "کر", "دیں"}, Intent::kDelete},
                                           {{"حذف", "کریں"}, Intent::kDelete},
                                           {{"ہٹا", "دیں"}, Intent::kDelete},
                                           {{"دکھائیں"}, Intent::kList},
                                           {{"دکھاؤ"}, Intent::kList},
                                           {{"دکھا", "دیں"}, Intent::kList},
                                           {{"بتائیں"}, Intent::kList},
                                           {{"فہرست"}, Intent::kList}};
  for (const Verb& verb : kVerbs) {
    const size_t n = verb.words.size();
    if (words.size() < n) continue;
    bool match = true;
    for (size_t i = 0; i < n; ++i) match = match && words[words.size() - n + i] == verb.words[i];
    if (!match) continue;
    request.intent = verb.intent;
    words.resize(words.size() - n);
    break;
  }
  if (request.intent == Intent::kOutOfScope) return {request};
  if (request.intent == Intent::kList) {
    request.status = "pending";
    return {request};
  }
  // When: a day word and a time ("شام 5 بجے", "صبح ۹ بجے", "5 بجے").
  std::optional<absl::CivilDay> day;
  std::optional<int> minutes;
  int part_offset = -1;  // hours added for the part of the day said
  std::vector<std::string> rest;
  const absl::CivilDay today(now);
  static const std::pair<const char*, absl::Weekday> kWeekdays[] = {
      {"پیر", absl::Weekday::monday},    {"منگل", absl::Weekday::tuesday},
      {"بدھ", absl::Weekday::wednesday}, {"جمعرات", absl::Weekday::thursday},
      {"جمعہ", absl::Weekday::friday},   {"اتوار", absl::Weekday::sunday}};
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word == "آج") {
      day = today;
    } else if (word == "کل") {
      day = today + 1;  // a task is for the future: tomorrow, not yesterday
    } else if (word == "پرسوں") {
      day = today + 2;
    } else if (Is(word, {"صبح"})) {
      part_offset = 0;
    } else if (Is(word, {"دوپہر", "شام", "رات"})) {
      part_offset = 12;
    } else if (std::optional<int> hour = NumberOf(word);
               hour.has_value() && i + 1 < words.size() && words[i + 1] == "بجے") {
      int h = *hour % 24;
      if (part_offset == 12 && h < 12) h += 12;
      minutes = h * 60;
      ++i;
    } else {
      bool weekday = false;
      for (const auto& [name, value] : kWeekdays) {
        if (word != name) continue;
        day = absl::NextWeekday(today - 1, value);  // today counts when it is that day
        if (*day == today) day = *day + 7;          // forward-only: the next one
        weekday = true;
      }
      if (!weekday) rest.push_back(word);
    }
  }
  if (minutes.has_value() && !day.has_value()) {
    // A time alone: today's if still ahead, else tomorrow's.
    day = absl::CivilMinute(today) + *minutes > absl::CivilMinute(now) ? today : today + 1;
  }
  if (day.has_value()) {
    request.due = absl::CivilMinute(*day) + minutes.value_or(23 * 60 + 59);
    request.due_without_time = !minutes.has_value();
  }
  while (!rest.empty() && IsFiller(rest.back())) rest.pop_back();
  while (!rest.empty() && IsFiller(rest.front())) rest.erase(rest.begin());
  const std::string named = absl::StrJoin(rest, " ");
  if (request.intent == Intent::kAdd) {
    if (!named.empty()) request.title = named;
  } else if (!named.empty()) {
    request.target = {TaskReference::Kind::kWords, 0, 0, named};
  }
  return {request};
}

}  // namespace todo::chat::language
