#include "services/tasks/task_rules.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "common/text/text_rules.h"
#include "services/tasks/errors.h"
#include "services/tasks/limits.h"

namespace todo::tasks {
namespace {

// Timestamps a client may send: protobuf's Timestamp range, years 1-9999.
const absl::Time kEarliest =
    absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone());
// Exclusive: the last accepted instant is 9999-12-31T23:59:59.999999Z.
const absl::Time kEnd =
    absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0), absl::UTCTimeZone());

std::string Trimmed(absl::string_view text) {
  return std::string(absl::StripAsciiWhitespace(text));
}

// Text a field may hold: never NUL (Postgres cannot store it, and it must not
// cut a value short); line breaks only in a description.
absl::Status CheckText(absl::string_view text, absl::string_view field,
                       common::text::LineBreaks line_breaks) {
  if (common::text::HasControlCharacters(text, line_breaks)) {
    return error::InvalidField(field, "must not contain control characters");
  }
  return absl::OkStatus();
}

absl::Status CheckTime(const std::optional<absl::Time>& time, absl::string_view field) {
  if (time.has_value() && (*time < kEarliest || *time >= kEnd)) {
    return error::InvalidField(field, "must be between years 1 and 9999");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status NormalizeAndValidate(TaskFields& fields) {
  fields.title = Trimmed(fields.title);
  if (fields.title.empty()) {
    return error::InvalidField("title", "is required");
  }
  using common::text::CountCharacters;
  using common::text::LineBreaks;
  RETURN_IF_ERROR(CheckText(fields.title, "title", LineBreaks::kRefused));
  RETURN_IF_ERROR(CheckText(fields.description, "description", LineBreaks::kAllowed));
  RETURN_IF_ERROR(CheckText(fields.category, "category", LineBreaks::kRefused));
  if (CountCharacters(fields.title) > kMaxTitleChars) {
    return error::InvalidField("title",
                               absl::StrCat("must be at most ", kMaxTitleChars, " characters"));
  }
  fields.description = Trimmed(fields.description);
  if (CountCharacters(fields.description) > kMaxDescriptionChars) {
    return error::InvalidField(
        "description", absl::StrCat("must be at most ", kMaxDescriptionChars, " characters"));
  }
  fields.category = Trimmed(fields.category);
  if (CountCharacters(fields.category) > kMaxCategoryChars) {
    return error::InvalidField("category",
                               absl::StrCat("must be at most ", kMaxCategoryChars, " characters"));
  }
  std::vector<std::string> tags;
  for (const std::string& raw : fields.tags) {
    std::string tag = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
    if (tag.empty()) {
      return error::InvalidField("tags", "must not contain empty labels");
    }
    RETURN_IF_ERROR(CheckText(tag, "tags", LineBreaks::kRefused));
    if (CountCharacters(tag) > kMaxTagChars) {
      return error::InvalidField(
          "tags", absl::StrCat("each label must be at most ", kMaxTagChars, " characters"));
    }
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) {
      tags.push_back(std::move(tag));
    }
  }
  if (tags.size() > kMaxTags) {
    return error::InvalidField("tags", absl::StrCat("at most ", kMaxTags, " labels"));
  }
  fields.tags = std::move(tags);
  if (absl::Status status = CheckTime(fields.due_date, "due_date"); !status.ok()) {
    return status;
  }
  return CheckTime(fields.remind_at, "remind_at");
}

absl::Status ApplyPatch(const TaskPatch& patch, TaskFields& fields) {
  const TaskFields& values = patch.values;
  const auto named = [&](TaskField field) { return patch.fields.contains(field); };
  if (named(TaskField::kTitle)) fields.title = values.title;
  if (named(TaskField::kDescription)) fields.description = values.description;
  if (named(TaskField::kPriority)) fields.priority = values.priority;
  if (named(TaskField::kTags)) fields.tags = values.tags;
  if (named(TaskField::kCategory)) fields.category = values.category;
  if (named(TaskField::kDueDate)) fields.due_date = values.due_date;
  if (named(TaskField::kRemindAt)) fields.remind_at = values.remind_at;
  if (named(TaskField::kRecurrence)) fields.recurrence = values.recurrence;
  if (named(TaskField::kStatus)) {
    if (named(TaskField::kCompleted) && patch.completed != values.completed()) {
      return error::InvalidField("completed", "contradicts status");
    }
    fields.status = values.status;
  } else if (named(TaskField::kCompleted)) {
    if (patch.completed) {
      fields.status = TaskStatus::kCompleted;
    } else if (fields.status == TaskStatus::kCompleted) {
      fields.status = TaskStatus::kPending;
    }
  }
  return NormalizeAndValidate(fields);
}

}  // namespace todo::tasks
