#include "services/tasks/task_proto.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"
#include "services/tasks/errors.h"

namespace todo::tasks {
namespace {

namespace pb = google::protobuf;

absl::StatusOr<std::optional<absl::Time>> TimeFromProto(bool present, const pb::Timestamp& time,
                                                        absl::string_view field) {
  if (!present) {
    return std::optional<absl::Time>();
  }
  // Protobuf's Timestamp range: 0001-01-01 to 9999-12-31.
  constexpr int64_t kMinSeconds = -62135596800;
  constexpr int64_t kMaxSeconds = 253402300799;
  if (time.seconds() < kMinSeconds || time.seconds() > kMaxSeconds || time.nanos() < 0 ||
      time.nanos() > 999'999'999) {
    return error::InvalidField(field,
                               "is not a valid timestamp (0001-01-01T00:00:00Z to "
                               "9999-12-31T23:59:59.999999Z)");
  }
  // Postgres keeps microseconds: finer input would come back as another
  // value, so it is refused rather than rounded.
  if (time.nanos() % 1000 != 0) {
    return error::InvalidField(field, "has more precision than microseconds");
  }
  return std::optional<absl::Time>(absl::FromUnixSeconds(time.seconds()) +
                                   absl::Nanoseconds(time.nanos()));
}

absl::StatusOr<TaskStatus> StatusFromProto(v1::TaskStatus status) {
  switch (status) {
    case v1::TASK_STATUS_UNSPECIFIED:
    case v1::pending:
      return TaskStatus::kPending;
    case v1::in_progress:
      return TaskStatus::kInProgress;
    case v1::completed:
      return TaskStatus::kCompleted;
    case v1::cancelled:
      return TaskStatus::kCancelled;
    default:
      return error::InvalidField("status", absl::StrCat("unknown value ", status));
  }
}

absl::StatusOr<Priority> PriorityFromProto(v1::TaskPriority priority) {
  switch (priority) {
    case v1::TASK_PRIORITY_UNSPECIFIED:
    case v1::medium:
      return Priority::kMedium;
    case v1::low:
      return Priority::kLow;
    case v1::high:
      return Priority::kHigh;
    default:
      return error::InvalidField("priority", absl::StrCat("unknown value ", priority));
  }
}

absl::StatusOr<Recurrence> RecurrenceFromProto(v1::TaskRecurrence recurrence) {
  switch (recurrence) {
    case v1::TASK_RECURRENCE_UNSPECIFIED:
    case v1::none:
      return Recurrence::kNone;
    case v1::daily:
      return Recurrence::kDaily;
    case v1::weekly:
      return Recurrence::kWeekly;
    case v1::monthly:
      return Recurrence::kMonthly;
    default:
      return error::InvalidField("recurrence", absl::StrCat("unknown value ", recurrence));
  }
}

v1::TaskStatus StatusToProto(TaskStatus status) {
  switch (status) {
    case TaskStatus::kPending:
      return v1::pending;
    case TaskStatus::kInProgress:
      return v1::in_progress;
    case TaskStatus::kCompleted:
      return v1::completed;
    case TaskStatus::kCancelled:
      return v1::cancelled;
  }
  return v1::pending;
}

v1::TaskRecurrence RecurrenceToProto(Recurrence recurrence) {
  switch (recurrence) {
    case Recurrence::kNone:
      return v1::none;
    case Recurrence::kDaily:
      return v1::daily;
    case Recurrence::kWeekly:
      return v1::weekly;
    case Recurrence::kMonthly:
      return v1::monthly;
  }
  return v1::none;
}

// Values of every field as sent (absent ones at their defaults).
absl::StatusOr<TaskFields> RawFields(const v1::Task& task) {
  TaskFields fields;
  fields.title = task.title();
  fields.description = task.description();
  ASSIGN_OR_RETURN(fields.status, StatusFromProto(task.status()));
  ASSIGN_OR_RETURN(fields.priority, PriorityFromProto(task.priority()));
  fields.tags.assign(task.tags().begin(), task.tags().end());
  fields.category = task.category();
  ASSIGN_OR_RETURN(fields.due_date,
                   TimeFromProto(task.has_due_date(), task.due_date(), "due_date"));
  ASSIGN_OR_RETURN(fields.remind_at,
                   TimeFromProto(task.has_remind_at(), task.remind_at(), "remind_at"));
  ASSIGN_OR_RETURN(fields.recurrence, RecurrenceFromProto(task.recurrence()));
  return fields;
}

// "dueDate" -> "due_date"; "task.title" -> "title".
std::string NormalizePath(absl::string_view path) {
  path = absl::StripAsciiWhitespace(path);
  absl::ConsumePrefix(&path, "task.");
  std::string snake;
  for (char c : path) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
      snake += '_';
      snake += absl::ascii_tolower(static_cast<unsigned char>(c));
    } else {
      snake += c;
    }
  }
  return snake;
}

