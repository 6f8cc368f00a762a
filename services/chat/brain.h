#pragma once

// What answers a turn: the built-in brain (rules, offline) or a model
// behind an OpenAI-compatible API. A brain reads the message and the
// conversation so far, calls task tools through a TurnTools, and returns
// its reply text; it never sees or chooses the user id.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/chat/chat_store.h"
#include "services/chat/language/local_clock.h"
#include "services/chat/turn_tools.h"

namespace todo::chat {

struct Turn {
  std::string message;
  // The bounded window of earlier messages, oldest first.
  std::vector<MessageRecord> history;
  // The user's zone and now.
  const language::LocalClock* clock = nullptr;
};

class Brain {
 public:
  virtual ~Brain() = default;
  // The reply; UNAVAILABLE when the brain cannot answer (a provider down).
  virtual absl::StatusOr<std::string> Reply(const Turn& turn, TurnTools& tools) = 0;
};

}  // namespace todo::chat
