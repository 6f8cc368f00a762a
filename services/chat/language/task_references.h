#pragma once

// Which task or tasks a change request (complete, reopen, delete, update)
// is about: the reference rules of UnderstandMessage (requests.cc). Not for
// use elsewhere.

#include <string>

#include "absl/time/civil_time.h"
#include "services/chat/language/clause.h"
#include "services/chat/language/requests.h"

namespace todo::chat::language::internal {

// Reads the reference off `clause` into `request.target`: an id, an
// ordinal, a pronoun, quoted words, a set ("all my completed tasks", "my
// morning meetings", "them"), else the words left that name the task.
// `now` is the user's local time (for "this morning"'s range).
void ReadTaskReference(Clause& clause, Request& request, absl::CivilSecond now);

}  // namespace todo::chat::language::internal
