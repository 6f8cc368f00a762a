#include "services/tasks/recurrence.h"

#include <algorithm>

#include "absl/time/civil_time.h"

namespace todo::tasks {
namespace {

int DaysInMonth(absl::civil_year_t year, int month) {
  const absl::CivilDay first_of_next(year, month + 1, 1);
  return (first_of_next - 1).day();
}

}  // namespace

absl::Time NextOccurrence(absl::Time from, Recurrence recurrence) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  switch (recurrence) {
    case Recurrence::kNone:
      return from;
    case Recurrence::kDaily:
      return from + absl::Hours(24);
    case Recurrence::kWeekly:
      return from + absl::Hours(24 * 7);
    case Recurrence::kMonthly: {
      const absl::TimeZone::CivilInfo info = utc.At(from);
      const absl::CivilSecond at = info.cs;
      const absl::CivilMonth next_month = absl::CivilMonth(at) + 1;
      const int day = std::min(at.day(), DaysInMonth(next_month.year(), next_month.month()));
      const absl::CivilSecond next(next_month.year(), next_month.month(), day, at.hour(),
                                   at.minute(), at.second());
      return absl::FromCivil(next, utc) + info.subsecond;
    }
  }
  return from;
}

}  // namespace todo::tasks
