// A turn end to end below gRPC: chat's schema and a real todo-tasks on one
// Postgres, the built-in brain, and a conversation continued by a second
// runner (another replica, or the same after a restart).

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/event_loops/event_loops.h"
#include "common/pg/connection_pool.h"
#include "common/pg/migrator.h"
#include "common/rpc/blocking_client.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/chat/builtin_brain.h"
#include "services/chat/migrations.h"
#include "services/chat/turn_runner.h"
#include "services/tasks/migrations.h"
#include "services/tasks/tasks_app.h"
#include "tests/harness/postgres_instance.h"
#include "tests/harness/service_environment.h"
#include "tests/harness/status_matchers.h"
#include "tests/harness/tokens.h"

namespace todo::chat {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

class TurnRunnerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::string> dsn = ::todo::testing::SharedPostgres().CreateDatabase();
    ASSERT_THAT(dsn, IsOk());
    dsn_ = new std::string(*dsn);
    common::pg::MigratorOptions migrator;
    migrator.connect.dsn = *dsn_;
    migrator.schema = tasks::kSchema;
    ASSERT_THAT(common::pg::Migrate(migrator, tasks::TasksMigrations()), IsOk());
    migrator.schema = kSchema;
    ASSERT_THAT(common::pg::Migrate(migrator, ChatMigrations()), IsOk());
  }

  // One chat replica: its own pool, store and runner.
  struct Replica {
    Replica(const std::string& dsn, const TaskTools* tools, const common::time::Clock* clock)
        : pool(Options(dsn)), store(&pool, clock), runner(&store, tools, &brain, clock, {}) {}
    static common::pg::PoolOptions Options(const std::string& dsn) {
      common::pg::PoolOptions options;
      options.connect.dsn = dsn;
      options.size = 2;
      return options;
    }
    common::pg::ConnectionPool pool;
    ChatStore store;
    BuiltinBrain brain;
    TurnRunner runner;
  };

  TurnRunnerTest() {
    absl::StatusOr<tasks::TasksConfig> config =
        tasks::LoadTasksConfig(::todo::testing::ServiceEnvironment(*dsn_, {}));
    EXPECT_THAT(config, IsOk());
    tasks_app_ = *tasks::TasksApp::Start(*config, common::time::Clock::Real());
    client_ = std::make_unique<common::rpc::BlockingClient>(loops_.loop(0),
                                                            tasks_app_->server().local_target());
    tools_ = std::make_unique<TaskTools>(client_.get());
    replica_ = std::make_unique<Replica>(*dsn_, tools_.get(), &clock_);
    static int next_user = 0;
    user_ = absl::StrCat("turns-", getpid(), "-", next_user++);
  }

  TurnRequest Request(const std::string& message, int64_t conversation = 0) {
    TurnRequest request;
    request.user_id = user_;
    request.authorization = absl::StrCat("Bearer ", ::todo::testing::MintToken(user_, absl::Now()));
    request.conversation_id = conversation;
    request.message = message;
    request.time_zone = "Asia/Karachi";
    return request;
  }

  static inline std::string* dsn_ = nullptr;
  common::time::FakeClock clock_{
      absl::FromCivil(absl::CivilSecond(2026, 12, 3, 5, 30, 0), absl::UTCTimeZone())};
  common::event_loops::EventLoops loops_{1};
  std::unique_ptr<tasks::TasksApp> tasks_app_;
  std::unique_ptr<common::rpc::BlockingClient> client_;
  std::unique_ptr<TaskTools> tools_;
  std::unique_ptr<Replica> replica_;
  std::string user_;
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
  Replica other(*dsn_, tools_.get(), &clock_);
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

TEST_F(TurnRunnerTest, RefusesBadInput) {
  EXPECT_THAT(replica_->runner.Run(Request("   ")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(replica_->runner.Run(Request(std::string(4001, 'x'))),
              StatusIs(absl::StatusCode::kInvalidArgument));
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
