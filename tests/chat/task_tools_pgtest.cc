// The task tools against a real todo-tasks (TasksApp as the binary
// assembles it) on a real Postgres, called over common/rpc's client.

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "services/chat/task_tools.h"
#include "services/chat/turn_tools.h"
#include "tests/chat/tasks_beside.h"

namespace todo::chat {
namespace {

using google::protobuf::Struct;
using ::testing::HasSubstr;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

// {"name": value, ...} from a JSON text, for readable calls.
Struct Args(const std::string& json) {
  Struct args;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &args).ok()) << json;
  return args;
}

class TaskToolsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dsn_ = new std::string(testing::MigratedDatabase()); }

  ToolContext As(const std::string& user, const std::string& call_key) {
    ToolContext context;
    context.authorization = testing::Bearer(user);
    context.call_key = call_key;
    return context;
  }

  // Runs a tool that must not fail the turn.
  ToolOutcome Run(const std::string& user, const std::string& tool, const std::string& json,
                  const std::string& call_key = "") {
    static int next_key = 0;
    absl::StatusOr<ToolOutcome> outcome = tasks_.tools().Run(
        tool, Args(json), As(user, call_key.empty() ? absl::StrCat("key-", next_key++) : call_key));
    EXPECT_THAT(outcome, IsOk());
    return outcome.ok() ? *outcome : ToolOutcome{};
  }

  static double Number(const ToolOutcome& outcome, const std::string& field) {
    return outcome.result.fields().at(field).number_value();
  }
  static std::string Text(const ToolOutcome& outcome, const std::string& field) {
    return outcome.result.fields().at(field).string_value();
  }
  static int Count(const ToolOutcome& outcome) {
    return static_cast<int>(Number(outcome, "count"));
  }

  static inline std::string* dsn_ = nullptr;
  testing::TasksBeside tasks_{*dsn_};
  const std::string alice_ = testing::NewUser("alice");
  const std::string bob_ = testing::NewUser("bob");
};

TEST_F(TaskToolsTest, AddThenFindWithEveryField) {
  const ToolOutcome added =
      Run(alice_, "add_task",
          R"({"title": "Call mom", "priority": "high", "tags": ["family"],)"
          R"( "due_date": "2026-12-06T17:00:00+05:00", "recurrence": "weekly"})");
  ASSERT_FALSE(added.is_error) << added.result.DebugString();
  EXPECT_EQ(Text(added, "status"), "created");
  EXPECT_EQ(Text(added, "title"), "Call mom");
  const ToolOutcome listed = Run(alice_, "list_tasks", R"({"search": "mom", "tags": ["family"]})");
  ASSERT_EQ(Count(listed), 1);
  const auto& task = listed.result.fields().at("tasks").list_value().values(0).struct_value();
  EXPECT_EQ(task.fields().at("priority").string_value(), "high");
  EXPECT_EQ(task.fields().at("recurrence").string_value(), "weekly");
  EXPECT_EQ(task.fields().at("due_date").string_value(), "2026-12-06T12:00:00Z");
  EXPECT_EQ(task.fields().count("etag"), 0u);
}

TEST_F(TaskToolsTest, ARetriedCallWithTheSameKeyCreatesOnce) {
  const ToolOutcome first = Run(alice_, "add_task", R"({"title": "Pay bills"})", "turn-1:call-1");
  const ToolOutcome again = Run(alice_, "add_task", R"({"title": "Pay bills"})", "turn-1:call-1");
  EXPECT_EQ(Number(first, "task_id"), Number(again, "task_id"));
  EXPECT_EQ(Count(Run(alice_, "list_tasks", R"({"search": "bills"})")), 1);
}

