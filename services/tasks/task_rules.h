#pragma once

// The rules of the task table (api.md): normalisation and validation of the
// editable fields, and how a patch changes a task. Pure functions.

#include "absl/status/status.h"
#include "services/tasks/task.h"

namespace todo::tasks {

// Trims title, description and category; lower-cases, trims and
// de-duplicates tags (first occurrence kept). INVALID_ARGUMENT naming the
// field when a rule is broken: title 1-200 characters, description at most
// 1000, each tag 1-50, at most 20 tags, category at most 50, timestamps in
// years 1-9999.
absl::Status NormalizeAndValidate(TaskFields& fields);

// Applies `patch` to `fields`, keeping `completed` and `status` equal:
// completed=true sets status completed; completed=false reopens a completed
// task (status pending) and leaves another status alone; naming both with
// values that disagree is INVALID_ARGUMENT. Then normalises and validates.
absl::Status ApplyPatch(const TaskPatch& patch, TaskFields& fields);

}  // namespace todo::tasks
