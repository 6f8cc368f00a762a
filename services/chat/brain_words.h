#pragma once

// What the built-in brain (builtin_brain.cc) says and reads: local times as
// a reply speaks them and as the tools take them, the tasks of a listing,
// and the words for each change. Not for use elsewhere.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/struct.pb.h"
#include "services/chat/language/date_phrases.h"
#include "services/chat/language/local_clock.h"
#include "services/chat/language/requests.h"

namespace todo::chat::brain_words {

// How a local time reads in a reply: "Fri 4 Dec, 17:00" ("Fri 4 Dec" at
// 23:59, a date-only due date).
std::string Spoken(absl::CivilMinute when);
// A local time as the tools take it: RFC 3339 with the zone's offset.
std::string Rfc3339(const language::LocalClock& clock, absl::CivilMinute local);
// The tasks of a list_tasks result.
std::vector<const google::protobuf::Struct*> TasksOf(const google::protobuf::Struct& result);
// Numeric dates: day first except where the US convention is at home.
language::DateOptions OptionsFor(const language::LocalClock& clock);
// The tool of a change, and its words: "That would delete 3 tasks",
// "Deleted 3 tasks".
const char* ToolFor(language::Intent intent);
const char* VerbFor(absl::string_view tool);
const char* DoneFor(absl::string_view tool);
// A local time as an Urdu reply says it: "4 دسمبر، 17:00".
std::string SpokenInUrdu(absl::CivilMinute when);
// `tags` as a JSON list.
void PutTags(const std::vector<std::string>& tags, google::protobuf::Value& value);

}  // namespace todo::chat::brain_words