TEST_F(TaskToolsTest, AKeyLongerThanTasksTakesStillCreatesOnce) {
  // A client's 128-character request id with the turn's prefix and suffix.
  const std::string key = absl::StrCat("chat-request-", std::string(128, 'k'), ":1");
  const ToolOutcome first = Run(alice_, "add_task", R"({"title": "Long key"})", key);
  ASSERT_FALSE(first.is_error) << first.result.ShortDebugString();
  const ToolOutcome again = Run(alice_, "add_task", R"({"title": "Long key"})", key);
  EXPECT_EQ(Number(first, "task_id"), Number(again, "task_id"));
  const ToolOutcome other =
      Run(alice_, "add_task", R"({"title": "Long key"})", absl::StrCat(key, "2"));
  EXPECT_NE(Number(first, "task_id"), Number(other, "task_id"));
}

TEST_F(TaskToolsTest, CompleteReopenUpdateAndDeleteSayWhatChanged) {
  const ToolOutcome added =
      Run(alice_, "add_task", R"({"title": "Walk dog", "description": "long walk"})");
  const std::string id = absl::StrCat(static_cast<int64_t>(Number(added, "task_id")));
  EXPECT_EQ(Text(Run(alice_, "complete_task", absl::StrCat(R"({"task_id": )", id, "}")), "status"),
            "completed");
  EXPECT_EQ(Count(Run(alice_, "list_tasks", R"({"status": "completed"})")), 1);
  EXPECT_EQ(
      Text(Run(alice_, "reopen_task", absl::StrCat(R"({"task_id": ")", id, R"("})")), "status"),
      "reopened");
  const ToolOutcome renamed =
      Run(alice_, "update_task", absl::StrCat(R"({"task_id": )", id, R"(, "title": "Walk Rex"})"));
  EXPECT_EQ(Text(renamed, "title"), "Walk Rex");
  const ToolOutcome listed = Run(alice_, "list_tasks", R"({"search": "Rex"})");
  ASSERT_EQ(Count(listed), 1);
  EXPECT_EQ(listed.result.fields()
                .at("tasks")
                .list_value()
                .values(0)
                .struct_value()
                .fields()
                .at("description")
                .string_value(),
            "long walk");
  const ToolOutcome deleted = Run(alice_, "delete_task", absl::StrCat(R"({"task_id": )", id, "}"));
  EXPECT_EQ(Text(deleted, "status"), "deleted");
  EXPECT_EQ(Text(deleted, "title"), "Walk Rex");
  const ToolOutcome twice = Run(alice_, "delete_task", absl::StrCat(R"({"task_id": )", id, "}"));
  EXPECT_TRUE(twice.is_error);
  EXPECT_THAT(Text(twice, "error"), HasSubstr("not found"));
}

