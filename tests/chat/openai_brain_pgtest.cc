// The provider brain against a fake OpenAI-compatible server on loopback,
// a real todo-tasks and Postgres, through the turn runner (so what is
// stored is checked too): tool rounds streamed and whole, the defensive
// rules, retries, and failures that leave the conversation usable.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/pg/connection_pool.h"
#include "services/chat/provider/openai_brain.h"
#include "services/chat/turn_runner.h"
#include "tests/chat/fake_provider.h"
#include "tests/chat/tasks_beside.h"

namespace todo::chat {
namespace {

using ::testing::ElementsAre;
using testing::FakeProvider;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ScriptedCall;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

class OpenAiBrainTest : public ::testing::TestWithParam<bool> {
 protected:
  static void SetUpTestSuite() { dsn_ = new std::string(testing::MigratedDatabase()); }

  OpenAiBrainTest() : pool_(testing::SmallPool(*dsn_)), store_(&pool_, &clock_) { Rebuild({}); }

  bool stream() const { return GetParam(); }

  void Rebuild(TurnLimits limits) {
    brain_ = std::make_unique<provider::OpenAiBrain>(fake_.Config(stream()), &http_);
    runner_ = std::make_unique<TurnRunner>(&store_, &tasks_.tools(), brain_.get(), &clock_, limits);
  }

  absl::StatusOr<TurnResult> Say(const std::string& message, int64_t conversation = 0) {
    return runner_->Run(testing::TurnFor(user_, message, conversation));
  }

  int Count(const std::string& search) {
    TurnTools tools(&tasks_.tools(), Context(), "count", 5);
    google::protobuf::Struct args;
    (*args.mutable_fields())["search"].set_string_value(search);
    absl::StatusOr<ToolOutcome> listed = tools.Call("list_tasks", args);
    return listed.ok() ? static_cast<int>(listed->result.fields().at("count").number_value()) : -1;
  }

  ToolContext Context() {
    ToolContext context;
    context.authorization = testing::Bearer(user_);
    return context;
  }

  // The messages of request `n` to the provider, as "role: content".
  std::vector<std::string> Sent(size_t n) {
    std::vector<std::string> said;
    const auto requests = fake_.requests();
    if (n >= requests.size()) return said;
    for (const auto& value : requests[n].fields().at("messages").list_value().values()) {
      const auto& message = value.struct_value().fields();
      said.push_back(absl::StrCat(message.at("role").string_value(), ": ",
                                  message.at("content").string_value()));
    }
    return said;
  }

  std::vector<std::string> Roles(int64_t conversation) {
    std::vector<std::string> roles;
    absl::StatusOr<MessagePage> page = store_.ListMessages(user_, conversation, 50, "");
    if (page.ok()) {
      for (const MessageRecord& message : page->messages) roles.push_back(message.role);
    }
    return roles;
  }

  static inline std::string* dsn_ = nullptr;
  common::time::FakeClock clock_{
      absl::FromCivil(absl::CivilSecond(2026, 12, 3, 5, 30, 0), absl::UTCTimeZone())};
  testing::TasksBeside tasks_{*dsn_};
  FakeProvider fake_;
  common::http_client::CurlClient http_;
  common::pg::ConnectionPool pool_;
  ChatStore store_;
  std::unique_ptr<provider::OpenAiBrain> brain_;
  std::unique_ptr<TurnRunner> runner_;
  std::string user_ = testing::NewUser("llm");
};

TEST_P(OpenAiBrainTest, AToolRoundThenTheReplyAllStored) {
  fake_.Then(
      FakeProvider::Calls({{"add_task", R"({"title": "Buy groceries"})", "call_x"}}, stream()));
  fake_.Then(FakeProvider::Text("Added \"Buy groceries\".", stream()));
  absl::StatusOr<TurnResult> turn = Say("Add a task to buy groceries");
  ASSERT_THAT(turn, IsOk());
  EXPECT_EQ(turn->reply, "Added \"Buy groceries\".");
  ASSERT_EQ(turn->tool_calls.size(), 1u);
  EXPECT_EQ(turn->tool_calls[0].id, "call_x");
  EXPECT_EQ(Count("groceries"), 1);
  // The first request: instructions with the user's now, then the message.
  const std::vector<std::string> first = Sent(0);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_THAT(first[0], HasSubstr("Thursday 2026-12-03 10:30"));
  EXPECT_THAT(first[0], HasSubstr("Asia/Karachi (UTC+05:00)"));
  EXPECT_EQ(first[1], "user: Add a task to buy groceries");
  // The second carries the call and its result.
  const auto second = fake_.requests().at(1).fields().at("messages").list_value();
  const auto& result = second.values(3).struct_value().fields();
  EXPECT_EQ(result.at("role").string_value(), "tool");
  EXPECT_EQ(result.at("tool_call_id").string_value(), "call_x");
  EXPECT_THAT(result.at("content").string_value(), HasSubstr("\"created\""));
  EXPECT_THAT(Roles(turn->conversation_id), ElementsAre("user", "assistant"));

  // The next turn sees the stored call and result as history.
  fake_.Then(FakeProvider::Text("You have one task.", stream()));
  ASSERT_THAT(Say("what do I have?", turn->conversation_id), IsOk());
  const auto history = fake_.requests().at(2).fields().at("messages").list_value();
  ASSERT_EQ(history.values_size(), 6);  // system, user, calls, result, reply, user
  EXPECT_EQ(history.values(2).struct_value().fields().at("tool_calls").list_value().values_size(),
            1);
}

TEST_P(OpenAiBrainTest, DuplicatesRunOnceBadArgumentsAndUnknownToolsGoBack) {
  fake_.Then(FakeProvider::Calls({{"add_task", R"({"title": "Pay rent"})", "a"},
                                  {"add_task", R"({"title": "Pay rent"})", "b"},
                                  {"add_task", R"({"title": )", "c"},
                                  {"launch_rocket", "{}", ""}},
                                 stream()));
  fake_.Then(FakeProvider::Text("Done.", stream()));
  absl::StatusOr<TurnResult> turn = Say("add pay rent");
  ASSERT_THAT(turn, IsOk());
  EXPECT_EQ(Count("rent"), 1);
  // Every call is answered, in order; the id-less one got an id.
  const auto messages = fake_.requests().at(1).fields().at("messages").list_value();
  ASSERT_EQ(messages.values_size(), 7);
  std::vector<std::string> answers;
  for (int i = 3; i < 7; ++i) {
    answers.push_back(messages.values(i).struct_value().fields().at("content").string_value());
  }
  // The duplicate's answer is the first call's (one task, the same id).
  google::protobuf::Struct first_answer, second_answer;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(answers[0], &first_answer).ok());
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(answers[1], &second_answer).ok());
  EXPECT_EQ(first_answer.fields().at("task_id").number_value(),
            second_answer.fields().at("task_id").number_value());
  EXPECT_THAT(answers[2], HasSubstr("not a JSON object"));
  EXPECT_THAT(answers[3], HasSubstr("no tool called \\\"launch_rocket\\\""));
  EXPECT_FALSE(
      messages.values(6).struct_value().fields().at("tool_call_id").string_value().empty());
}

