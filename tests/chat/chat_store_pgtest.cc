// ChatStore against a real Postgres with the real migrations.

#include <string>
#include <thread>
#include <vector>

#include "common/pg/connection_pool.h"
#include "common/pg/migrator.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/chat/chat_store.h"
#include "services/chat/migrations.h"
#include "tests/harness/postgres_instance.h"
#include "tests/harness/status_matchers.h"

namespace todo::chat {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::todo::testing::IsOk;
using ::todo::testing::IsOkAndHolds;
using ::todo::testing::SharedPostgres;
using ::todo::testing::StatusIs;

class ChatStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::string> dsn = SharedPostgres().CreateDatabase();
    ASSERT_THAT(dsn, IsOk());
    dsn_ = new std::string(*dsn);
    common::pg::MigratorOptions migrator;
    migrator.connect.dsn = *dsn_;
    migrator.schema = kSchema;
    ASSERT_THAT(common::pg::Migrate(migrator, ChatMigrations()), IsOk());
  }

  static common::pg::PoolOptions Pool() {
    common::pg::PoolOptions options;
    options.connect.dsn = *dsn_;
    options.size = 4;
    return options;
  }

  static std::vector<std::string> Contents(const std::vector<MessageRecord>& messages) {
    std::vector<std::string> contents;
    for (const MessageRecord& message : messages) contents.push_back(message.content);
    return contents;
  }

  static inline std::string* dsn_ = nullptr;
  common::time::FakeClock clock_;
  common::pg::ConnectionPool pool_{Pool()};
  ChatStore store_{&pool_, &clock_};
};

