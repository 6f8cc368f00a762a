// A turn end to end below gRPC: chat's schema and a real todo-tasks on one
// Postgres, the built-in brain, and a conversation continued by a second
// runner (another replica, or the same after a restart).

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/pg/connection_pool.h"
#include "services/chat/builtin_brain.h"
#include "services/chat/turn_runner.h"
#include "tests/chat/tasks_beside.h"

namespace todo::chat {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

class TurnRunnerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dsn_ = new std::string(testing::MigratedDatabase()); }

  // One chat replica: its own pool, store and runner.
  struct Replica {
    Replica(const std::string& dsn, const TaskTools* tools, const common::time::Clock* clock)
        : pool(testing::SmallPool(dsn)),
          store(&pool, clock),
          runner(&store, tools, &brain, clock, {}) {}
    common::pg::ConnectionPool pool;
    ChatStore store;
    BuiltinBrain brain;
    TurnRunner runner;
  };

  TurnRunnerTest() : replica_(std::make_unique<Replica>(*dsn_, &tasks_.tools(), &clock_)) {}

  TurnRequest Request(const std::string& message, int64_t conversation = 0) {
    return testing::TurnFor(user_, message, conversation);
  }

  static inline std::string* dsn_ = nullptr;
  common::time::FakeClock clock_{
      absl::FromCivil(absl::CivilSecond(2026, 12, 3, 5, 30, 0), absl::UTCTimeZone())};
  testing::TasksBeside tasks_{*dsn_};
  std::unique_ptr<Replica> replica_;
  std::string user_ = testing::NewUser("turns");
};

TEST_F(TurnRunnerTest, AConversationContinuesOnAnotherReplica) {
  absl::StatusOr<TurnResult> first =
      replica_->runner.Run(Request("Add a task to call Mom tomorrow"));
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(first->reply, HasSubstr("Added \"Call Mom\""));
  ASSERT_EQ(first->tool_calls.size(), 1u);
  absl::StatusOr<ConversationRecord> conversation =
      replica_->store.GetConversation(user_, first->conversation_id);
  ASSERT_THAT(conversation, IsOk());
  EXPECT_EQ(conversation->title, "Add a task to call Mom tomorrow");

  // Another replica (a fresh pool and store) resolves "it" from Postgres.
  Replica other(*dsn_, &tasks_.tools(), &clock_);
  absl::StatusOr<TurnResult> second =
      other.runner.Run(Request("Mark it as complete", first->conversation_id));
  ASSERT_THAT(second, IsOk());
  ASSERT_EQ(second->tool_calls.size(), 1u);
  EXPECT_EQ(second->tool_calls[0].tool, "complete_task");

  absl::StatusOr<MessagePage> messages =
      replica_->store.ListMessages(user_, first->conversation_id, 10, "");
  ASSERT_THAT(messages, IsOk());
  std::vector<std::string> roles;
  for (const MessageRecord& message : messages->messages) roles.push_back(message.role);
  EXPECT_THAT(roles, ElementsAre("user", "assistant", "user", "assistant"));
  EXPECT_EQ(messages->messages[1].tool_calls.at(0).tool, "add_task");
}

TEST_F(TurnRunnerTest, ARetriedTurnAnswersTheSameAndChangesNothing) {
  TurnRequest request = Request("add pay rent");
  request.request_id = "retry-me";
  absl::StatusOr<TurnResult> first = replica_->runner.Run(request);
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<TurnResult> again = replica_->runner.Run(request);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->conversation_id, first->conversation_id);
  EXPECT_EQ(again->reply, first->reply);
  ASSERT_EQ(again->tool_calls.size(), 1u);
  // One exchange stored, one task.
  absl::StatusOr<MessagePage> messages =
      replica_->store.ListMessages(user_, first->conversation_id, 10, "");
  ASSERT_THAT(messages, IsOk());
  EXPECT_EQ(messages->messages.size(), 2u);
  absl::StatusOr<TurnResult> listed = replica_->runner.Run(Request("show all my tasks"));
  ASSERT_THAT(listed, IsOk());
  EXPECT_THAT(listed->reply, HasSubstr("You have 1 task"));
  // The same id for another message is refused; after 24 hours it is new.
  TurnRequest other = Request("add something else");
  other.request_id = "retry-me";
  EXPECT_THAT(replica_->runner.Run(other), StatusIs(absl::StatusCode::kFailedPrecondition));
  clock_.Advance(absl::Hours(25));
  EXPECT_THAT(replica_->runner.Run(other), IsOk());
}

TEST_F(TurnRunnerTest, AQuestionWaitsInPostgresForTheNextTurn) {
  absl::StatusOr<TurnResult> first = replica_->runner.Run(Request("add buy milk"));
  ASSERT_THAT(first, IsOk());
  const int64_t conversation = first->conversation_id;
  ASSERT_THAT(replica_->runner.Run(Request("add walk the dog", conversation)), IsOk());
  absl::StatusOr<TurnResult> asked =
      replica_->runner.Run(Request("delete all my tasks", conversation));
  ASSERT_THAT(asked, IsOk());
  EXPECT_THAT(asked->reply, HasSubstr("Shall I go ahead?"));
  // The yes reaches another replica (or the same after a restart).
  Replica other(*dsn_, &tasks_.tools(), &clock_);
  absl::StatusOr<TurnResult> yes = other.runner.Run(Request("yes", conversation));
  ASSERT_THAT(yes, IsOk());
  EXPECT_EQ(yes->tool_calls.size(), 2u);
  EXPECT_THAT(yes->reply, HasSubstr("Deleted 2 tasks"));
  // Carried out once: a second yes has nothing waiting.
  absl::StatusOr<TurnResult> again = other.runner.Run(Request("yes", conversation));
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->tool_calls.empty());
}

TEST_F(TurnRunnerTest, RefusesBadInput) {
  EXPECT_THAT(replica_->runner.Run(Request("   ")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(replica_->runner.Run(Request(std::string(4001, 'x'))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(replica_->runner.Run(Request(std::string("add milk\0now", 12))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(replica_->runner.Run(Request("add milk\nand\teggs")), IsOk());
  // 4,000 characters of two bytes each are within the limit.
  std::string accented;
  for (int i = 0; i < 4000; ++i) accented += "\xc3\xa9";
  EXPECT_THAT(replica_->runner.Run(Request(accented)), IsOk());
  TurnRequest bad_zone = Request("add x");
  bad_zone.time_zone = "Mars/Base";
  EXPECT_THAT(replica_->runner.Run(bad_zone), StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<TurnResult> mine = replica_->runner.Run(Request("hello"));
  ASSERT_THAT(mine, IsOk());
  const std::string me = user_;
  user_ = me + "-other";
  EXPECT_THAT(replica_->runner.Run(Request("hello", mine->conversation_id)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(TitleFromMessageTest, FirstLineCutAtAWord) {
  EXPECT_EQ(TitleFromMessage("  Buy milk\nand eggs"), "Buy milk");
  EXPECT_EQ(TitleFromMessage(std::string(30, 'a') + " " + std::string(40, 'b')),
            std::string(30, 'a') + "\xe2\x80\xa6");
}

}  // namespace
}  // namespace todo::chat
