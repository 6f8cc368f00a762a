#pragma once

// Conversions between todo.tasks.v1 messages and the task model. Every value
// a client can send is checked here: unknown enum numbers, timestamps out of
// range and unknown update_mask paths are INVALID_ARGUMENT naming the field.

#include "absl/status/statusor.h"
#include "google/protobuf/field_mask.pb.h"
#include "services/tasks/task.h"
#include "services/tasks/task_query.h"
#include "todo/tasks/v1/tasks.pb.h"

namespace todo::tasks {

// A whole task (create, replace): absent fields take their defaults.
absl::StatusOr<TaskFields> FieldsFromProto(const v1::Task& task);

// UpdateTask: the fields named in `mask` (paths as proto names, lowerCamel or
// with a "task." prefix; "*" names every field), or without a mask the fields
// present in `task`.
absl::StatusOr<TaskPatch> PatchFromProto(const v1::Task& task,
                                         const google::protobuf::FieldMask& mask);

v1::Task ToProto(const TaskRecord& task);

absl::StatusOr<ListTasksInput> ListInputFromProto(const v1::ListTasksRequest& request);

}  // namespace todo::tasks
