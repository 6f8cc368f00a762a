#include "services/chat/chat_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/json/flat_json.h"
#include "common/pg/sql_error.h"
#include "common/pg/transaction.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/json_util.h"

namespace todo::chat {
namespace {

using common::pg::Params;
using common::pg::Result;
using common::pg::Statement;

#define CONVERSATION_COLUMNS "id, title, created_at, updated_at"
#define MESSAGE_COLUMNS \
  "id, conversation_id, role, content, tool_calls::text, created_at, pending_action::text"

constexpr Statement kInsertConversation{
    "chat_insert_conversation",
    "INSERT INTO chat.conversations (user_id, title, created_at, updated_at) "
    "VALUES ($1, $2, $3, $3) RETURNING " CONVERSATION_COLUMNS};
constexpr Statement kSelectConversation{"chat_select_conversation",
                                        "SELECT " CONVERSATION_COLUMNS
                                        " FROM chat.conversations WHERE user_id = $1 AND id = $2"};
// Keyset pages over (updated_at DESC, id DESC); $2 and $3 are the last row
// of the previous page (the first page passes 'infinity').
constexpr Statement kListConversations{
    "chat_list_conversations",
    "SELECT " CONVERSATION_COLUMNS
    " FROM chat.conversations WHERE user_id = $1 AND (updated_at, id) < ($2::timestamptz, $3) "
    "ORDER BY updated_at DESC, id DESC LIMIT $4"};
constexpr Statement kListMessages{
    "chat_list_messages",
    "SELECT " MESSAGE_COLUMNS
    " FROM chat.messages WHERE user_id = $1 AND conversation_id = $2 AND id > $3 "
    "ORDER BY id LIMIT $4"};
// Each write below is one statement (its own transaction, one round trip):
// the conversation's row is locked and touched first, so messages of one
// conversation are numbered in the order their turns stored them, and a
// conversation that is not the caller's touches nothing and stores nothing.
#define TOUCH_CONVERSATION                                                                 \
  "WITH touched AS (UPDATE chat.conversations SET updated_at = greatest(updated_at, $3), " \
  "message_count = message_count + 1 WHERE user_id = $1 AND id = $2 "                      \
  "RETURNING id, message_count) "
constexpr Statement kAppendMessage{
    "chat_append_message", TOUCH_CONVERSATION
    "INSERT INTO chat.messages (conversation_id, user_id, role, content, tool_calls, created_at, "
    "pending_action, seq) SELECT id, $1, $4, $5, $6::jsonb, $3, $7::jsonb, message_count "
    "FROM touched RETURNING id, created_at"};
// A turn's start: stores the user's message and reads the `$5` messages
// before it by their numbers (a bounded range of the (conversation_id, seq)
// index whatever the plan), newest first; the stored row is marked by the
// last column.
constexpr Statement kStartTurn{
    "chat_start_turn", TOUCH_CONVERSATION
    ", stored AS (INSERT INTO chat.messages (conversation_id, user_id, role, content, tool_calls, "
    "created_at, seq) SELECT id, $1, 'user', $4, '[]'::jsonb, $3, message_count FROM touched "
    "RETURNING " MESSAGE_COLUMNS ") SELECT " MESSAGE_COLUMNS
    ", true FROM stored "
    "UNION ALL (SELECT m.id, m.conversation_id, m.role, m.content, m.tool_calls::text, "
    "m.created_at, m.pending_action::text, false FROM chat.messages m JOIN touched t "
    "ON m.conversation_id = t.id WHERE m.user_id = $1 AND m.seq < t.message_count "
    "AND m.seq >= t.message_count - $5 ORDER BY m.seq DESC)"};
#undef TOUCH_CONVERSATION
constexpr Statement kDeleteConversation{
    "chat_delete_conversation", "DELETE FROM chat.conversations WHERE user_id = $1 AND id = $2"};
constexpr Statement kPurgeConversations{"chat_purge_conversations",
                                        "DELETE FROM chat.conversations WHERE user_id = $1"};
constexpr Statement kTombstone{"chat_tombstone",
                               "INSERT INTO chat.deleted_users (user_id, deleted_at) "
                               "VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING"};
constexpr Statement kFindTurn{
    "chat_find_turn",
    "SELECT fingerprint, conversation_id, reply, tool_calls::text FROM chat.turn_requests "
    "WHERE user_id = $1 AND request_id = $2 AND created_at >= $3"};
constexpr Statement kSaveTurn{
    "chat_save_turn",
    "INSERT INTO chat.turn_requests (user_id, request_id, fingerprint, conversation_id, reply, "
    "tool_calls, created_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) "
    "ON CONFLICT (user_id, request_id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, "
    "conversation_id = EXCLUDED.conversation_id, reply = EXCLUDED.reply, "
    "tool_calls = EXCLUDED.tool_calls, created_at = EXCLUDED.created_at "
    "WHERE chat.turn_requests.created_at < $8"};
constexpr Statement kPurgeTurns{"chat_purge_turns",
                                "DELETE FROM chat.turn_requests WHERE user_id = $1"};
#undef CONVERSATION_COLUMNS
#undef MESSAGE_COLUMNS

absl::Status ConversationNotFound(int64_t id) {
  return absl::NotFoundError(absl::StrCat("conversation ", id, " not found"));
}

absl::StatusOr<ConversationRecord> ReadConversation(const Result& result, int row) {
  ConversationRecord conversation;
  ASSIGN_OR_RETURN(conversation.id, result.GetInt64(row, 0));
  conversation.title = std::string(result.GetText(row, 1));
  ASSIGN_OR_RETURN(conversation.created_at, result.GetTime(row, 2));
  ASSIGN_OR_RETURN(conversation.updated_at, result.GetTime(row, 3));
  return conversation;
}

// The tool calls of a message as stored: a JSON array of
// {id, tool, args, result}, printed and parsed by protobuf's JSON support.
std::string ToolCallsJson(const std::vector<ToolCallRecord>& calls) {
  google::protobuf::ListValue list;
  for (const ToolCallRecord& call : calls) {
    auto& fields = *list.add_values()->mutable_struct_value()->mutable_fields();
    fields["id"].set_string_value(call.id);
    fields["tool"].set_string_value(call.tool);
    *fields["args"].mutable_struct_value() = call.args;
    *fields["result"].mutable_struct_value() = call.result;
  }
  std::string json;
  // A ListValue of Structs always prints.
  (void)google::protobuf::util::MessageToJsonString(list, &json);
  return json;
}

// NULL when nothing waits.
std::optional<std::string> PendingActionJson(const google::protobuf::Struct& action) {
  if (action.fields().empty()) return std::nullopt;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(action, &json);
  return json;
}

absl::StatusOr<std::vector<ToolCallRecord>> ParseToolCalls(absl::string_view json) {
  absl::StatusOr<google::protobuf::Value> list = common::json::ParseJsonValue(json);
  if (!list.ok() || !list->has_list_value()) {
    return absl::InternalError("stored tool calls are not a JSON array");
  }
  std::vector<ToolCallRecord> calls;
  for (const google::protobuf::Value& value : list->list_value().values()) {
    const auto& fields = value.struct_value().fields();
    ToolCallRecord call;
    if (auto id = fields.find("id"); id != fields.end()) call.id = id->second.string_value();
    if (auto tool = fields.find("tool"); tool != fields.end()) {
      call.tool = tool->second.string_value();
    }
    if (auto args = fields.find("args"); args != fields.end()) {
      call.args = args->second.struct_value();
    }
    if (auto result = fields.find("result"); result != fields.end()) {
      call.result = result->second.struct_value();
    }
    calls.push_back(std::move(call));
  }
  return calls;
}

absl::StatusOr<MessageRecord> ReadMessage(const Result& result, int row) {
  MessageRecord message;
  ASSIGN_OR_RETURN(message.id, result.GetInt64(row, 0));
  ASSIGN_OR_RETURN(message.conversation_id, result.GetInt64(row, 1));
  message.role = std::string(result.GetText(row, 2));
  message.content = std::string(result.GetText(row, 3));
  ASSIGN_OR_RETURN(message.tool_calls, ParseToolCalls(result.GetText(row, 4)));
  ASSIGN_OR_RETURN(message.created_at, result.GetTime(row, 5));
  if (!result.IsNull(row, 6)) {
    absl::StatusOr<google::protobuf::Value> action =
        common::json::ParseJsonValue(result.GetText(row, 6));
    if (!action.ok() || !action->has_struct_value()) {
      return absl::InternalError("a stored pending action is not a JSON object");
    }
    message.pending_action = std::move(*action->mutable_struct_value());
  }
  return message;
}

// Page tokens: opaque to clients, "c1:<micros>:<id>" (conversations) and
// "m1:<id>" (messages) in URL-safe base64.
std::string EncodeToken(absl::string_view plain) { return absl::WebSafeBase64Escape(plain); }

absl::Status BadPageToken() { return absl::InvalidArgumentError("page_token is not valid"); }

struct ConversationCursor {
  absl::Time updated_at = absl::InfiniteFuture();
  int64_t id = 0;
};

absl::StatusOr<ConversationCursor> DecodeConversationToken(absl::string_view token) {
  ConversationCursor cursor;
  if (token.empty()) return cursor;
  std::string plain;
  if (!absl::WebSafeBase64Unescape(token, &plain)) return BadPageToken();
  std::vector<absl::string_view> parts = absl::StrSplit(plain, ':');
  int64_t micros = 0;
  if (parts.size() != 3 || parts[0] != "c1" || !absl::SimpleAtoi(parts[1], &micros) ||
      !absl::SimpleAtoi(parts[2], &cursor.id)) {
    return BadPageToken();
  }
  cursor.updated_at = absl::FromUnixMicros(micros);
  return cursor;
}

absl::StatusOr<int64_t> DecodeMessageToken(absl::string_view token) {
  if (token.empty()) return 0;
  std::string plain;
  int64_t id = 0;
  if (!absl::WebSafeBase64Unescape(token, &plain) || !absl::StartsWith(plain, "m1:") ||
      !absl::SimpleAtoi(absl::string_view(plain).substr(3), &id)) {
    return BadPageToken();
  }
  return id;
}

}  // namespace

ChatStore::ChatStore(common::pg::ConnectionPool* pool, const common::time::Clock* clock)
    : pool_(pool), clock_(clock) {}

absl::StatusOr<ConversationRecord> ChatStore::CreateConversation(absl::string_view user_id,
                                                                 absl::string_view title) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(
      Result inserted,
      conn->Execute(kInsertConversation, Params().Add(user_id).Add(title).Add(clock_->Now())));
  return ReadConversation(inserted, 0);
}