struct NamedField {
  const char* path;
  TaskField field;
};

constexpr NamedField kUpdatableFields[] = {
    {"title", TaskField::kTitle},        {"description", TaskField::kDescription},
    {"status", TaskField::kStatus},      {"completed", TaskField::kCompleted},
    {"priority", TaskField::kPriority},  {"tags", TaskField::kTags},
    {"category", TaskField::kCategory},  {"due_date", TaskField::kDueDate},
    {"remind_at", TaskField::kRemindAt}, {"recurrence", TaskField::kRecurrence},
};

}  // namespace

absl::StatusOr<TaskFields> FieldsFromProto(const v1::Task& task) {
  ASSIGN_OR_RETURN(TaskFields fields, RawFields(task));
  if (task.has_completed()) {
    if (task.has_status() && task.completed() != fields.completed()) {
      return error::InvalidField("completed", "contradicts status");
    }
    if (task.completed()) {
      fields.status = TaskStatus::kCompleted;
    }
  }
  return fields;
}

absl::StatusOr<TaskPatch> PatchFromProto(const v1::Task& task, const pb::FieldMask& mask) {
  TaskPatch patch;
  ASSIGN_OR_RETURN(patch.values, RawFields(task));
  patch.completed = task.completed();
  patch.expected_etag = task.etag();
  if (mask.paths_size() > 0) {
    for (const std::string& raw_path : mask.paths()) {
      const std::string path = NormalizePath(raw_path);
      if (path == "*") {
        for (const NamedField& named : kUpdatableFields) {
          if (named.field != TaskField::kCompleted || task.has_completed()) {
            patch.fields.insert(named.field);
          }
        }
        continue;
      }
      bool known = false;
      for (const NamedField& named : kUpdatableFields) {
        if (path == named.path) {
          patch.fields.insert(named.field);
          known = true;
        }
      }
      if (!known) {
        return error::InvalidField("update_mask",
                                   absl::StrCat("unknown or read-only field \"", raw_path, "\""));
      }
    }
    return patch;
  }
  if (task.has_title()) patch.fields.insert(TaskField::kTitle);
  if (task.has_description()) patch.fields.insert(TaskField::kDescription);
  if (task.has_status()) patch.fields.insert(TaskField::kStatus);
  if (task.has_completed()) patch.fields.insert(TaskField::kCompleted);
  if (task.has_priority()) patch.fields.insert(TaskField::kPriority);
  if (task.tags_size() > 0) patch.fields.insert(TaskField::kTags);
  if (task.has_category()) patch.fields.insert(TaskField::kCategory);
  if (task.has_due_date()) patch.fields.insert(TaskField::kDueDate);
  if (task.has_remind_at()) patch.fields.insert(TaskField::kRemindAt);
  if (task.has_recurrence()) patch.fields.insert(TaskField::kRecurrence);
  return patch;
}

v1::Task ToProto(const TaskRecord& record) {
  v1::Task task;
  const TaskFields& fields = record.fields;
  task.set_id(record.id);
  task.set_title(fields.title);
  task.set_description(fields.description);
  task.set_status(StatusToProto(fields.status));
  task.set_completed(fields.completed());
  task.set_priority(static_cast<v1::TaskPriority>(static_cast<int>(fields.priority)));
  for (const std::string& tag : fields.tags) {
    task.add_tags(tag);
  }
  task.set_category(fields.category);
  if (fields.due_date) *task.mutable_due_date() = common::time::ToTimestamp(*fields.due_date);
  if (fields.remind_at) *task.mutable_remind_at() = common::time::ToTimestamp(*fields.remind_at);
  task.set_recurrence(RecurrenceToProto(fields.recurrence));
  *task.mutable_created_at() = common::time::ToTimestamp(record.created_at);
  *task.mutable_updated_at() = common::time::ToTimestamp(record.updated_at);
  if (record.completed_at)
    *task.mutable_completed_at() = common::time::ToTimestamp(*record.completed_at);
  task.set_etag(Etag(record));
  return task;
}

absl::StatusOr<ListTasksInput> ListInputFromProto(const v1::ListTasksRequest& request) {
  ListTasksInput input;
  input.status = request.status();
  input.priority = request.priority();
  input.tags.assign(request.tag().begin(), request.tag().end());
  input.category = request.category();
  input.q = request.q();
  ASSIGN_OR_RETURN(input.due_after,
                   TimeFromProto(request.has_due_after(), request.due_after(), "due_after"));
  ASSIGN_OR_RETURN(input.due_before,
                   TimeFromProto(request.has_due_before(), request.due_before(), "due_before"));
  input.order_by = request.order_by();
  input.page_size = request.page_size();
  input.page_token = request.page_token();
  return input;
}

}  // namespace todo::tasks
