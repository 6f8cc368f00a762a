// The date resolver against public test data it was not written from:
// Microsoft Recognizers-Text's English date and time cases (MIT, copied
// unchanged into data/recognizers-datetime-en). Each case is counted as a
// match, a known difference of convention (listed with its reason), or a
// miss; the counts are printed and held to a floor, so the resolver can only
// get better.

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/chat/language/date_phrases.h"
#include "services/chat/language/recurrence_phrases.h"

namespace todo::chat::language {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;

ListValue Cases(const std::string& file) {
  std::ifstream in(absl::StrCat(TODO_RECOGNIZERS_DATA, "/", file), std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string json = text.str();
  if (absl::StartsWith(json, "\xEF\xBB\xBF")) json.erase(0, 3);  // BOM
  ListValue cases;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &cases).ok()) << file;
  return cases;
}

const google::protobuf::Value* Field(const Struct& object, const std::string& name) {
  auto found = object.fields().find(name);
  return found == object.fields().end() ? nullptr : &found->second;
}

std::string Text(const Struct& object, const std::string& name) {
  const google::protobuf::Value* value = Field(object, name);
  return value == nullptr ? "" : value->string_value();
}

// A case's first expected result; nullptr when it expects none.
const Struct* FirstResult(const Struct& test) {
  const google::protobuf::Value* results = Field(test, "Results");
  if (results == nullptr || results->list_value().values().empty()) return nullptr;
  return &results->list_value().values(0).struct_value();
}

absl::CivilSecond Reference(const Struct& test) {
  absl::CivilSecond reference(2016, 11, 7, 0, 0, 0);  // the data's usual reference
  if (const auto* context = Field(test, "Context")) {
    const std::string when = Text(context->struct_value(), "ReferenceDateTime").substr(0, 19);
    absl::ParseCivilTime(when, &reference);
  }
  return reference;
}

// Why a case differs by convention, when it does; empty otherwise.
std::string KnownDifference(const std::string& input, const std::string& phrase,
                            const std::string& expected, const std::string& got,
                            absl::CivilSecond reference) {
  if (absl::StrContains(input, ".") && !absl::StrContains(phrase, " ") &&
      phrase.find_first_not_of("0123456789.") == std::string::npos) {
    return "dotted numbers without a four-digit year are not dates (version 2.1, 12.5%)";
  }
  const std::string today = absl::FormatCivilTime(absl::CivilDay(reference));
  // A past day of this year or last (not "1978" read from words).
  const bool recent_past =
      expected < today && std::abs(std::stoi(expected.substr(0, 4)) - reference.year()) <= 1;
  if (!got.empty() && got > today && (recent_past || expected == "0001-01-01")) {
    return "forward only: without a year or month, the next occurrence, not a past one";
  }
  return "";
}

struct Tally {
  int matched = 0;
  int known = 0;
  std::vector<std::string> missed;
  std::vector<std::string> differences;
};

void Report(const char* name, const Tally& tally, int total) {
  std::printf("%s: %d of %d match, %d differ by convention, %zu missed\n", name, tally.matched,
              total, tally.known, tally.missed.size());
  for (const std::string& line : tally.differences) std::printf("  convention: %s\n", line.c_str());
  for (const std::string& line : tally.missed) std::printf("  missed: %s\n", line.c_str());
}