absl::StatusOr<ConversationRecord> ChatStore::GetConversation(absl::string_view user_id,
                                                              int64_t id) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(Result found, conn->Execute(kSelectConversation, Params().Add(user_id).Add(id)));
  if (found.rows() == 0) return ConversationNotFound(id);
  return ReadConversation(found, 0);
}

absl::StatusOr<ConversationPage> ChatStore::ListConversations(absl::string_view user_id,
                                                              int page_size,
                                                              absl::string_view page_token) {
  ASSIGN_OR_RETURN(const ConversationCursor cursor, DecodeConversationToken(page_token));
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  Params params;
  params.Add(user_id);
  if (cursor.updated_at == absl::InfiniteFuture()) {
    params.Add("infinity");
  } else {
    params.Add(cursor.updated_at);
  }
  params.Add(cursor.id).Add(page_size + 1);
  ASSIGN_OR_RETURN(Result rows, conn->Execute(kListConversations, params));
  ConversationPage page;
  for (int row = 0; row < rows.rows() && row < page_size; ++row) {
    ASSIGN_OR_RETURN(ConversationRecord conversation, ReadConversation(rows, row));
    page.conversations.push_back(std::move(conversation));
  }
  if (rows.rows() > page_size) {
    const ConversationRecord& last = page.conversations.back();
    page.next_page_token =
        EncodeToken(absl::StrCat("c1:", absl::ToUnixMicros(last.updated_at), ":", last.id));
  }
  return page;
}

