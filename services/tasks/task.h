#pragma once

// The task model of the tasks service, free of gRPC and SQL: what the store
// reads and writes and what the rules in task_rules.h check.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace todo::tasks {

enum class TaskStatus { kPending, kInProgress, kCompleted, kCancelled };
enum class Priority { kLow = 1, kMedium = 2, kHigh = 3 };
enum class Recurrence { kNone, kDaily, kWeekly, kMonthly };

// The words of the API contract: "pending", "in_progress", "completed",
// "cancelled"; "low", "medium", "high"; "none", "daily", "weekly", "monthly".
absl::string_view Word(TaskStatus status);
absl::string_view Word(Priority priority);
absl::string_view Word(Recurrence recurrence);
std::optional<TaskStatus> ParseTaskStatus(absl::string_view word);
std::optional<Priority> ParsePriority(absl::string_view word);
std::optional<Recurrence> ParseRecurrence(absl::string_view word);

// What a client may set.
struct TaskFields {
  std::string title;
  std::string description;
  TaskStatus status = TaskStatus::kPending;
  Priority priority = Priority::kMedium;
  std::vector<std::string> tags;
  std::string category;
  std::optional<absl::Time> due_date;
  std::optional<absl::Time> remind_at;
  Recurrence recurrence = Recurrence::kNone;

  bool completed() const { return status == TaskStatus::kCompleted; }
};

bool operator==(const TaskFields& a, const TaskFields& b);
inline bool operator!=(const TaskFields& a, const TaskFields& b) { return !(a == b); }

struct TaskRecord {
  int64_t id = 0;
  TaskFields fields;
  absl::Time created_at;
  absl::Time updated_at;
  std::optional<absl::Time> completed_at;
  // Bumped by every write; the etag is derived from it.
  int64_t version = 0;
};

std::string Etag(const TaskRecord& task);

// The fields a patch names; see ApplyPatch.
enum class TaskField {
  kTitle,
  kDescription,
  kStatus,
  kCompleted,
  kPriority,
  kTags,
  kCategory,
  kDueDate,
  kRemindAt,
  kRecurrence,
};

struct TaskPatch {
  // New values of the named fields; a named field left at its default here
  // clears the stored value.
  TaskFields values;
  bool completed = false;
  absl::flat_hash_set<TaskField> fields;
  // When non-empty, the write happens only if it matches the stored etag.
  std::string expected_etag;
};

}  // namespace todo::tasks
