#pragma once

// The default brain: rules, no model, no network, deterministic. It reads
// each request of the message (language/requests.h), resolves which task it
// means (an id; "it" and "that one" from the last task the conversation
// touched; "the first one" from the last listing; words by a search), calls
// the tools, and says exactly what changed.
//
// It never guesses a destructive act: words that match several tasks get a
// question back, and deleting tasks by a description or changing every task
// ("delete all my tasks", "complete everything") lists them and waits for a
// yes, kept as the reply's pending action: "yes" next carries out exactly
// what was listed, anything else drops it. Numeric dates read day-first
// outside the Americas (and month-first there and when the user gave no
// zone).

#include <string>

#include "services/chat/brain.h"

namespace todo::chat {

class BuiltinBrain final : public Brain {
 public:
  absl::StatusOr<BrainReply> Reply(const Turn& turn, TurnTools& tools) override;
};

}  // namespace todo::chat
