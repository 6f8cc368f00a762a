#include "services/chat/chat_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json/flat_json.h"
#include "common/rpc/methods.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"
#include "google/protobuf/empty.pb.h"
#include "todo/chat/v1/chat.pb.h"

namespace todo::chat {
namespace {

using common::rpc::Call;
namespace v1 = chat::v1;

void ToProto(const ToolCallRecord& record, v1::ToolCall* out) {
  out->set_tool(record.tool);
  *out->mutable_args() = record.args;
  *out->mutable_result() = record.result;
}

v1::Conversation ToProto(const ConversationRecord& record) {
  v1::Conversation out;
  out.set_id(record.id);
  out.set_title(record.title);
  *out.mutable_created_at() = common::time::ToTimestamp(record.created_at);
  *out.mutable_updated_at() = common::time::ToTimestamp(record.updated_at);
  return out;
}

v1::Message ToProto(const MessageRecord& record) {
  v1::Message out;
  out.set_id(record.id);
  out.set_conversation_id(record.conversation_id);
  out.set_role(record.role);
  out.set_content(record.content);
  for (const ToolCallRecord& call : record.tool_calls) ToProto(call, out.add_tool_calls());
  *out.mutable_created_at() = common::time::ToTimestamp(record.created_at);
  return out;
}

// A page size: `fallback` when unset, at most `max`.
absl::StatusOr<int> PageSize(int32_t requested, int fallback, int max) {
  if (requested < 0) return absl::InvalidArgumentError("page_size must not be negative");
  if (requested == 0) return fallback;
  return std::min<int>(requested, max);
}

TurnRequest TurnRequestOf(const Call& call, const v1::SendMessageRequest& request,
                          std::string user) {
  TurnRequest turn;
  turn.user_id = std::move(user);
  turn.authorization = std::string(call.FirstMetadata("authorization"));
  turn.conversation_id = request.conversation_id();
  turn.message = request.message();
  turn.time_zone = request.time_zone().empty() ? std::string(call.FirstMetadata("x-time-zone"))
                                               : request.time_zone();
  turn.request_id = std::string(call.FirstMetadata("x-request-id"));
  return turn;
}

v1::SendMessageResponse ResponseOf(const TurnResult& result) {
  v1::SendMessageResponse response;
  response.set_conversation_id(result.conversation_id);
  response.set_response(result.reply);
  for (const ToolCallRecord& call : result.tool_calls) ToProto(call, response.add_tool_calls());
  return response;
}

// A tool's schema, parsed once from its spec (it is valid JSON: a unit test
// checks every one).
google::protobuf::Struct Schema(const char* json) {
  absl::StatusOr<google::protobuf::Value> parsed = common::json::ParseJsonValue(json);
  return parsed.ok() ? parsed->struct_value() : google::protobuf::Struct();
}

v1::ListToolsResponse ToolList() {
  v1::ListToolsResponse response;
  for (const ToolSpec& spec : TaskToolSpecs()) {
    v1::Tool& tool = *response.add_tools();
    tool.set_name(spec.name);
    tool.set_title(spec.title);
    tool.set_description(spec.description);
    *tool.mutable_input_schema() = Schema(spec.input_schema);
    *tool.mutable_output_schema() = Schema(spec.output_schema);
    tool.set_read_only(spec.read_only);
    tool.set_destructive(spec.destructive);
    tool.set_idempotent(spec.idempotent);
  }
  return response;
}

}  // namespace

common::rpc::MethodTable ChatServiceImpl::Methods(const common::rpc::ServerResources& resources) {
  using common::rpc::BlockingServerStream;
  using common::rpc::BlockingUnary;
  common::rpc::BlockingExecutor* const blocking = resources.blocking;
  const std::string prefix = absl::StrCat("/", kServiceName, "/");
  common::rpc::MethodTable methods;
  methods[prefix + "SendMessage"] = BlockingUnary<v1::SendMessageRequest, v1::SendMessageResponse>(
      blocking,
      [this](const Call& call,
             const v1::SendMessageRequest& request) -> absl::StatusOr<v1::SendMessageResponse> {
        ASSIGN_OR_RETURN(std::string user, identity_.UserOf(call, request.user_id()));
        ASSIGN_OR_RETURN(TurnResult result,
                         runner_->Run(TurnRequestOf(call, request, std::move(user))));
        return ResponseOf(result);
      });
  methods[prefix + "StreamMessage"] = BlockingServerStream<v1::SendMessageRequest, v1::ChatEvent>(
      resources.streams,
      [this](const Call& call, const v1::SendMessageRequest& request,
             const std::function<bool(const v1::ChatEvent&)>& write) -> absl::Status {
        ASSIGN_OR_RETURN(std::string user, identity_.UserOf(call, request.user_id()));
        TurnToolsObserver observer;
        observer.on_call = [&write](const ToolCallRecord& record) {
          v1::ChatEvent event;
          ToProto(record, event.mutable_tool_call());
          write(event);
        };
        observer.on_result = [&write](const ToolCallRecord& record) {
          v1::ChatEvent event;
          ToProto(record, event.mutable_tool_result());
          write(event);
        };
        bool streamed_text = false;
        observer.on_text = [&write, &streamed_text](absl::string_view piece) {
          v1::ChatEvent event;
          event.set_text_delta(std::string(piece));
          streamed_text = true;
          write(event);
        };
        ASSIGN_OR_RETURN(TurnResult result,
                         runner_->Run(TurnRequestOf(call, request, std::move(user)), observer));
        // A brain that did not stream its text (the built-in one) sends it whole.
        if (!streamed_text) {
          v1::ChatEvent text;
          text.set_text_delta(result.reply);
          write(text);
        }
        v1::ChatEvent done;
        *done.mutable_done() = ResponseOf(result);
        write(done);
        return absl::OkStatus();
      });
  methods[prefix + "ListConversations"] =
      BlockingUnary<v1::ListConversationsRequest, v1::ListConversationsResponse>(
          blocking,
          [this](const Call& call, const v1::ListConversationsRequest& request)
              -> absl::StatusOr<v1::ListConversationsResponse> {
            ASSIGN_OR_RETURN(std::string user, identity_.UserOf(call));
            ASSIGN_OR_RETURN(const int size, PageSize(request.page_size(), 20, 100));
            ASSIGN_OR_RETURN(ConversationPage page,
                             store_->ListConversations(user, size, request.page_token()));
            v1::ListConversationsResponse response;
            for (const ConversationRecord& record : page.conversations) {
              *response.add_conversations() = ToProto(record);
            }
            response.set_next_page_token(page.next_page_token);
            return response;
          });
  methods[prefix + "GetConversation"] = BlockingUnary<v1::GetConversationRequest, v1::Conversation>(
      blocking,
      [this](const Call& call,
             const v1::GetConversationRequest& request) -> absl::StatusOr<v1::Conversation> {
        ASSIGN_OR_RETURN(std::string user, identity_.UserOf(call));
        ASSIGN_OR_RETURN(ConversationRecord record, store_->GetConversation(user, request.id()));
        return ToProto(record);
      });
  methods[prefix + "ListMessages"] =
      BlockingUnary<v1::ListMessagesRequest, v1::ListMessagesResponse>(
          blocking,
          [this](const Call& call, const v1::ListMessagesRequest& request)
              -> absl::StatusOr<v1::ListMessagesResponse> {
            ASSIGN_OR_RETURN(std::string user, identity_.UserOf(call));
            ASSIGN_OR_RETURN(const int size, PageSize(request.page_size(), 50, 200));
            ASSIGN_OR_RETURN(MessagePage page, store_->ListMessages(user, request.conversation_id(),
                                                                    size, request.page_token()));
            v1::ListMessagesResponse response;
            for (const MessageRecord& record : page.messages)
              *response.add_messages() = ToProto(record);
            response.set_next_page_token(page.next_page_token);
            return response;
          });
  methods[prefix + "DeleteConversation"] =
      BlockingUnary<v1::DeleteConversationRequest, google::protobuf::Empty>(
          blocking,
          [this](const Call& call, const v1::DeleteConversationRequest& request)
              -> absl::StatusOr<google::protobuf::Empty> {
            ASSIGN_OR_RETURN(std::string user, identity_.UserOf(call));
            RETURN_IF_ERROR(store_->DeleteConversation(user, request.id()));
            return google::protobuf::Empty();
          });
  methods[prefix + "PurgeUserConversations"] =
      BlockingUnary<v1::PurgeUserConversationsRequest, v1::PurgeUserConversationsResponse>(
          blocking,
          [this](const Call& call, const v1::PurgeUserConversationsRequest&)
              -> absl::StatusOr<v1::PurgeUserConversationsResponse> {
            ASSIGN_OR_RETURN(std::string user, identity_.UserOf(call));
            ASSIGN_OR_RETURN(const int64_t deleted, store_->PurgeUser(user));
            if (deleted_users_ != nullptr) deleted_users_->Add(user);
            v1::PurgeUserConversationsResponse response;
            response.set_deleted_count(deleted);
            return response;
          });
  methods[prefix + "ListTools"] = BlockingUnary<v1::ListToolsRequest, v1::ListToolsResponse>(
      blocking,
      [this](const Call& call,
             const v1::ListToolsRequest&) -> absl::StatusOr<v1::ListToolsResponse> {
        RETURN_IF_ERROR(identity_.UserOf(call).status());
        static const v1::ListToolsResponse* const tools = new v1::ListToolsResponse(ToolList());
        return *tools;
      });
  methods[prefix + "CallTool"] = BlockingUnary<v1::CallToolRequest, v1::CallToolResponse>(
      blocking,
      [this](const Call& call,
             const v1::CallToolRequest& request) -> absl::StatusOr<v1::CallToolResponse> {
        RETURN_IF_ERROR(identity_.UserOf(call).status());
        if (FindToolSpec(request.name()) == nullptr) {
          return absl::NotFoundError(absl::StrCat("unknown tool \"", request.name(), "\""));
        }
        ToolContext context;
        context.authorization = std::string(call.FirstMetadata("authorization"));
        // Keyed by the request id, so a replayed call changes nothing twice;
        // without one (the gateway always sends one) each call stands alone.
        const absl::string_view request_id = call.FirstMetadata("x-request-id");
        if (!request_id.empty()) context.call_key = absl::StrCat("mcp-", request_id);
        ASSIGN_OR_RETURN(ToolOutcome outcome,
                         tools_->Run(request.name(), request.arguments(), context));
        v1::CallToolResponse response;
        *response.mutable_result() = std::move(outcome.result);
        response.set_is_error(outcome.is_error);
        return response;
      });
  return methods;
}

}  // namespace todo::chat
