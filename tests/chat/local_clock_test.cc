#include "services/chat/language/local_clock.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/status_matchers.h"

namespace todo::chat::language {
namespace {

using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

absl::Time Utc(int y, int m, int d, int hh, int mm) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), absl::UTCTimeZone());
}

LocalClock Clock(const char* zone, absl::Time now = absl::UnixEpoch()) {
  absl::StatusOr<LocalClock> clock = LocalClock::ForZone(zone, now);
  EXPECT_THAT(clock, IsOk());
  return *std::move(clock);
}

TEST(LocalClockTest, UnknownZonesAreInvalidArguments) {
  EXPECT_THAT(LocalClock::ForZone("Mars/Olympus_Mons", absl::Now()),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("Mars")));
  EXPECT_THAT(LocalClock::ForZone("Etc/Unknown", absl::Now()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LocalClock::ForZone("not a zone; DROP TABLE", absl::Now()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LocalClockTest, EmptyIsUtc) {
  const LocalClock clock = Clock("", Utc(2026, 12, 4, 23, 30));
  EXPECT_EQ(clock.zone(), "UTC");
  EXPECT_EQ(clock.LocalNow(), absl::CivilSecond(2026, 12, 4, 23, 30, 0));
}

TEST(LocalClockTest, FixedOffsetZones) {
  // Karachi is UTC+5 all year: 23:30 UTC is already tomorrow there.
  const LocalClock karachi = Clock("Asia/Karachi", Utc(2026, 12, 4, 23, 30));
  EXPECT_EQ(karachi.LocalNow(), absl::CivilSecond(2026, 12, 5, 4, 30, 0));
  EXPECT_EQ(karachi.ToInstant(absl::CivilSecond(2026, 12, 5, 17, 0, 0)), Utc(2026, 12, 5, 12, 0));
  EXPECT_EQ(karachi.FormatRfc3339(Utc(2026, 12, 5, 12, 0)), "2026-12-05T17:00:00+05:00");
  const LocalClock kolkata = Clock("Asia/Kolkata");
  EXPECT_EQ(kolkata.FormatRfc3339(Utc(2026, 1, 1, 0, 0)), "2026-01-01T05:30:00+05:30");
}

TEST(LocalClockTest, DaylightSavingTransitions) {
  const LocalClock york = Clock("America/New_York");
  // Winter UTC-5, summer UTC-4.
  EXPECT_EQ(york.FormatRfc3339(Utc(2026, 1, 15, 17, 0)), "2026-01-15T12:00:00-05:00");
  EXPECT_EQ(york.FormatRfc3339(Utc(2026, 7, 15, 16, 0)), "2026-07-15T12:00:00-04:00");
  // 2026-03-08 02:30 does not exist there: moved forward to 03:30 EDT.
  EXPECT_EQ(york.ToInstant(absl::CivilSecond(2026, 3, 8, 2, 30, 0)), Utc(2026, 3, 8, 7, 30));
  // 2026-11-01 01:30 happens twice: the first (EDT, UTC-4).
  EXPECT_EQ(york.ToInstant(absl::CivilSecond(2026, 11, 1, 1, 30, 0)), Utc(2026, 11, 1, 5, 30));
  // Round trip on ordinary times.
  for (int hour = 0; hour < 24; ++hour) {
    const absl::CivilSecond local(2026, 6, 1, hour, 15, 0);
    EXPECT_EQ(york.ToLocal(york.ToInstant(local)), local);
  }
}

TEST(LocalClockTest, SouthernHemisphereAndHalfHourDst) {
  // Sydney: summer (DST) in January, UTC+11.
  EXPECT_EQ(Clock("Australia/Sydney").FormatRfc3339(Utc(2026, 1, 10, 1, 0)),
            "2026-01-10T12:00:00+11:00");
  // Lord Howe moves by 30 minutes: UTC+11 in summer, +10:30 in winter.
  EXPECT_EQ(Clock("Australia/Lord_Howe").FormatRfc3339(Utc(2026, 7, 1, 0, 0)),
            "2026-07-01T10:30:00+10:30");
}

}  // namespace
}  // namespace todo::chat::language
