// The Chat Completions wire format as the providers send it: whole answers,
// streams cut at any byte, Ollama's parallel calls, OpenRouter's comments,
// errors inside a stream.

#include "services/chat/provider/chat_completions.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace todo::chat::provider {
namespace {

using ::testing::HasSubstr;

google::protobuf::Struct Parse(const std::string& json) {
  google::protobuf::Struct parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  return parsed;
}

TEST(ChatCompletionsTest, TheRequestCarriesMessagesToolsAndOptions) {
  CompletionRequest request;
  request.model = "gpt-test";
  request.max_tokens = 300;
  request.messages = {{"system", "be brief", {}, ""},
                      {"assistant", std::nullopt, {{"c1", "list_tasks", "{}"}}, ""},
                      {"tool", "{\"count\":0}", {}, "c1"},
                      {"user", "hi", {}, ""}};
  const auto body = Parse(CompletionRequestJson(request)).fields();
  EXPECT_EQ(body.at("model").string_value(), "gpt-test");
  EXPECT_TRUE(body.at("stream").bool_value());
  EXPECT_EQ(body.at("max_tokens").number_value(), 300);
  const auto& messages = body.at("messages").list_value();
  ASSERT_EQ(messages.values_size(), 4);
  const auto& calling = messages.values(1).struct_value().fields();
  EXPECT_TRUE(calling.at("content").has_null_value());
  EXPECT_EQ(calling.at("tool_calls")
                .list_value()
                .values(0)
                .struct_value()
                .fields()
                .at("id")
                .string_value(),
            "c1");
  EXPECT_EQ(messages.values(2).struct_value().fields().at("tool_call_id").string_value(), "c1");
  const auto& tools = body.at("tools").list_value();
  ASSERT_EQ(tools.values_size(), 6);
  const auto& function = tools.values(0).struct_value().fields().at("function").struct_value();
  EXPECT_EQ(function.fields().at("parameters").struct_value().fields().at("type").string_value(),
            "object");
}

TEST(ChatCompletionsTest, AWholeAnswerWithToolCallsIsAToolTurnWhateverItsFinishReason) {
  absl::StatusOr<ModelMessage> answer = ParseCompletion(R"({"choices": [{"finish_reason": "stop",
      "message": {"role": "assistant", "content": null, "tool_calls": [
        {"id": "a", "type": "function", "function": {"name": "add_task", "arguments": "{\"title\":\"x\"}"}},
        {"type": "function", "function": {"name": "list_tasks", "arguments": {"status": "all"}}}]}}]})");
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->tool_calls.size(), 2u);
  EXPECT_EQ(answer->tool_calls[0].arguments, R"({"title":"x"})");
  EXPECT_EQ(answer->tool_calls[1].id, "");  // the brain makes one
  EXPECT_EQ(answer->tool_calls[1].arguments, R"({"status":"all"})");
  EXPECT_EQ(answer->finish_reason, "stop");
  EXPECT_EQ(ParseCompletion(R"({"error": {"message": "bad key"}})").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_FALSE(ParseCompletion("not json").ok());
  const std::optional<ProviderError> error =
      ParseError(R"({"error": {"message": "quota", "type": "insufficient_quota"}})");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->type, "insufficient_quota");
}

// A stream fed one byte at a time assembles the same as fed whole.
TEST(ChatCompletionsTest, AStreamAssemblesPerIndexAcrossAnyCut) {
  const std::string stream =
      ": OPENROUTER PROCESSING\n\n"
      "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"Sure\"}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"function\":"
      "{\"name\":\"add_task\",\"arguments\":\"{\\\"ti\"}}]}}]}\r\n\r\n"
      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"c2\",\"function\":"
      "{\"name\":\"list_tasks\",\"arguments\":\"{}\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
      "{\"arguments\":\"tle\\\":\\\"Milk\\\"}\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
      "data: [DONE]\n\n";
  StreamAssembler whole;
  ASSERT_TRUE(whole.Feed(stream).ok());
  StreamAssembler bytes;
  std::string text;
  for (char c : stream) {
    ASSERT_TRUE(bytes.Feed(std::string(1, c)).ok());
    text += bytes.TakeNewText();
  }
  EXPECT_EQ(text, "Sure");
  for (const StreamAssembler* assembled : {&whole, &bytes}) {
    EXPECT_TRUE(assembled->done());
    const ModelMessage& message = assembled->message();
    ASSERT_EQ(message.tool_calls.size(), 2u);
    EXPECT_EQ(message.tool_calls[0].name, "add_task");
    EXPECT_EQ(message.tool_calls[0].arguments, R"({"title":"Milk"})");
    EXPECT_EQ(message.tool_calls[1].id, "c2");
    EXPECT_EQ(message.finish_reason, "tool_calls");
  }
}

TEST(ChatCompletionsTest, OllamaSendsEveryParallelCallAtIndexZero) {
  StreamAssembler stream;
  ASSERT_TRUE(stream
                  .Feed("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":"
                        "\"call_a\",\"function\":{\"name\":\"complete_task\",\"arguments\":"
                        "\"{\\\"task_id\\\":1}\"}}]}}]}\n\n"
                        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":"
                        "\"call_b\",\"function\":{\"name\":\"complete_task\",\"arguments\":"
                        "\"{\\\"task_id\\\":2}\"}}]}}]}\n\n"
                        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,"
                        "\"function\":{\"name\":\"list_tasks\",\"arguments\":\"{}\"}}]}}]}\n\n"
                        "data: [DONE]\n\n")
                  .ok());
  ASSERT_EQ(stream.message().tool_calls.size(), 3u);
  EXPECT_EQ(stream.message().tool_calls[1].arguments, R"({"task_id":2})");
  EXPECT_EQ(stream.message().tool_calls[2].name, "list_tasks");
}

TEST(ChatCompletionsTest, AnErrorInsideTheStreamEndsIt) {
  StreamAssembler stream;
  ASSERT_TRUE(stream.Feed("data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n").ok());
  const absl::Status failed =
      stream.Feed("data: {\"error\":{\"message\":\"upstream overloaded\",\"code\":502}}\n\n");
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(failed.message(), HasSubstr("upstream overloaded"));
  StreamAssembler garbage;
  EXPECT_FALSE(garbage.Feed("data: {not json\n").ok());
}

}  // namespace
}  // namespace todo::chat::provider
