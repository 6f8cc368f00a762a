#pragma once

// One stateless turn of a conversation: check the message and the time
// zone, find or start the conversation (titled from its first message),
// load a bounded window of history, store the user's message, let the
// brain answer with the task tools, store the reply with its tool calls.
// Any replica can run the next turn: everything lives in Postgres.
//
// A brain that fails (a provider down) fails the turn after the user's
// message is stored and without an assistant message; the next turn works.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "services/chat/brain.h"
#include "services/chat/chat_store.h"
#include "services/chat/task_tools.h"
#include "services/chat/turn_tools.h"

namespace todo::chat {

struct TurnLimits {
  // Characters (code points) of a message, after trimming.
  size_t max_message_chars = 4000;
  // Earlier messages a turn sees.
  int history_messages = 20;
  int max_tool_calls = 20;
  // Each tool call's deadline.
  absl::Duration tool_timeout = absl::Seconds(5);
  // A whole turn: the brain's work and its tool calls. A provider that
  // takes longer fails the turn (UNAVAILABLE); the built-in brain's tool
  // calls past it are tool errors.
  absl::Duration turn_timeout = absl::Seconds(30);
};

struct TurnRequest {
  std::string user_id;
  // The caller's "Bearer <JWT>", for the tool calls.
  std::string authorization;
  // 0: a new conversation.
  int64_t conversation_id = 0;
  std::string message;
  // IANA; empty is UTC.
  std::string time_zone;
  // The call's x-request-id, if any: tool calls are keyed by it, so a
  // retried turn adds or completes nothing twice.
  std::string request_id;
};

struct TurnResult {
  int64_t conversation_id = 0;
  std::string reply;
  std::vector<ToolCallRecord> tool_calls;
};

class TurnRunner {
 public:
  // Every pointer must outlive the runner.
  TurnRunner(ChatStore* store, const TaskTools* tools, Brain* brain,
             const common::time::Clock* clock, TurnLimits limits)
      : store_(store), tools_(tools), brain_(brain), clock_(clock), limits_(limits) {}

  // INVALID_ARGUMENT for an empty or too long message or a bad zone;
  // NOT_FOUND for a conversation that is missing or another user's.
  absl::StatusOr<TurnResult> Run(const TurnRequest& request,
                                 const TurnToolsObserver& observer = {});

  const TurnLimits& limits() const { return limits_; }

 private:
  ChatStore* const store_;
  const TaskTools* const tools_;
  Brain* const brain_;
  const common::time::Clock* const clock_;
  const TurnLimits limits_;
};

// A conversation's title from its first message: the first line, cut at a
// word before 60 characters.
std::string TitleFromMessage(absl::string_view message);

}  // namespace todo::chat
