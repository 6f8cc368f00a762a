// The date resolver on the forms the assistant promises, and on text that
// must not become a date.

#include "services/chat/language/date_phrases.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace todo::chat::language {
namespace {

// Thursday 2026-12-03, 10:30 local.
const absl::CivilSecond kNow(2026, 12, 3, 10, 30, 0);

struct Found {
  std::string text;
  absl::CivilDay day;
  std::optional<absl::CivilMinute> time;
};

std::vector<Found> Find(const std::string& text, DateOptions options = {}) {
  std::vector<Found> found;
  for (const DatePhrase& phrase : FindDatePhrases(text, kNow, options)) {
    found.push_back(
        {text.substr(phrase.begin, phrase.end - phrase.begin), phrase.day, phrase.time});
  }
  return found;
}

// The one phrase of `text`, as "YYYY-MM-DD" or "YYYY-MM-DD HH:MM".
std::string One(const std::string& text, DateOptions options = {}) {
  const std::vector<Found> found = Find(text, options);
  if (found.size() != 1) return absl::StrCat(found.size(), " phrases");
  const Found& only = found[0];
  if (only.time.has_value()) {
    return absl::FormatCivilTime(*only.time).substr(0, 16);
  }
  return absl::FormatCivilTime(only.day);
}

TEST(DatePhrasesTest, RelativeDays) {
  EXPECT_EQ(One("today"), "2026-12-03");
  EXPECT_EQ(One("call mom tomorrow"), "2026-12-04");
  EXPECT_EQ(One("the day after tomorrow"), "2026-12-05");
  EXPECT_EQ(One("in 3 days"), "2026-12-06");
  EXPECT_EQ(One("in three weeks"), "2026-12-24");
  EXPECT_EQ(One("two weeks from now"), "2026-12-17");
  EXPECT_EQ(One("in a month"), "2027-01-03");
  EXPECT_EQ(One("a week from tomorrow"), "2026-12-11");
  EXPECT_EQ(One("tonight"), "2026-12-03T20:00");
  EXPECT_EQ(One("in 2 hours"), "2026-12-03T12:30");
}

TEST(DatePhrasesTest, WeekdaysAreForwardAndNextMeansTheFollowingWeek) {
  EXPECT_EQ(One("Friday"), "2026-12-04");    // this week's, still ahead
  EXPECT_EQ(One("thursday"), "2026-12-10");  // today's weekday: a week on
  EXPECT_EQ(One("Monday"), "2026-12-07");
  EXPECT_EQ(One("this friday"), "2026-12-04");
  EXPECT_EQ(One("this monday"), "2026-12-07");  // passed this week: the next
  EXPECT_EQ(One("next Monday"), "2026-12-07");  // the following week's Monday
  EXPECT_EQ(One("next friday"), "2026-12-11");
  EXPECT_EQ(One("friday next week"), "2026-12-11");
  EXPECT_EQ(One("next week on tuesday"), "2026-12-08");
}

TEST(DatePhrasesTest, MonthsAndNumericDates) {
  EXPECT_EQ(One("on 12 March"), "2027-03-12");
  EXPECT_EQ(One("March 12th"), "2027-03-12");
  EXPECT_EQ(One("the 12th of March 2028"), "2028-03-12");
  EXPECT_EQ(One("Dec 25"), "2026-12-25");
  EXPECT_EQ(One("dec 1"), "2027-12-01");  // passed this year
  EXPECT_EQ(One("12/3"), "2026-12-03");   // month/day by default: today
  EXPECT_EQ(One("3/12"), "2027-03-12");
  EXPECT_EQ(One("12/3", {.day_first = true}), "2027-03-12");
  EXPECT_EQ(One("3/12", {.day_first = true}), "2026-12-03");
  EXPECT_EQ(One("22/04"), "2027-04-22");  // 22 cannot be a month
  EXPECT_EQ(One("2026-12-24"), "2026-12-24");
  EXPECT_EQ(One("13.5.2027"), "2027-05-13");
  EXPECT_EQ(One("the 15th"), "2026-12-15");
  EXPECT_EQ(One("on the 2nd"), "2027-01-02");
  EXPECT_EQ(One("end of the month"), "2026-12-31");
  EXPECT_EQ(One("end of next month"), "2027-01-31");
  EXPECT_EQ(One("next week"), "2026-12-07");
  EXPECT_EQ(One("this weekend"), "2026-12-05");
}

TEST(DatePhrasesTest, TimesAndDateTimes) {
  EXPECT_EQ(One("tomorrow at 5pm"), "2026-12-04T17:00");
  EXPECT_EQ(One("at 5:30 pm on friday"), "2026-12-04T17:30");
  EXPECT_EQ(One("friday 17:00"), "2026-12-04T17:00");
  EXPECT_EQ(One("at 9"), "2026-12-04T09:00");  // 9:00 has passed today
  EXPECT_EQ(One("at 5"), "2026-12-03T17:00");  // the afternoon
  EXPECT_EQ(One("11 am"), "2026-12-03T11:00");
  EXPECT_EQ(One("noon"), "2026-12-03T12:00");
  EXPECT_EQ(One("tomorrow morning"), "2026-12-04T09:00");
  EXPECT_EQ(One("at eight p.m."), "2026-12-03T20:00");
  EXPECT_EQ(One("next monday at 10am"), "2026-12-07T10:00");
}

TEST(DatePhrasesTest, CompoundDurationsNthWeekdaysAndBusinessDays) {
  EXPECT_EQ(One("in 1 month and 2 days"), "2027-01-05");
  EXPECT_EQ(One("2 weeks, 3 days from now"), "2026-12-20");
  EXPECT_EQ(One("in four business days"), "2026-12-09");  // Fri, Mon, Tue, Wed
  EXPECT_EQ(One("two fridays from now"), "2026-12-11");
  EXPECT_EQ(One("the first friday of january"), "2027-01-01");
  EXPECT_EQ(One("the second monday of next month"), "2027-01-11");
  EXPECT_EQ(One("last friday of the month"), "2026-12-25");
  EXPECT_EQ(One("first monday"), "2026-12-07");
  EXPECT_EQ(One("first tuesday"), "2027-01-05");  // this month's has passed
  EXPECT_EQ(One("friday the 13th"), "2027-08-13");
  EXPECT_EQ(One("2027-mar-1"), "2027-03-01");
  EXPECT_EQ(One("12/24,2027"), "2027-12-24");
}

TEST(DatePhrasesTest, ClockForms) {
  EXPECT_EQ(One("at half past eight"), "2026-12-04T08:30");  // 08:30 has passed today
  EXPECT_EQ(One("a quarter to 8 in the morning"), "2026-12-04T07:45");
  EXPECT_EQ(One("ten past 9 in the evening"), "2026-12-03T21:10");
  EXPECT_EQ(One("eight forty pm"), "2026-12-03T20:40");
  EXPECT_EQ(One("at 7:56:30pm"), "2026-12-03T19:56");
  EXPECT_EQ(One("340pm"), "2026-12-03T15:40");
  EXPECT_EQ(One("8.10 pm"), "2026-12-03T20:10");
  EXPECT_EQ(One("in the afternoon at 4"), "2026-12-03T16:00");
  EXPECT_EQ(One("11ish"), "2026-12-03T11:00");
  EXPECT_EQ(One("mid-afternoon"), "2026-12-03T14:00");
  EXPECT_EQ(One("by midnight"), "2026-12-03T23:59");
}

TEST(DatePhrasesTest, HolidaysAndPartsOfDayBetweenDateAndTime) {
  EXPECT_EQ(One("on christmas"), "2026-12-25");
  EXPECT_EQ(One("new year's eve"), "2026-12-31");
  EXPECT_EQ(One("new year's day"), "2027-01-01");
  EXPECT_EQ(One("christmas early morning at 9:00"), "2026-12-25T09:00");
  EXPECT_EQ(One("meet me next month at 6."), "2027-01-01T18:00");
}

TEST(DatePhrasesTest, TheSpanCoversThePhraseAndItsPreposition) {
  const std::vector<Found> found = Find("add call mom tomorrow at 5pm please");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text, "tomorrow at 5pm");
  EXPECT_EQ(Find("pay rent on Friday")[0].text, "on Friday");
}

TEST(DatePhrasesTest, NumbersThatAreNotDates) {
  for (const char* text : {"pay ABC 2000", "version 2.1", "raise by 12.5%", "buy 3 apples",
                           "read chapter 12", "1-2 hours of reading", "call 555-1234",
                           "the 1st quarter of 2013", "back at 7p", "room 3rd floor"}) {
    EXPECT_THAT(Find(text), ::testing::IsEmpty()) << text;
  }
}

}  // namespace
}  // namespace todo::chat::language