TEST_F(ChatStoreTest, AnotherUsersConversationIsNotFoundEverywhere) {
  absl::StatusOr<ConversationRecord> mine = store_.CreateConversation("alice", "Groceries");
  ASSERT_THAT(mine, IsOk());
  const int64_t id = mine->id;
  EXPECT_THAT(store_.GetConversation("mallory", id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_.ListMessages("mallory", id, 10, ""), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_.AppendMessage("mallory", id, "user", "hi", {}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_.DeleteConversation("mallory", id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_.StartTurn("mallory", id, "hi", 10), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_.ListMessages("alice", id, 10, ""),
              IsOkAndHolds(::testing::Field(&MessagePage::messages, IsEmpty())));
  EXPECT_THAT(store_.GetConversation("alice", id), IsOk());
}

TEST_F(ChatStoreTest, MessagesKeepTheirToolCallsAndOrder) {
  absl::StatusOr<ConversationRecord> conversation = store_.CreateConversation("bea", "Chores");
  ASSERT_THAT(conversation, IsOk());
  ToolCallRecord call;
  call.id = "call_1";
  call.tool = "add_task";
  (*call.args.mutable_fields())["title"].set_string_value("Buy \"milk\" \xe2\x98\xba");
  (*call.result.mutable_fields())["task_id"].set_number_value(42);
  ASSERT_THAT(store_.AppendMessage("bea", conversation->id, "user", "add buy milk", {}), IsOk());
  ASSERT_THAT(store_.AppendMessage("bea", conversation->id, "assistant", "Added.", {call}), IsOk());
  // A turn's start stores its message and sees the ones before it.
  absl::StatusOr<StartedTurn> started = store_.StartTurn("bea", conversation->id, "and eggs", 10);
  ASSERT_THAT(started, IsOk());
  EXPECT_EQ(started->stored.content, "and eggs");
  EXPECT_EQ(started->stored.role, "user");
  const std::vector<MessageRecord>& recent = started->history;
  EXPECT_THAT(Contents(recent), ElementsAre("add buy milk", "Added."));
  ASSERT_EQ(recent[1].tool_calls.size(), 1u);
  const ToolCallRecord& stored = recent[1].tool_calls[0];
  EXPECT_EQ(stored.id, "call_1");
  EXPECT_EQ(stored.tool, "add_task");
  EXPECT_EQ(stored.args.fields().at("title").string_value(), "Buy \"milk\" \xe2\x98\xba");
  EXPECT_EQ(stored.result.fields().at("task_id").number_value(), 42);
  // The window is the newest messages, oldest first.
  started = store_.StartTurn("bea", conversation->id, "and bread", 1);
  ASSERT_THAT(started, IsOk());
  EXPECT_THAT(Contents(started->history), ElementsAre("and eggs"));
  absl::StatusOr<MessagePage> all = store_.ListMessages("bea", conversation->id, 10, "");
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(Contents(all->messages),
              ElementsAre("add buy milk", "Added.", "and eggs", "and bread"));
}

TEST_F(ChatStoreTest, PagesCoverEveryConversationAndMessageOnce) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 7; ++i) {
    clock_.Advance(absl::Seconds(1));
    absl::StatusOr<ConversationRecord> made = store_.CreateConversation("cy", absl::StrCat("c", i));
    ASSERT_THAT(made, IsOk());
    ids.push_back(made->id);
    ASSERT_THAT(store_.AppendMessage("cy", made->id, "user", absl::StrCat("m", i), {}), IsOk());
  }
  std::vector<int64_t> seen;
  std::string token;
  do {
    absl::StatusOr<ConversationPage> page = store_.ListConversations("cy", 3, token);
    ASSERT_THAT(page, IsOk());
    for (const ConversationRecord& conversation : page->conversations) {
      seen.push_back(conversation.id);
    }
    token = page->next_page_token;
  } while (!token.empty());
  // Newest first.
  EXPECT_EQ(seen, std::vector<int64_t>(ids.rbegin(), ids.rend()));
  EXPECT_THAT(store_.ListConversations("cy", 3, "not-a-token"),
              StatusIs(absl::StatusCode::kInvalidArgument));

  for (int i = 0; i < 4; ++i) {
    ASSERT_THAT(store_.AppendMessage("cy", ids[0], "assistant", absl::StrCat("r", i), {}), IsOk());
  }
  std::vector<std::string> contents;
  token.clear();
  do {
    absl::StatusOr<MessagePage> page = store_.ListMessages("cy", ids[0], 2, token);
    ASSERT_THAT(page, IsOk());
    for (const MessageRecord& message : page->messages) contents.push_back(message.content);
    token = page->next_page_token;
  } while (!token.empty());
  EXPECT_THAT(contents, ElementsAre("m0", "r0", "r1", "r2", "r3"));
}

TEST_F(ChatStoreTest, PurgeRemovesOnlyTheUsersConversations) {
  ASSERT_THAT(store_.CreateConversation("dee", "one"), IsOk());
  ASSERT_THAT(store_.CreateConversation("dee", "two"), IsOk());
  ASSERT_THAT(store_.CreateConversation("eve", "keep"), IsOk());
  EXPECT_THAT(store_.PurgeUser("dee"), IsOkAndHolds(2));
  EXPECT_THAT(store_.PurgeUser("dee"), IsOkAndHolds(0));
  absl::StatusOr<ConversationPage> left = store_.ListConversations("eve", 10, "");
  ASSERT_THAT(left, IsOk());
  EXPECT_EQ(left->conversations.size(), 1u);
}

TEST_F(ChatStoreTest, ConcurrentAppendsToOneConversationAreNumberedInOrder) {
  absl::StatusOr<ConversationRecord> conversation = store_.CreateConversation("fay", "busy");
  ASSERT_THAT(conversation, IsOk());
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 10; ++i) {
        EXPECT_THAT(
            store_.AppendMessage("fay", conversation->id, "user", absl::StrCat(w, "-", i), {}),
            IsOk());
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  absl::StatusOr<MessagePage> all = store_.ListMessages("fay", conversation->id, 100, "");
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->messages.size(), 40u);
  // Each writer's messages in the order it wrote them.
  std::vector<int> next(4, 0);
  for (const MessageRecord& message : all->messages) {
    const int writer = message.content[0] - '0';
    EXPECT_EQ(message.content, absl::StrCat(writer, "-", next[writer]++));
  }
}

}  // namespace
}  // namespace todo::chat
