#pragma once

// When the next occurrence of a recurring task is due. Pure.

#include "absl/time/time.h"
#include "services/tasks/task.h"

namespace todo::tasks {

// `from` advanced by one period of `recurrence`, on the UTC calendar. A month
// later keeps the day of the month, clamped to the month's last day (Jan 31 ->
// Feb 28, or 29 in a leap year); the time of day is kept. kNone returns `from`.
absl::Time NextOccurrence(absl::Time from, Recurrence recurrence);

}  // namespace todo::tasks
