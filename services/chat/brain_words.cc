#include "services/chat/brain_words.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"

namespace todo::chat::brain_words {

using google::protobuf::Struct;
using language::Intent;

std::string Spoken(absl::CivilMinute when) {
  const absl::Time as_utc = absl::FromCivil(when, absl::UTCTimeZone());
  // %e pads a day of one digit with a space.
  std::string text =
      absl::StrReplaceAll(absl::FormatTime("%a %e %b", as_utc, absl::UTCTimeZone()), {{"  ", " "}});
  if (when.hour() != 23 || when.minute() != 59) {
    absl::StrAppend(&text, ", ", absl::FormatTime("%H:%M", as_utc, absl::UTCTimeZone()));
  }
  return text;
}

std::string Rfc3339(const language::LocalClock& clock, absl::CivilMinute local) {
  return clock.FormatRfc3339(clock.ToInstant(absl::CivilSecond(local)));
}

std::vector<const Struct*> TasksOf(const Struct& result) {
  std::vector<const Struct*> tasks;
  auto found = result.fields().find("tasks");
  if (found == result.fields().end()) return tasks;
  for (const auto& value : found->second.list_value().values()) {
    tasks.push_back(&value.struct_value());
  }
  return tasks;
}

language::DateOptions OptionsFor(const language::LocalClock& clock) {
  language::DateOptions options;
  options.day_first = !absl::StartsWith(clock.zone(), "America/") &&
                      !absl::StartsWith(clock.zone(), "US/") && clock.zone() != "UTC";
  return options;
}

const char* ToolFor(Intent intent) {
  switch (intent) {
    case Intent::kReopen:
      return "reopen_task";
    case Intent::kDelete:
      return "delete_task";
    case Intent::kUpdate:
      return "update_task";
    default:
      return "complete_task";
  }
}
const char* VerbFor(absl::string_view tool) {
  return tool == "delete_task"   ? "delete"
         : tool == "reopen_task" ? "reopen"
         : tool == "update_task" ? "change"
                                 : "complete";
}
const char* DoneFor(absl::string_view tool) {
  return tool == "delete_task"   ? "Deleted"
         : tool == "reopen_task" ? "Reopened"
         : tool == "update_task" ? "Updated"
                                 : "Completed";
}

void PutTags(const std::vector<std::string>& tags, google::protobuf::Value& value) {
  auto& list = *value.mutable_list_value();
  for (const std::string& tag : tags) list.add_values()->set_string_value(tag);
}

std::string SpokenInUrdu(absl::CivilMinute when) {
  static constexpr const char* kMonths[] = {"جنوری",  "فروری", "مارچ",  "اپریل",  "مئی",   "جون",
                                            "جولائی", "اگست",  "ستمبر", "اکتوبر", "نومبر", "دسمبر"};
  std::string text = absl::StrCat(when.day(), " ", kMonths[when.month() - 1]);
  if (when.hour() != 23 || when.minute() != 59) {
    absl::StrAppend(
        &text, "Ø ",
        absl::FormatTime("%H:%M", absl::FromCivil(when, absl::UTCTimeZone()), absl::UTCTimeZone()));
  }
  return text;
}

}  // namespace todo::chat::brain_words
