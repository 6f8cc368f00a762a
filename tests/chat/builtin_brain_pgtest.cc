// The built-in brain on the rows of chat-commands.md, against a real
// todo-tasks on a real Postgres: the tool calls it makes and what the
// tasks are afterwards. Turns are carried as the service will carry them:
// each assistant reply stored with its tool calls, read back as history.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "services/chat/builtin_brain.h"
#include "tests/chat/tasks_beside.h"

namespace todo::chat {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::todo::testing::IsOk;

class BuiltinBrainTest : public ::testing::Test {
 protected:
  using Said = testing::Said;

  static void SetUpTestSuite() { dsn_ = new std::string(testing::MigratedDatabase()); }

  BuiltinBrainTest() {
    // Thursday 2026-12-03 10:30 in Karachi (UTC+5).
    clock_ = std::make_unique<language::LocalClock>(*language::LocalClock::ForZone(
        "Asia/Karachi",
        absl::FromCivil(absl::CivilSecond(2026, 12, 3, 5, 30, 0), absl::UTCTimeZone())));
  }

  ToolContext Context() {
    ToolContext context;
    context.authorization = testing::Bearer(user_);
    return context;
  }

  // One turn, kept in the conversation's history.
  Said Say(const std::string& message) {
    TurnTools turn_tools(&tasks_.tools(), Context(), absl::StrCat("turn-", turns_++), 10);
    Turn turn{message, history_, clock_.get()};
    absl::StatusOr<BrainReply> reply = brain_.Reply(turn, turn_tools);
    EXPECT_THAT(reply, IsOk()) << message;
    MessageRecord user;
    user.role = "user";
    user.content = message;
    MessageRecord assistant;
    assistant.role = "assistant";
    assistant.content = reply.ok() ? reply->text : "";
    assistant.tool_calls = turn_tools.calls();
    if (reply.ok()) assistant.pending_action = reply->pending_action;
    history_.push_back(user);
    history_.push_back(assistant);
    return {assistant.content, turn_tools.calls()};
  }

  // The user's tasks as "title [status]", by id.
  std::vector<std::string> Tasks() {
    TurnTools turn_tools(&tasks_.tools(), Context(), "check", 10);
    google::protobuf::Struct args;
    (*args.mutable_fields())["sort"].set_string_value("created_at");
    absl::StatusOr<ToolOutcome> listed = turn_tools.Call("list_tasks", args);
    std::vector<std::string> tasks;
    if (!listed.ok()) return tasks;
    for (const auto& value : listed->result.fields().at("tasks").list_value().values()) {
      const auto& task = value.struct_value().fields();
      tasks.push_back(absl::StrCat(task.at("title").string_value(), " [",
                                   task.at("status").string_value(), "]"));
    }
    return tasks;
  }

