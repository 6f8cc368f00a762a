#pragma once

// The tool calls of one turn: run through TaskTools as the turn's user,
// each with an id (the brain's, or made here) and a call key derived from
// the turn's key and that id (so a retried turn repeats no add or
// complete), identical calls in one turn run once, at most `max_calls`
// per turn; each call and result is recorded for the assistant message
// and reported to `observer` as it happens (StreamMessage). No call runs
// past the turn's deadline: each gets what is left of it at most, and one
// asked for after it is a tool error.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/chat/chat_store.h"
#include "services/chat/task_tools.h"

namespace todo::chat {

struct TurnToolsObserver {
  // The call is about to run (arguments only).
  std::function<void(const ToolCallRecord&)> on_call;
  // It ran (arguments and result).
  std::function<void(const ToolCallRecord&)> on_result;
  // A piece of the reply, as a streaming provider sends it.
  std::function<void(absl::string_view)> on_text;
};

class TurnTools {
 public:
  // `tools` must outlive this object.
  TurnTools(const TaskTools* tools, ToolContext context, std::string turn_key, int max_calls,
            TurnToolsObserver observer = {}, absl::Time deadline = absl::InfiniteFuture());

  // Runs `tool` with `args`. `call_id` may be empty (one is made). A call
  // over the limit is a tool error; UNAVAILABLE and the like when the
  // tasks service cannot answer.
  absl::StatusOr<ToolOutcome> Call(const std::string& tool, const google::protobuf::Struct& args,
                                   std::string call_id = "");

  // Passes a piece of the reply on as it arrives (StreamMessage).
  void StreamText(absl::string_view piece) const {
    if (observer_.on_text && !piece.empty()) observer_.on_text(piece);
  }

  // Every call of the turn so far, in order, with its result.
  const std::vector<ToolCallRecord>& calls() const { return calls_; }

 private:
  const TaskTools* const tools_;
  const ToolContext context_;
  const std::string turn_key_;
  const int max_calls_;
  const TurnToolsObserver observer_;
  const absl::Time deadline_;
  std::vector<ToolCallRecord> calls_;
  std::vector<bool> errors_;
};

}  // namespace todo::chat