TEST_F(TaskToolsTest, AnotherUsersTaskIsNotFoundAndStaysAsItIs) {
  const ToolOutcome bobs = Run(bob_, "add_task", R"({"title": "Bob's secret"})");
  const std::string id = absl::StrCat(static_cast<int64_t>(Number(bobs, "task_id")));
  for (const char* tool : {"complete_task", "delete_task", "reopen_task"}) {
    const ToolOutcome outcome = Run(alice_, tool, absl::StrCat(R"({"task_id": )", id, "}"));
    EXPECT_TRUE(outcome.is_error) << tool;
    EXPECT_THAT(Text(outcome, "error"), ::testing::Not(HasSubstr("secret")));
  }
  EXPECT_TRUE(
      Run(alice_, "update_task", absl::StrCat(R"({"task_id": )", id, R"(, "title": "mine"})"))
          .is_error);
  EXPECT_EQ(Count(Run(bob_, "list_tasks", R"({"search": "secret", "status": "pending"})")), 1);
}

TEST_F(TaskToolsTest, BadArgumentsAndUnknownToolsAreToolErrors) {
  const struct {
    const char* tool;
    const char* args;
    const char* says;
  } cases[] = {
      {"add_task", R"({"name": "x"})", "unknown argument \"name\""},
      {"add_task", R"({})", "title"},
      {"add_task", R"({"title": "x", "due_date": "tomorrow"})", "RFC 3339"},
      {"add_task", R"({"title": "x", "priority": "urgent"})", "priority"},
      {"complete_task", R"({"task_id": "abc"})", "task_id"},
      {"complete_task", R"({"task_id": 1.5})", "task_id"},
      {"update_task", R"({"task_id": 1})", "nothing to change"},
      {"list_tasks", R"({"limit": 1000})", "limit"},
      {"list_tasks", R"({"user_id": "bob"})", "unknown argument"},
      {"drop_tables", R"({})", "unknown tool"},
  };
  for (const auto& test : cases) {
    const ToolOutcome outcome = Run(alice_, test.tool, test.args);
    EXPECT_TRUE(outcome.is_error) << test.tool << " " << test.args;
    EXPECT_THAT(Text(outcome, "error"), HasSubstr(test.says)) << test.args;
  }
}

TEST_F(TaskToolsTest, TasksUnreachableFailsTheCallNotTheTool) {
  tasks_.app().Shutdown();
  absl::StatusOr<ToolOutcome> outcome =
      tasks_.tools().Run("list_tasks", Args("{}"), As(alice_, "key-down"));
  EXPECT_THAT(outcome, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TaskToolsTest, ATurnsToolsStopAtItsLimitsAndRunARepeatOnce) {
  TurnTools tools(&tasks_.tools(), As(alice_, ""), "turn-limits", 2);
  ASSERT_THAT(tools.Call("add_task", Args(R"({"title": "One"})")), IsOk());
  // The same call again is the first one's answer, not a second task.
  ASSERT_THAT(tools.Call("add_task", Args(R"({"title": "One"})")), IsOk());
  ASSERT_THAT(tools.Call("add_task", Args(R"({"title": "Two"})")), IsOk());
  absl::StatusOr<ToolOutcome> third = tools.Call("add_task", Args(R"({"title": "Three"})"));
  ASSERT_THAT(third, IsOk());
  EXPECT_TRUE(third->is_error);
  EXPECT_THAT(third->result.fields().at("error").string_value(), HasSubstr("at most 2"));
  EXPECT_EQ(tools.calls().size(), 3u);
  // A turn past its deadline runs nothing more.
  TurnTools late(&tasks_.tools(), As(alice_, ""), "turn-late", 5, {},
                 absl::Now() - absl::Seconds(1));
  absl::StatusOr<ToolOutcome> after = late.Call("add_task", Args(R"({"title": "Late"})"));
  ASSERT_THAT(after, IsOk());
  EXPECT_THAT(after->result.fields().at("error").string_value(), HasSubstr("out of time"));
  EXPECT_EQ(Count(Run(alice_, "list_tasks", R"({"search": "One"})")), 1);
  EXPECT_EQ(Count(Run(alice_, "list_tasks", R"({"search": "Late"})")), 0);
}

TEST(TaskToolSpecsTest, EveryToolHasAValidSchemaAndHints) {
  ASSERT_EQ(TaskToolSpecs().size(), 6u);
  for (const ToolSpec& spec : TaskToolSpecs()) {
    Struct schema;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(spec.input_schema, &schema).ok())
        << spec.name << ": " << spec.input_schema;
    EXPECT_EQ(schema.fields().at("type").string_value(), "object") << spec.name;
    Struct output;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(spec.output_schema, &output).ok())
        << spec.name << ": " << spec.output_schema;
    EXPECT_EQ(output.fields().at("type").string_value(), "object") << spec.name;
    EXPECT_EQ(FindToolSpec(spec.name), &spec);
  }
  EXPECT_TRUE(FindToolSpec("list_tasks")->read_only);
  EXPECT_TRUE(FindToolSpec("delete_task")->destructive);
  EXPECT_EQ(FindToolSpec("nope"), nullptr);
}

}  // namespace
}  // namespace todo::chat
