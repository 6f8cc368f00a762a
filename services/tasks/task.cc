#include "services/tasks/task.h"

#include "absl/strings/str_cat.h"

namespace todo::tasks {

absl::string_view Word(TaskStatus status) {
  switch (status) {
    case TaskStatus::kPending:
      return "pending";
    case TaskStatus::kInProgress:
      return "in_progress";
    case TaskStatus::kCompleted:
      return "completed";
    case TaskStatus::kCancelled:
      return "cancelled";
  }
  return "pending";
}

absl::string_view Word(Priority priority) {
  switch (priority) {
    case Priority::kLow:
      return "low";
    case Priority::kMedium:
      return "medium";
    case Priority::kHigh:
      return "high";
  }
  return "medium";
}

absl::string_view Word(Recurrence recurrence) {
  switch (recurrence) {
    case Recurrence::kNone:
      return "none";
    case Recurrence::kDaily:
      return "daily";
    case Recurrence::kWeekly:
      return "weekly";
    case Recurrence::kMonthly:
      return "monthly";
  }
  return "none";
}

std::optional<TaskStatus> ParseTaskStatus(absl::string_view word) {
  for (TaskStatus status : {TaskStatus::kPending, TaskStatus::kInProgress, TaskStatus::kCompleted,
                            TaskStatus::kCancelled}) {
    if (word == Word(status)) return status;
  }
  return std::nullopt;
}

std::optional<Priority> ParsePriority(absl::string_view word) {
  for (Priority priority : {Priority::kLow, Priority::kMedium, Priority::kHigh}) {
    if (word == Word(priority)) return priority;
  }
  return std::nullopt;
}

std::optional<Recurrence> ParseRecurrence(absl::string_view word) {
  for (Recurrence recurrence :
       {Recurrence::kNone, Recurrence::kDaily, Recurrence::kWeekly, Recurrence::kMonthly}) {
    if (word == Word(recurrence)) return recurrence;
  }
  return std::nullopt;
}

bool operator==(const TaskFields& a, const TaskFields& b) {
  return a.title == b.title && a.description == b.description && a.status == b.status &&
         a.priority == b.priority && a.tags == b.tags && a.category == b.category &&
         a.due_date == b.due_date && a.remind_at == b.remind_at && a.recurrence == b.recurrence;
}

std::string Etag(const TaskRecord& task) { return absl::StrCat(task.id, "-", task.version); }

}  // namespace todo::tasks
