// todo-chat as the binary assembles it (ChatApp, beside a TasksApp), on a
// real Postgres, called through grpc++ (a client we did not write).

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "services/chat/chat_app.h"
#include "tests/chat/tasks_beside.h"
#include "todo/chat/v1/chat.grpc.pb.h"

namespace todo::chat {
namespace {

using ::testing::HasSubstr;
using ::todo::testing::IsOk;
using Stub = v1::ChatService::Stub;

class ChatServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dsn_ = new std::string(testing::MigratedDatabase()); }

  ChatServiceTest() {
    absl::StatusOr<ChatConfig> config = LoadChatConfig(::todo::testing::ServiceEnvironment(
        *dsn_, {{"TASKS_ADDR", tasks_.app().server().local_target()}}));
    EXPECT_THAT(config, IsOk());
    absl::StatusOr<std::unique_ptr<ChatApp>> chat =
        ChatApp::Start(*config, common::time::Clock::Real());
    EXPECT_THAT(chat, IsOk());
    chat_ = *std::move(chat);
    stub_ = v1::ChatService::NewStub(
        grpc::CreateChannel(chat_->server().local_target(), grpc::InsecureChannelCredentials()));
  }

  void Prepare(grpc::ClientContext& context, const std::string& user) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    context.AddMetadata("authorization", testing::Bearer(user));
  }

  grpc::Status Send(const std::string& message, v1::SendMessageResponse* response,
                    int64_t conversation = 0, const std::string& zone = "") {
    grpc::ClientContext context;
    Prepare(context, user_);
    v1::SendMessageRequest request;
    request.set_message(message);
    request.set_conversation_id(conversation);
    request.set_time_zone(zone);
    return stub_->SendMessage(&context, request, response);
  }

  static inline std::string* dsn_ = nullptr;
  testing::TasksBeside tasks_{*dsn_};
  std::unique_ptr<ChatApp> chat_;
  std::unique_ptr<Stub> stub_;
  std::string user_ = testing::NewUser("chat");
};

TEST_F(ChatServiceTest, ATurnAddsATaskAndTheConversationKeepsIt) {
  v1::SendMessageResponse response;
  ASSERT_TRUE(Send("add call mom tomorrow at 5pm", &response, 0, "Asia/Karachi").ok());
  EXPECT_THAT(response.response(), HasSubstr("Added \"Call mom\""));
  ASSERT_EQ(response.tool_calls_size(), 1);
  EXPECT_EQ(response.tool_calls(0).tool(), "add_task");
  EXPECT_THAT(response.tool_calls(0).args().fields().at("due_date").string_value(),
              HasSubstr("T17:00:00+05:00"));

  grpc::ClientContext list_context;
  Prepare(list_context, user_);
  v1::ListConversationsResponse conversations;
  ASSERT_TRUE(stub_->ListConversations(&list_context, {}, &conversations).ok());
  ASSERT_EQ(conversations.conversations_size(), 1);
  EXPECT_EQ(conversations.conversations(0).title(), "add call mom tomorrow at 5pm");

  grpc::ClientContext messages_context;
  Prepare(messages_context, user_);
  v1::ListMessagesRequest messages_request;
  messages_request.set_conversation_id(response.conversation_id());
  v1::ListMessagesResponse messages;
  ASSERT_TRUE(stub_->ListMessages(&messages_context, messages_request, &messages).ok());
  ASSERT_EQ(messages.messages_size(), 2);
  EXPECT_EQ(messages.messages(1).tool_calls(0).tool(), "add_task");
}