TEST(RecognizersDatetimeTest, DateParser) {
  const ListValue cases = Cases("DateParser.json");
  Tally tally;
  int total = 0;
  for (const auto& item : cases.values()) {
    const Struct& test = item.struct_value();
    const std::string input = Text(test, "Input");
    const Struct* first = FirstResult(test);
    if (first == nullptr) continue;
    const Struct& result = *first;
    const Struct& value = Field(result, "Value")->struct_value();
    const auto* future = Field(value, "FutureResolution");
    if (future == nullptr) continue;
    const std::string expected = Text(future->struct_value(), "date");
    const std::string phrase = Text(result, "Text");
    ++total;
    std::string got;
    for (const DatePhrase& found : FindDatePhrases(input, Reference(test))) {
      got = absl::FormatCivilTime(found.day);
      break;
    }
    const bool invalid = expected == "0001-01-01";
    if ((invalid && got.empty()) || got == expected) {
      ++tally.matched;
    } else if (const std::string why =
                   KnownDifference(input, phrase, expected, got, Reference(test));
               !why.empty()) {
      ++tally.known;
      tally.differences.push_back(absl::StrCat("\"", input, "\" -> ", got.empty() ? "none" : got,
                                               " (Recognizers ", expected, "): ", why));
    } else {
      tally.missed.push_back(
          absl::StrCat("\"", input, "\" -> ", got.empty() ? "none" : got, ", expected ", expected));
    }
  }
  Report("DateParser.json", tally, total);
  EXPECT_GE(tally.matched, TODO_DATE_PARSER_FLOOR);
}

TEST(RecognizersDatetimeTest, TimeParser) {
  const ListValue cases = Cases("TimeParser.json");
  Tally tally;
  int total = 0;
  for (const auto& item : cases.values()) {
    const Struct& test = item.struct_value();
    const std::string input = Text(test, "Input");
    const Struct* first = FirstResult(test);
    if (first == nullptr) continue;
    const Struct& result = *first;
    const auto* future = Field(Field(result, "Value")->struct_value(), "FutureResolution");
    if (future == nullptr) continue;
    const std::string expected = Text(future->struct_value(), "time").substr(0, 5);
    ++total;
    std::string got;
    for (const DatePhrase& found : FindDatePhrases(input, Reference(test))) {
      if (found.time.has_value()) got = absl::FormatCivilTime(*found.time).substr(11, 5);
      break;
    }
    if (got == expected) {
      ++tally.matched;
    } else if (got == "23:59" && expected == "00:00") {
      ++tally.known;
      tally.differences.push_back(
          absl::StrCat("\"", input, "\" -> 23:59: midnight is the end of its day (by midnight)"));
    } else {
      tally.missed.push_back(
          absl::StrCat("\"", input, "\" -> ", got.empty() ? "none" : got, ", expected ", expected));
    }
  }
  Report("TimeParser.json", tally, total);
  EXPECT_GE(tally.matched, TODO_TIME_PARSER_FLOOR);
}

// Our reading of a recurrence in the shape of a Recognizers timex: P1W,
// P2D, XXXX-WXX-5T17, T15, TMO, XXXX-04-15.
std::string Timex(const RecurrencePhrase& phrase) {
  std::string timex;
  if (phrase.date.has_value()) {
    return absl::StrCat("XXXX-", absl::FormatCivilTime(*phrase.date).substr(5));
  }
  if (phrase.weekday.has_value() && phrase.interval == 1) {
    const int day = (static_cast<int>(*phrase.weekday) + 7) % 7 + 1;  // Monday 1
    timex = absl::StrCat("XXXX-WXX-", day);
  } else if (phrase.minutes.has_value() && phrase.unit == RecurrencePhrase::Unit::kDay &&
             phrase.interval == 1) {
    timex = "";
  } else {
    const char unit = "DWMY"[static_cast<int>(phrase.unit)];
    return absl::StrCat("P", phrase.interval, std::string(1, unit));
  }
  if (phrase.minutes.has_value()) {
    const int hour = *phrase.minutes / 60;
    absl::StrAppend(&timex, "T", hour < 10 ? "0" : "", hour);
    if (*phrase.minutes % 60 != 0) absl::StrAppend(&timex, ":", *phrase.minutes % 60);
  }
  return timex;
}

