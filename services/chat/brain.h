#pragma once

// What answers a turn: the built-in brain (rules, offline) or a model
// behind an OpenAI-compatible API. A brain reads the message and the
// conversation so far, calls task tools through a TurnTools, and returns
// its reply text; it never sees or chooses the user id.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
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
  // When the turn must be answered (CHAT_TURN_TIMEOUT_S from its start).
  absl::Time deadline = absl::InfiniteFuture();
};

struct BrainReply {
  std::string text;
  // A bulk or destructive action the reply asks the user to confirm,
  // stored with the reply (MessageRecord::pending_action); the next turn's
  // brain finds it on the last message of its history. Its shape is the
  // brain's own. Empty: nothing waits.
  google::protobuf::Struct pending_action;
};

class Brain {
 public:
  virtual ~Brain() = default;
  // UNAVAILABLE when the brain cannot answer (a provider down).
  virtual absl::StatusOr<BrainReply> Reply(const Turn& turn, TurnTools& tools) = 0;
};

}  // namespace todo::chat