TEST_P(OpenAiBrainTest, RateLimitsAndServerErrorsAreRetried) {
  auto limited = FakeProvider::Error(429, "slow down", "rate_limit_exceeded");
  limited.headers = {{"Retry-After", "1"}};
  fake_.Then(limited);
  fake_.Then(FakeProvider::Error(503, "overloaded"));
  fake_.Then(FakeProvider::Text("Hello!", stream()));
  const absl::Time start = absl::Now();
  absl::StatusOr<TurnResult> turn = Say("hi");
  ASSERT_THAT(turn, IsOk());
  EXPECT_EQ(turn->reply, "Hello!");
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));  // Retry-After honoured
  EXPECT_EQ(fake_.requests().size(), 3u);
}

TEST_P(OpenAiBrainTest, AFailedProviderFailsTheTurnCleanlyAndTheNextWorks) {
  std::vector<std::string> logged;
  common::logging::SetSinkForTest([&logged](absl::string_view line) { logged.emplace_back(line); });
  // No quota: not retried.
  fake_.Then(FakeProvider::Error(429, "You exceeded your current quota", "insufficient_quota"));
  absl::StatusOr<TurnResult> first = Say("hello");
  common::logging::SetSinkForTest(nullptr);
  EXPECT_THAT(first, StatusIs(absl::StatusCode::kUnavailable));
  // The client hears what to do, not the provider's address or its words.
  EXPECT_THAT(first.status().message(), HasSubstr("try again"));
  EXPECT_THAT(first.status().message(), Not(HasSubstr("127.0.0.1")));
  ASSERT_FALSE(logged.empty());
  for (const std::string& line : logged) EXPECT_THAT(line, Not(HasSubstr("sk-test-secret")));
  EXPECT_EQ(fake_.requests().size(), 1u);
  absl::StatusOr<ConversationPage> page = store_.ListConversations(user_, 10, "");
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->conversations.size(), 1u);
  const int64_t conversation = page->conversations[0].id;
  EXPECT_THAT(Roles(conversation), ElementsAre("user"));  // stored, no assistant message
  // An error inside a stream (or a body that is not a completion) too.
  auto broken = FakeProvider::Text("Hel", true);
  broken.chunks.insert(broken.chunks.end() - 2,
                       "data: {\"error\": {\"message\": \"upstream died\"}}\n\n");
  fake_.Then(broken);
  EXPECT_THAT(Say("hello again", conversation), StatusIs(absl::StatusCode::kUnavailable));
  fake_.Then(FakeProvider::Text("Hi, how can I help?", stream()));
  absl::StatusOr<TurnResult> next = Say("hello once more", conversation);
  ASSERT_THAT(next, IsOk());
  EXPECT_THAT(Roles(conversation), ElementsAre("user", "user", "user", "assistant"));
}

TEST_P(OpenAiBrainTest, ASlowProviderEndsAtTheTurnsDeadline) {
  TurnLimits limits;
  limits.turn_timeout = absl::Seconds(1);
  Rebuild(limits);
  auto slow = FakeProvider::Text("too late", stream());
  slow.delay = absl::Seconds(2);
  fake_.Then(slow);
  const absl::Time start = absl::Now();
  EXPECT_THAT(Say("hi"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1800));
}

INSTANTIATE_TEST_SUITE_P(WholeAndStreamed, OpenAiBrainTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Streamed" : "Whole"; });

}  // namespace
}  // namespace todo::chat