TEST_F(ChatServiceTest, StreamMessageSendsToolCallsResultsTextAndTheTurn) {
  grpc::ClientContext context;
  Prepare(context, user_);
  v1::SendMessageRequest request;
  request.set_message("add water plants");
  auto reader = stub_->StreamMessage(&context, request);
  std::vector<std::string> kinds;
  v1::ChatEvent event;
  while (reader->Read(&event)) {
    kinds.push_back(event.has_tool_call()     ? "tool_call"
                    : event.has_tool_result() ? "tool_result"
                    : event.has_text_delta()  ? "text"
                                              : "done");
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_THAT(kinds, ::testing::ElementsAre("tool_call", "tool_result", "text", "done"));
}

TEST_F(ChatServiceTest, BadInputAndAnotherUsersConversation) {
  v1::SendMessageResponse response;
  EXPECT_EQ(Send("", &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Send("add x", &response, 0, "Mars/Base").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Send("hello", &response).ok());
  const int64_t mine = response.conversation_id();
  user_ += "-other";
  EXPECT_EQ(Send("hello", &response, mine).error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext context;
  Prepare(context, user_);
  v1::GetConversationRequest get;
  get.set_id(mine);
  v1::Conversation conversation;
  EXPECT_EQ(stub_->GetConversation(&context, get, &conversation).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ChatServiceTest, AnotherUsersConversationIsNotFoundOnEveryRpc) {
  v1::SendMessageResponse response;
  ASSERT_TRUE(Send("add buy milk", &response).ok());
  const int64_t mine = response.conversation_id();
  const std::string owner = user_;
  const std::string other = owner + "-intruder";
  const auto as = [this](grpc::ClientContext& context, const std::string& user) {
    Prepare(context, user);
    return &context;
  };
  {
    grpc::ClientContext context;
    v1::SendMessageRequest request;
    request.set_conversation_id(mine);
    request.set_message("show my tasks");
    auto reader = stub_->StreamMessage(as(context, other), request);
    v1::ChatEvent event;
    EXPECT_FALSE(reader->Read(&event));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    v1::ListMessagesRequest request;
    request.set_conversation_id(mine);
    v1::ListMessagesResponse messages;
    EXPECT_EQ(stub_->ListMessages(as(context, other), request, &messages).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    v1::DeleteConversationRequest request;
    request.set_id(mine);
    google::protobuf::Empty empty;
    EXPECT_EQ(stub_->DeleteConversation(as(context, other), request, &empty).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    v1::ListConversationsResponse listed;
    ASSERT_TRUE(stub_->ListConversations(as(context, other), {}, &listed).ok());
    EXPECT_EQ(listed.conversations_size(), 0);
  }
  {
    // The compatibility path's user id must be the token's.
    grpc::ClientContext context;
    v1::SendMessageRequest request;
    request.set_user_id(owner);
    request.set_message("delete all my tasks");
    v1::SendMessageResponse answer;
    EXPECT_EQ(stub_->SendMessage(as(context, other), request, &answer).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    v1::PurgeUserConversationsResponse purged;
    ASSERT_TRUE(stub_->PurgeUserConversations(as(context, other), {}, &purged).ok());
    EXPECT_EQ(purged.deleted_count(), 0);
  }
  // All of it still the owner's.
  grpc::ClientContext context;
  v1::ListMessagesRequest request;
  request.set_conversation_id(mine);
  v1::ListMessagesResponse messages;
  ASSERT_TRUE(stub_->ListMessages(as(context, owner), request, &messages).ok());
  EXPECT_EQ(messages.messages_size(), 2);
}

TEST_F(ChatServiceTest, TwoTurnsAtOnceAreBothStoredInOrder) {
  v1::SendMessageResponse first;
  ASSERT_TRUE(Send("hello", &first).ok());
  const int64_t conversation = first.conversation_id();
  std::vector<std::thread> turns;
  std::atomic<int> ok{0};
  for (int t = 0; t < 2; ++t) {
    turns.emplace_back([&, t] {
      v1::SendMessageResponse response;
      if (Send(absl::StrCat("add errand ", t), &response, conversation).ok()) ++ok;
    });
  }
  for (std::thread& turn : turns) turn.join();
  EXPECT_EQ(ok.load(), 2);
  grpc::ClientContext context;
  Prepare(context, user_);
  v1::ListMessagesRequest request;
  request.set_conversation_id(conversation);
  v1::ListMessagesResponse messages;
  ASSERT_TRUE(stub_->ListMessages(&context, request, &messages).ok());
  ASSERT_EQ(messages.messages_size(), 6);
  // Each turn's user message comes before its reply, and ids only grow.
  std::vector<std::string> roles;
  for (int i = 0; i < messages.messages_size(); ++i) {
    roles.push_back(messages.messages(i).role());
    if (i > 0) {
      EXPECT_LT(messages.messages(i - 1).id(), messages.messages(i).id());
    }
  }
  EXPECT_EQ(roles[2], "user");
  EXPECT_EQ(std::count(roles.begin(), roles.end(), "assistant"), 3);
}

TEST_F(ChatServiceTest, PurgeRemovesTheConversationsAndRefusesTheToken) {
  v1::SendMessageResponse response;
  ASSERT_TRUE(Send("hello", &response).ok());
  grpc::ClientContext context;
  Prepare(context, user_);
  v1::PurgeUserConversationsResponse purged;
  ASSERT_TRUE(stub_->PurgeUserConversations(&context, {}, &purged).ok());
  EXPECT_EQ(purged.deleted_count(), 1);
  EXPECT_EQ(Send("hello", &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ChatServiceTest, ListsTheTaskToolsWithTheirSchemasAndHints) {
  grpc::ClientContext context;
  Prepare(context, user_);
  v1::ListToolsResponse listed;
  ASSERT_TRUE(stub_->ListTools(&context, {}, &listed).ok());
  std::vector<std::string> names;
  for (const v1::Tool& tool : listed.tools()) {
    names.push_back(tool.name());
    EXPECT_EQ(tool.input_schema().fields().at("type").string_value(), "object") << tool.name();
    EXPECT_EQ(tool.output_schema().fields().at("type").string_value(), "object") << tool.name();
    EXPECT_FALSE(tool.title().empty());
    EXPECT_FALSE(tool.description().empty());
    EXPECT_EQ(tool.read_only(), tool.name() == "list_tasks") << tool.name();
    EXPECT_EQ(tool.destructive(), tool.name() == "delete_task") << tool.name();
  }
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("add_task", "list_tasks", "complete_task",
                                                     "reopen_task", "update_task", "delete_task"));
}

TEST_F(ChatServiceTest, CallsAToolOncePerRequestIdAndAsTheCallerOnly) {
  const auto call = [&](const std::string& user, const std::string& name,
                        const std::string& arguments, const std::string& request_id,
                        v1::CallToolResponse* response) {
    grpc::ClientContext context;
    Prepare(context, user);
    if (!request_id.empty()) context.AddMetadata("x-request-id", request_id);
    v1::CallToolRequest request;
    request.set_name(name);
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(arguments, request.mutable_arguments()).ok());
    return stub_->CallTool(&context, request, response);
  };
  v1::CallToolResponse first, again, other;
  ASSERT_TRUE(call(user_, "add_task", R"({"title": "water the plants"})", "mcp-1", &first).ok());
  ASSERT_FALSE(first.is_error());
  const double id = first.result().fields().at("task_id").number_value();
  EXPECT_EQ(first.result().fields().at("status").string_value(), "created");
  ASSERT_TRUE(call(user_, "add_task", R"({"title": "water the plants"})", "mcp-1", &again).ok());
  EXPECT_EQ(again.result().fields().at("task_id").number_value(), id);  // not a second task
  ASSERT_TRUE(call(user_, "add_task", R"({"title": "water the plants"})", "mcp-2", &other).ok());
  EXPECT_NE(other.result().fields().at("task_id").number_value(), id);

  // Another user's task is "not found", as a result the caller can act on.
  v1::CallToolResponse stranger;
  ASSERT_TRUE(call(testing::NewUser("stranger"), "complete_task",
                   absl::StrCat(R"({"task_id": )", id, "}"), "", &stranger)
                  .ok());
  EXPECT_TRUE(stranger.is_error());
  EXPECT_THAT(stranger.result().fields().at("error").string_value(), HasSubstr("not found"));
  // Bad arguments are a result too; an unknown tool is NOT_FOUND.
  v1::CallToolResponse bad;
  ASSERT_TRUE(call(user_, "add_task", R"({"title": 7})", "", &bad).ok());
  EXPECT_TRUE(bad.is_error());
  EXPECT_EQ(call(user_, "make_coffee", "{}", "", &bad).error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext anonymous;
  EXPECT_EQ(stub_->CallTool(&anonymous, {}, &bad).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace todo::chat