absl::StatusOr<MessagePage> ChatStore::ListMessages(absl::string_view user_id,
                                                    int64_t conversation_id, int page_size,
                                                    absl::string_view page_token) {
  ASSIGN_OR_RETURN(const int64_t after, DecodeMessageToken(page_token));
  // NOT_FOUND for a conversation that is not the caller's, even when empty.
  RETURN_IF_ERROR(GetConversation(user_id, conversation_id).status());
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(
      Result rows,
      conn->Execute(kListMessages,
                    Params().Add(user_id).Add(conversation_id).Add(after).Add(page_size + 1)));
  MessagePage page;
  for (int row = 0; row < rows.rows() && row < page_size; ++row) {
    ASSIGN_OR_RETURN(MessageRecord message, ReadMessage(rows, row));
    page.messages.push_back(std::move(message));
  }
  if (rows.rows() > page_size) {
    page.next_page_token = EncodeToken(absl::StrCat("m1:", page.messages.back().id));
  }
  return page;
}

absl::StatusOr<StartedTurn> ChatStore::StartTurn(absl::string_view user_id, int64_t conversation_id,
                                                 absl::string_view content, int history_limit) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(Result rows, conn->Execute(kStartTurn, Params()
                                                              .Add(user_id)
                                                              .Add(conversation_id)
                                                              .Add(clock_->Now())
                                                              .Add(content)
                                                              .Add(history_limit)));
  if (rows.rows() == 0) return ConversationNotFound(conversation_id);
  StartedTurn turn;
  for (int row = 0; row < rows.rows(); ++row) {
    ASSIGN_OR_RETURN(MessageRecord message, ReadMessage(rows, row));
    if (rows.GetText(row, 7) == "t") {
      turn.stored = std::move(message);
    } else {
      turn.history.push_back(std::move(message));
    }
  }
  std::reverse(turn.history.begin(), turn.history.end());  // oldest first
  return turn;
}

