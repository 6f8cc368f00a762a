#include "services/chat/turn_runner.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/client_status.h"
#include "common/status/status_macros.h"
#include "common/text/text_rules.h"
#include "services/chat/language/local_clock.h"

namespace todo::chat {
namespace {

// How long a retried SendMessage gets its first answer.
constexpr absl::Duration kReplayWindow = absl::Hours(24);

}  // namespace

std::string TitleFromMessage(absl::string_view message) {
  constexpr size_t kMaxTitleBytes = 60;
  absl::string_view line = absl::StripAsciiWhitespace(message.substr(0, message.find('\n')));
  if (line.size() <= kMaxTitleBytes) return std::string(line);
  size_t cut = line.rfind(' ', kMaxTitleBytes);
  if (cut == absl::string_view::npos || cut < kMaxTitleBytes / 2) {
    cut = kMaxTitleBytes;
    // Not inside a UTF-8 character.
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  }
  return absl::StrCat(absl::StripTrailingAsciiWhitespace(line.substr(0, cut)), "\xe2\x80\xa6");
}

absl::StatusOr<TurnResult> TurnRunner::Run(const TurnRequest& request,
                                           const TurnToolsObserver& observer) {
  const std::string message(absl::StripAsciiWhitespace(request.message));
  if (message.empty()) return absl::InvalidArgumentError("message must not be empty");
  // Postgres text cannot hold NUL; other control characters are no
  // message's (line breaks and tabs are).
  if (common::text::HasControlCharacters(message, common::text::LineBreaks::kAllowed)) {
    return absl::InvalidArgumentError("message must not contain control characters");
  }
  if (common::text::CountCharacters(message) > limits_.max_message_chars) {
    return absl::InvalidArgumentError(
        absl::StrCat("message must be at most ", limits_.max_message_chars, " characters"));
  }
  ASSIGN_OR_RETURN(const language::LocalClock clock,
                   language::LocalClock::ForZone(request.time_zone, clock_->Now()));
  // A retry within 24 hours: the first answer, and nothing changes.
  const std::string fingerprint =
      absl::StrCat(request.conversation_id, "\n", clock.zone(), "\n", message);
  const absl::Time replay_since = clock_->Now() - kReplayWindow;
  if (!request.request_id.empty()) {
    ASSIGN_OR_RETURN(std::optional<StoredTurn> earlier,
                     store_->FindTurn(request.user_id, request.request_id, replay_since));
    if (earlier.has_value()) {
      if (earlier->fingerprint != fingerprint) {
        return common::WithReason(
            absl::FailedPreconditionError(
                "x-request-id was already used for a different message; use a new id"),
            common::kRequestIdReused);
      }
      return TurnResult{earlier->conversation_id, std::move(earlier->reply),
                        std::move(earlier->tool_calls)};
    }
  }
  int64_t conversation_id = request.conversation_id;
  if (conversation_id == 0) {
    ASSIGN_OR_RETURN(ConversationRecord created,
                     store_->CreateConversation(request.user_id, TitleFromMessage(message)));
    conversation_id = created.id;
  }
  // The user's message is stored before the brain runs, with the history
  // read in the same statement.
  ASSIGN_OR_RETURN(StartedTurn started, store_->StartTurn(request.user_id, conversation_id, message,
                                                          limits_.history_messages));
  const MessageRecord& stored = started.stored;
  std::vector<MessageRecord> history = std::move(started.history);
  ToolContext context;
  context.authorization = request.authorization;
  context.timeout = limits_.tool_timeout;
  // Keyed by the request id when the client sent one (a retry repeats no
  // add or complete), else by the stored message.
  const std::string turn_key = request.request_id.empty()
                                   ? absl::StrCat("chat-message-", stored.id)
                                   : absl::StrCat("chat-request-", request.request_id);
  // Real time: the limit bounds real work, whatever clock dates the turn.
  const absl::Time deadline = absl::Now() + limits_.turn_timeout;
  TurnTools tools(tools_, context, turn_key, limits_.max_tool_calls, observer, deadline);
  const Turn turn{message, std::move(history), &clock, deadline};
  ASSIGN_OR_RETURN(BrainReply answer, brain_->Reply(turn, tools));
  std::string reply = std::move(answer.text);
  RETURN_IF_ERROR(store_
                      ->AppendMessage(request.user_id, conversation_id, "assistant", reply,
                                      tools.calls(), answer.pending_action)
                      .status());
  if (!request.request_id.empty()) {
    RETURN_IF_ERROR(store_->SaveTurn(request.user_id, request.request_id,
                                     {fingerprint, conversation_id, reply, tools.calls()},
                                     replay_since));
  }
  return TurnResult{conversation_id, std::move(reply), tools.calls()};
}

}  // namespace todo::chat