  static inline std::string* dsn_ = nullptr;
  testing::TasksBeside tasks_{*dsn_};
  std::unique_ptr<language::LocalClock> clock_;
  BuiltinBrain brain_;
  std::string user_ = testing::NewUser("brain");
  std::vector<MessageRecord> history_;
  int turns_ = 0;
};

TEST_F(BuiltinBrainTest, AddsListsAndCompletesByNumber) {  // rows 1, 2, 3, 4, 8
  EXPECT_THAT(Say("Add a task to buy groceries").tools(), ElementsAre("add_task"));
  EXPECT_THAT(
      Say("I need to remember to pay bills").calls.at(0).args.fields().at("title").string_value(),
      "Pay bills");
  Say("add walk the dog");
  const Said all = Say("Show me all my tasks");
  EXPECT_THAT(all.tools(), ElementsAre("list_tasks"));
  EXPECT_EQ(all.ArgJson(0, "status"), "\"all\"");
  EXPECT_THAT(all.reply, HasSubstr("You have 3 tasks"));
  // Row 13: the order of the last listing (newest first: "Walk the dog").
  EXPECT_THAT(all.reply, HasSubstr("1. Walk the dog"));
  const Said first = Say("Complete the first one");
  EXPECT_THAT(first.tools(), ElementsAre("complete_task"));
  EXPECT_THAT(Tasks(), ElementsAre("Buy groceries [pending]", "Pay bills [pending]",
                                   "Walk the dog [completed]"));
  EXPECT_THAT(Say("What's pending?").reply, HasSubstr("You have 2 tasks"));
  EXPECT_THAT(Say("What have I completed?").reply, HasSubstr("You have 1 task"));
}

TEST_F(BuiltinBrainTest, ReferencesFromHistoryAndDates) {  // rows 9, 10, 11
  const Said added = Say("Add a task to call Mom tomorrow");
  EXPECT_EQ(added.ArgJson(0, "title"), "\"Call Mom\"");
  EXPECT_EQ(added.ArgJson(0, "due_date"), "\"2026-12-04T23:59:00+05:00\"");
  EXPECT_THAT(Say("Make it high priority").tools(), ElementsAre("update_task"));
  const Said done = Say("Mark it as complete");
  EXPECT_THAT(done.tools(), ElementsAre("complete_task"));  // no list_tasks needed
  EXPECT_THAT(Tasks(), ElementsAre("Call Mom [completed]"));
}

TEST_F(BuiltinBrainTest, WordsFindTheTaskAndAmbiguityAsks) {  // rows 5, 14, 15, 20
  Say("add team meeting");
  Say("add meeting notes");
  const Said ambiguous = Say("Delete the meeting task");
  EXPECT_THAT(ambiguous.tools(), ElementsAre("list_tasks"));  // no delete_task
  EXPECT_THAT(ambiguous.reply, HasSubstr("Which one"));
  const Said missing = Say("Complete the task 'Nonexistent Task'");
  EXPECT_THAT(missing.tools(), ElementsAre("list_tasks"));
  EXPECT_THAT(missing.reply, HasSubstr("couldn't find"));
  Say("Remind me to submit timesheets every Friday at 5pm");  // row 19
  const Said timesheets = Say("Done with timesheets");
  EXPECT_THAT(timesheets.tools(), ElementsAre("list_tasks", "complete_task"));
  // The weekly task's next occurrence exists once.
  EXPECT_THAT(Tasks(), ElementsAre("Team meeting [pending]", "Meeting notes [pending]",
                                   "Submit timesheets [completed]", "Submit timesheets [pending]"));
}

TEST_F(BuiltinBrainTest, SeveralRequestsAndOutOfScope) {  // rows 12, 24
  const Said two = Say("Add a task to buy milk and show me all my tasks");
  EXPECT_THAT(two.tools(), ElementsAre("add_task", "list_tasks"));
  const Said weather = Say("What's the weather in Karachi?");
  EXPECT_TRUE(weather.calls.empty());
  EXPECT_THAT(weather.reply, HasSubstr("only help with your tasks"));
}

TEST_F(BuiltinBrainTest, AnotherUsersTaskIsNotFound) {  // row 22
  const std::string me = user_;
  user_ = me + "-b";
  const Said theirs = Say("add secret plan");
  const int64_t id =
      static_cast<int64_t>(theirs.calls.at(0).result.fields().at("task_id").number_value());
  user_ = me;
  history_.clear();
  const Said attempt = Say(absl::StrCat("Delete task ", id));
  EXPECT_THAT(attempt.reply, HasSubstr("not found"));
  EXPECT_THAT(attempt.reply, ::testing::Not(HasSubstr("secret")));
}

TEST_F(BuiltinBrainTest, CorrectionsChangeTheTaskJustTouched) {
  Say("add call mom tomorrow at 5pm");
  const Said friday = Say("no, I meant Friday");
  EXPECT_THAT(friday.tools(), ElementsAre("update_task"));
  // The new day keeps the time the task had.
  EXPECT_EQ(friday.ArgJson(0, "due_date"), "\"2026-12-04T17:00:00+05:00\"");
  EXPECT_THAT(friday.reply, HasSubstr("Fri 4 Dec, 17:00"));
  const Said high = Say("actually, high priority");
  EXPECT_THAT(high.tools(), ElementsAre("update_task"));
  EXPECT_EQ(high.ArgJson(0, "priority"), "\"high\"");
  // A new time keeps the day.
  const Said six = Say("sorry, 6pm instead");
  EXPECT_EQ(six.ArgJson(0, "due_date"), "\"2026-12-04T18:00:00+05:00\"");
  EXPECT_THAT(Tasks(), ElementsAre("Call mom [pending]"));
}

TEST_F(BuiltinBrainTest, DeletingSeveralWaitsForAYes) {
  Say("add buy milk");
  Say("add walk the dog");
  const Said asked = Say("delete all my tasks");
  EXPECT_THAT(asked.tools(), ElementsAre("list_tasks"));  // no delete_task yet
  EXPECT_THAT(asked.reply, HasSubstr("That would delete 2 tasks"));
  Say("add pay rent");  // anything else drops the question...
  EXPECT_THAT(Say("yes").tools(), ElementsAre());
  EXPECT_THAT(Tasks(),
              ElementsAre("Buy milk [pending]", "Walk the dog [pending]", "Pay rent [pending]"));
  Say("delete everything");
  EXPECT_THAT(Say("no").reply, HasSubstr("left things"));
  EXPECT_EQ(Tasks().size(), 3u);
  Say("please remove all my tasks");
  Say("add call mom");  // ...and a task added after the question is not in it
  Say("remove all my tasks");
  const Said yes = Say("Yes, go ahead");
  EXPECT_THAT(yes.tools(), ElementsAre("delete_task", "delete_task", "delete_task", "delete_task"));
  EXPECT_THAT(yes.reply, HasSubstr("Deleted 4 tasks"));
  EXPECT_THAT(Tasks(), ElementsAre());
}

TEST_F(BuiltinBrainTest, SetsChangeTogether) {  // row 21, and "them"
  clock_ = std::make_unique<language::LocalClock>(*language::LocalClock::ForZone(
      "Asia/Karachi",
      absl::FromCivil(absl::CivilSecond(2026, 12, 3, 2, 0, 0), absl::UTCTimeZone())));  // 07:00
  Say("add standup meeting today at 9am #meeting");
  Say("add design meeting today at 10:30 #meeting");
  Say("add review meeting today at 4pm #meeting");
  const Said moved = Say("Reschedule my morning meetings to 2 PM");
  EXPECT_THAT(moved.tools(), ElementsAre("list_tasks", "update_task", "update_task"));
  EXPECT_EQ(moved.ArgJson(0, "due_from"), "\"2026-12-03T00:00:00+05:00\"");
  EXPECT_EQ(moved.ArgJson(0, "due_to"), "\"2026-12-03T12:00:00+05:00\"");
  EXPECT_EQ(moved.ArgJson(1, "due_date"), "\"2026-12-03T14:00:00+05:00\"");
  EXPECT_EQ(moved.ArgJson(2, "due_date"), "\"2026-12-03T14:00:00+05:00\"");
  EXPECT_THAT(moved.reply, HasSubstr("Updated 2 tasks"));
  Say("show my meeting tasks");
  EXPECT_THAT(Say("complete them").tools(),
              ElementsAre("complete_task", "complete_task", "complete_task"));
  EXPECT_THAT(Tasks(), ElementsAre("Standup meeting [completed]", "Design meeting [completed]",
                                   "Review meeting [completed]"));
}

}  // namespace
}  // namespace todo::chat
