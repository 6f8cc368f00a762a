#pragma once

// Messages in Urdu, read by rules of their own (Urdu puts the verb last and
// marks cases with postpositions, so the English rules do not apply): adding
// ("کل دودھ خریدنے کا کام شامل کریں"), listing ("میرے کام دکھائیں"),
// completing ("دودھ والا کام مکمل ہو گیا"), with آج, کل (tomorrow: a task is
// for the future), پرسوں, the weekdays, and times ("شام 5 بجے", Urdu or
// Western digits). The title is the Urdu words left, as the user wrote them.
// A request read here has `language` "ur", and the brain answers in Urdu.

#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/chat/language/requests.h"

namespace todo::chat::language {

// The text is written in the Arabic script (Urdu's).
bool IsUrdu(absl::string_view text);

// The requests of an Urdu message; `now` is the user's local time.
std::vector<Request> UnderstandUrdu(absl::string_view text, absl::CivilSecond now);

}  // namespace todo::chat::language
