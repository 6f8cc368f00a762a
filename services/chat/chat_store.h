#pragma once

// The chat schema in Postgres: conversations and their messages. Every
// method takes the caller's user id first and every statement filters on
// it, so another user's conversation is simply not found. Thread-safe
// (connections come from the pool).
//
// Errors: NOT_FOUND (a conversation that is missing or another user's),
// INVALID_ARGUMENT (a page token that is not ours), UNAVAILABLE while the
// database cannot be reached, INTERNAL otherwise.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/pg/connection_pool.h"
#include "common/time/clock.h"
#include "google/protobuf/struct.pb.h"

namespace todo::chat {

struct ConversationRecord {
  int64_t id = 0;
  std::string title;
  absl::Time created_at;
  absl::Time updated_at;
};

// One call a turn made to a task tool, with its arguments and result.
struct ToolCallRecord {
  std::string id;
  std::string tool;
  google::protobuf::Struct args;
  google::protobuf::Struct result;
};

struct MessageRecord {
  int64_t id = 0;
  int64_t conversation_id = 0;
  std::string role;  // "user" or "assistant"
  std::string content;
  std::vector<ToolCallRecord> tool_calls;
  absl::Time created_at;
  // An assistant message's question ("delete all 12 tasks?") keeps the
  // action it asks about until the next turn; empty when nothing waits.
  google::protobuf::Struct pending_action;
};

struct ConversationPage {
  std::vector<ConversationRecord> conversations;
  std::string next_page_token;
};

struct MessagePage {
  std::vector<MessageRecord> messages;
  std::string next_page_token;
};

struct StartedTurn {
  MessageRecord stored;
  std::vector<MessageRecord> history;
};

// The answer a SendMessage gave, kept for its retries.
struct StoredTurn {
  std::string fingerprint;
  int64_t conversation_id = 0;
  std::string reply;
  std::vector<ToolCallRecord> tool_calls;
};

class ChatStore {
 public:
  // Both must outlive the store.
  ChatStore(common::pg::ConnectionPool* pool, const common::time::Clock* clock);

  absl::StatusOr<ConversationRecord> CreateConversation(absl::string_view user_id,
                                                        absl::string_view title);
  absl::StatusOr<ConversationRecord> GetConversation(absl::string_view user_id, int64_t id);
  // Newest first (by last activity). `page_size` is already bounded.
  absl::StatusOr<ConversationPage> ListConversations(absl::string_view user_id, int page_size,
                                                     absl::string_view page_token);
  // Oldest first.
  absl::StatusOr<MessagePage> ListMessages(absl::string_view user_id, int64_t conversation_id,
                                           int page_size, absl::string_view page_token);
  // A turn's start, in one statement: stores the user's message and returns
  // it with the `history_limit` messages before it, oldest first (the
  // history the turn sees).
  absl::StatusOr<StartedTurn> StartTurn(absl::string_view user_id, int64_t conversation_id,
                                        absl::string_view content, int history_limit);
  // Appends a message and marks the conversation active.
  absl::StatusOr<MessageRecord> AppendMessage(absl::string_view user_id, int64_t conversation_id,
                                              absl::string_view role, absl::string_view content,
                                              const std::vector<ToolCallRecord>& tool_calls,
                                              const google::protobuf::Struct& pending_action = {});
  absl::Status DeleteConversation(absl::string_view user_id, int64_t id);
  // The turn answered under `request_id` since `since`, if any.
  absl::StatusOr<std::optional<StoredTurn>> FindTurn(absl::string_view user_id,
                                                     absl::string_view request_id,
                                                     absl::Time since);
  // Keeps `turn` for retries; an entry older than `since` is replaced, a
  // newer one (a concurrent first answer) kept.
  absl::Status SaveTurn(absl::string_view user_id, absl::string_view request_id,
                        const StoredTurn& turn, absl::Time since);
  // Removes every conversation of the user and records the user as deleted
  // (common/tombstones), in one transaction; how many conversations went.
  absl::StatusOr<int64_t> PurgeUser(absl::string_view user_id);

 private:
  common::pg::ConnectionPool* const pool_;
  const common::time::Clock* const clock_;
};

}  // namespace todo::chat
