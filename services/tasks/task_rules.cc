#include "services/tasks/task_rules.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/tasks/errors.h"
#include "services/tasks/limits.h"

namespace todo::tasks {
namespace {

// Timestamps a client may send: protobuf's Timestamp range, years 1-9999.
const absl::Time kEarliest =
    absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone());
const absl::Time kLatest =
    absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone());

std::string Trimmed(absl::string_view text) {
  return std::string(absl::StripAsciiWhitespace(text));
}

absl::Status CheckTime(const std::optional<absl::Time>& time, absl::string_view field) {
  if (time.has_value() && (*time < kEarliest || *time > kLatest)) {
    return error::InvalidField(field, "must be between years 1 and 9999");
  }
  return absl::OkStatus();
}

}  // namespace

size_t CountCharacters(absl::string_view utf8) {
  return std::count_if(utf8.begin(), utf8.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

absl::Status NormalizeAndValidate(TaskFields& fields) {
  fields.title = Trimmed(fields.title);
  if (fields.title.empty()) {
    return error::InvalidField("title", "is required");
  }
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
