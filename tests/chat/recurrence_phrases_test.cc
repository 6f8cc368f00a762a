#include "services/chat/language/recurrence_phrases.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace todo::chat::language {
namespace {

using Unit = RecurrencePhrase::Unit;

// Thursday 2026-12-03, 10:30 local.
const absl::CivilSecond kNow(2026, 12, 3, 10, 30, 0);

RecurrencePhrase Find(const std::string& text) {
  std::optional<RecurrencePhrase> found = FindRecurrence(text, kNow);
  EXPECT_TRUE(found.has_value()) << text;
  return found.value_or(RecurrencePhrase{});
}

TEST(RecurrencePhrasesTest, UnitsAndIntervals) {
  EXPECT_EQ(Find("every day").unit, Unit::kDay);
  EXPECT_EQ(Find("water plants daily").unit, Unit::kDay);
  EXPECT_EQ(Find("weekly review").unit, Unit::kWeek);
  EXPECT_EQ(Find("pay rent each month").unit, Unit::kMonth);
  EXPECT_EQ(Find("once a month").unit, Unit::kMonth);
  EXPECT_EQ(Find("every other week").interval, 2);
  EXPECT_EQ(Find("every 3 days").interval, 3);
  EXPECT_EQ(Find("quarterly report").interval, 3);
}

TEST(RecurrencePhrasesTest, WeekdaysTimesAndTheFirstOccurrence) {
  const RecurrencePhrase friday = Find("submit timesheets every Friday at 5pm");
  EXPECT_EQ(friday.unit, Unit::kWeek);
  EXPECT_EQ(friday.weekday, absl::Weekday::friday);
  EXPECT_EQ(friday.minutes, 17 * 60);
  EXPECT_EQ(friday.first, absl::CivilDay(2026, 12, 4));
  // Today's weekday, its time still ahead: today.
  EXPECT_EQ(Find("every thursday at 4pm").first, absl::CivilDay(2026, 12, 3));
  EXPECT_EQ(Find("every thursday at 9am").first, absl::CivilDay(2026, 12, 10));
  EXPECT_EQ(Find("gym on Mondays").weekday, absl::Weekday::monday);
  const RecurrencePhrase standup = Find("standup 9am every day");
  EXPECT_EQ(standup.minutes, 9 * 60);
  EXPECT_EQ(standup.first, absl::CivilDay(2026, 12, 4));  // 09:00 has passed
  EXPECT_EQ(Find("every evening").minutes, 19 * 60);
}

TEST(RecurrencePhrasesTest, TheSpanCoversTheTime) {
  const std::string text = "remind me to submit timesheets every Friday at 5pm";
  const RecurrencePhrase found = Find(text);
  EXPECT_EQ(text.substr(found.begin, found.end - found.begin), "every Friday at 5pm");
}

TEST(RecurrencePhrasesTest, NoRecurrence) {
  for (const char* text : {"buy milk tomorrow", "every", "read each chapter", "once more"}) {
    EXPECT_FALSE(FindRecurrence(text, kNow).has_value()) << text;
  }
}

}  // namespace
}  // namespace todo::chat::language