TEST(RecognizersDatetimeTest, SetParser) {
  const ListValue cases = Cases("SetParser.json");
  Tally tally;
  int total = 0;
  for (const auto& item : cases.values()) {
    const Struct& test = item.struct_value();
    const std::string input = Text(test, "Input");
    const Struct* first = FirstResult(test);
    if (first == nullptr) continue;
    const Struct& result = *first;
    std::string expected = Text(Field(result, "Value")->struct_value(), "Timex");
    if (expected == "TMO") expected = "T09";  // "every morning": our morning is 09:00
    ++total;
    std::optional<RecurrencePhrase> found = FindRecurrence(input, Reference(test));
    const std::string got = found.has_value() ? Timex(*found) : "none";
    if (got == expected) {
      ++tally.matched;
    } else if (found.has_value() && found->interval == 2 && absl::StrContains(input, "other")) {
      ++tally.known;
      tally.differences.push_back(absl::StrCat("\"", input, "\" -> ", got, " (Recognizers ",
                                               expected, "): every other week is every 2 weeks"));
    } else {
      tally.missed.push_back(absl::StrCat("\"", input, "\" -> ", got, ", expected ", expected));
    }
  }
  Report("SetParser.json", tally, total);
  EXPECT_GE(tally.matched, TODO_SET_PARSER_FLOOR);
}

// The model's mode for task phrasing: free sentences, some with nothing to
// find. Dates, times, date-times and recurrences are compared with what
// the assistant would take from the sentence; ranges ("from 2 to 3 pm",
// "in the morning" as 06:00-12:00) are not due dates and are counted as a
// difference of purpose.
TEST(RecognizersDatetimeTest, DateTimeModelTasksMode) {
  const ListValue cases = Cases("DateTimeModelTasksMode.json");
  Tally tally;
  int total = 0;
  for (const auto& item : cases.values()) {
    const Struct& test = item.struct_value();
    const std::string input = Text(test, "Input");
    const absl::CivilSecond reference = Reference(test);
    const Struct* first = FirstResult(test);
    ++total;
    const std::vector<DatePhrase> dates = FindDatePhrases(input, reference);
    const std::optional<RecurrencePhrase> recurrence = FindRecurrence(input, reference);
    std::string got = "none";
    if (recurrence.has_value()) {
      got = absl::StrCat("every ", absl::FormatCivilTime(recurrence->first));
    } else if (!dates.empty()) {
      got = dates[0].time.has_value()
                ? absl::StrCat(absl::FormatCivilTime(*dates[0].time).substr(0, 10), " ",
                               absl::FormatCivilTime(*dates[0].time).substr(11, 5))
                : absl::FormatCivilTime(dates[0].day);
    }
    if (first == nullptr) {
      if (got == "none") {
        ++tally.matched;
      } else {
        tally.missed.push_back(absl::StrCat("\"", input, "\" -> ", got, ", expected nothing"));
      }
      continue;
    }
    const Struct& result = *first;
    const std::string type = Text(result, "TypeName");
    const auto& values =
        Field(Field(result, "Resolution")->struct_value(), "values")->list_value().values();
    if (absl::StrContains(type, "range")) {
      ++tally.known;
      tally.differences.push_back(
          absl::StrCat("\"", input, "\": a ", type.substr(11), ", not a due date"));
      continue;
    }
    bool matched = false;
    std::string wanted;
    for (const auto& value : values) {
      const Struct& resolution = value.struct_value();
      std::string expected = Text(resolution, "value");
      if (expected.empty()) expected = Text(resolution, "start");
      if (type == "datetimeV2.time") expected = expected.substr(0, 5);
      if (type == "datetimeV2.datetime") expected = expected.substr(0, 16);
      if (type == "datetimeV2.set") expected = absl::StrCat("every ", expected.substr(0, 10));
      if (!wanted.empty()) wanted += " or ";
      wanted += expected;
      std::string ours = got;
      if (type == "datetimeV2.time" && !dates.empty() && dates[0].time.has_value()) {
        ours = absl::FormatCivilTime(*dates[0].time).substr(11, 5);
      }
      matched = matched || ours == expected;
    }
    if (matched) {
      ++tally.matched;
    } else {
      tally.missed.push_back(absl::StrCat("\"", input, "\" -> ", got, ", expected ", wanted));
    }
  }
  Report("DateTimeModelTasksMode.json", tally, total);
  EXPECT_GE(tally.matched, TODO_TASKS_MODE_FLOOR);
}

}  // namespace
}  // namespace todo::chat::language
