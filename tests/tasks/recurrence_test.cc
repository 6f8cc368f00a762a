#include "services/tasks/recurrence.h"

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace todo::tasks {
namespace {

absl::Time Utc(int year, int month, int day, int hour = 9, int minute = 30) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, 0), absl::UTCTimeZone());
}

TEST(NextOccurrenceTest, AdvancesByADayAndAWeek) {
  EXPECT_EQ(NextOccurrence(Utc(2026, 12, 31), Recurrence::kDaily), Utc(2027, 1, 1));
  EXPECT_EQ(NextOccurrence(Utc(2026, 12, 28), Recurrence::kWeekly), Utc(2027, 1, 4));
}

TEST(NextOccurrenceTest, KeepsTheDayOfTheMonth) {
  EXPECT_EQ(NextOccurrence(Utc(2026, 3, 15), Recurrence::kMonthly), Utc(2026, 4, 15));
  EXPECT_EQ(NextOccurrence(Utc(2026, 12, 15), Recurrence::kMonthly), Utc(2027, 1, 15));
}

TEST(NextOccurrenceTest, ClampsToTheLastDayOfAShorterMonth) {
  EXPECT_EQ(NextOccurrence(Utc(2026, 1, 31), Recurrence::kMonthly), Utc(2026, 2, 28));
  EXPECT_EQ(NextOccurrence(Utc(2028, 1, 31), Recurrence::kMonthly), Utc(2028, 2, 29));
  EXPECT_EQ(NextOccurrence(Utc(2026, 3, 31), Recurrence::kMonthly), Utc(2026, 4, 30));
  EXPECT_EQ(NextOccurrence(Utc(2026, 8, 31), Recurrence::kMonthly), Utc(2026, 9, 30));
}

TEST(NextOccurrenceTest, KeepsTheTimeOfDayAndFractions) {
  const absl::Time with_millis = Utc(2026, 5, 31, 23, 59) + absl::Milliseconds(250);
  EXPECT_EQ(NextOccurrence(with_millis, Recurrence::kMonthly),
            Utc(2026, 6, 30, 23, 59) + absl::Milliseconds(250));
}

TEST(NextOccurrenceTest, NoneStaysPut) {
  EXPECT_EQ(NextOccurrence(Utc(2026, 1, 1), Recurrence::kNone), Utc(2026, 1, 1));
}

}  // namespace
}  // namespace todo::tasks