absl::StatusOr<MessageRecord> ChatStore::AppendMessage(
    absl::string_view user_id, int64_t conversation_id, absl::string_view role,
    absl::string_view content, const std::vector<ToolCallRecord>& tool_calls,
    const google::protobuf::Struct& pending_action) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(
      Result inserted,
      conn->Execute(kAppendMessage, Params()
                                        .Add(user_id)
                                        .Add(conversation_id)
                                        .Add(clock_->Now())
                                        .Add(role)
                                        .Add(content)
                                        .Add(ToolCallsJson(tool_calls))
                                        .AddOptional(PendingActionJson(pending_action))));
  if (inserted.rows() == 0) return ConversationNotFound(conversation_id);
  // What was written, not parsed back.
  MessageRecord message;
  ASSIGN_OR_RETURN(message.id, inserted.GetInt64(0, 0));
  ASSIGN_OR_RETURN(message.created_at, inserted.GetTime(0, 1));
  message.conversation_id = conversation_id;
  message.role = std::string(role);
  message.content = std::string(content);
  message.tool_calls = tool_calls;
  message.pending_action = pending_action;
  return message;
}

absl::Status ChatStore::DeleteConversation(absl::string_view user_id, int64_t id) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(Result deleted,
                   conn->Execute(kDeleteConversation, Params().Add(user_id).Add(id)));
  if (deleted.affected_rows() == 0) return ConversationNotFound(id);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StoredTurn>> ChatStore::FindTurn(absl::string_view user_id,
                                                              absl::string_view request_id,
                                                              absl::Time since) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(Result found,
                   conn->Execute(kFindTurn, Params().Add(user_id).Add(request_id).Add(since)));
  if (found.rows() == 0) return std::optional<StoredTurn>();
  StoredTurn turn;
  turn.fingerprint = std::string(found.GetText(0, 0));
  ASSIGN_OR_RETURN(turn.conversation_id, found.GetInt64(0, 1));
  turn.reply = std::string(found.GetText(0, 2));
  ASSIGN_OR_RETURN(turn.tool_calls, ParseToolCalls(found.GetText(0, 3)));
  return std::optional<StoredTurn>(std::move(turn));
}

absl::Status ChatStore::SaveTurn(absl::string_view user_id, absl::string_view request_id,
                                 const StoredTurn& turn, absl::Time since) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  return conn
      ->Execute(kSaveTurn, Params()
                               .Add(user_id)
                               .Add(request_id)
                               .Add(turn.fingerprint)
                               .Add(turn.conversation_id)
                               .Add(turn.reply)
                               .Add(ToolCallsJson(turn.tool_calls))
                               .Add(clock_->Now())
                               .Add(since))
      .status();
}

absl::StatusOr<int64_t> ChatStore::PurgeUser(absl::string_view user_id) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(common::pg::Transaction tx, common::pg::Transaction::Begin(*conn));
  ASSIGN_OR_RETURN(Result deleted, tx.Execute(kPurgeConversations, Params().Add(user_id)));
  RETURN_IF_ERROR(tx.Execute(kPurgeTurns, Params().Add(user_id)).status());
  RETURN_IF_ERROR(tx.Execute(kTombstone, Params().Add(user_id).Add(clock_->Now())).status());
  RETURN_IF_ERROR(tx.Commit());
  return deleted.affected_rows();
}

}  // namespace todo::chat
