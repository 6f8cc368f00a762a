#pragma once

// What the chat tests stand on: a database with the tasks and chat schemas
// migrated, and beside it a real todo-tasks (TasksApp as the binary
// assembles it) with the chat side's client and tools to it.

#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/event_loops/event_loops.h"
#include "common/pg/connection_pool.h"
#include "common/pg/migrator.h"
#include "common/rpc/blocking_client.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/chat/migrations.h"
#include "services/chat/task_tools.h"
#include "services/chat/turn_runner.h"
#include "services/tasks/migrations.h"
#include "services/tasks/tasks_app.h"
#include "tests/harness/postgres_instance.h"
#include "tests/harness/service_environment.h"
#include "tests/harness/status_matchers.h"
#include "tests/harness/tokens.h"

namespace todo::chat::testing {

// A new database of the shared Postgres, both schemas migrated.
inline std::string MigratedDatabase() {
  absl::StatusOr<std::string> dsn = ::todo::testing::SharedPostgres().CreateDatabase();
  EXPECT_THAT(dsn, ::todo::testing::IsOk());
  common::pg::MigratorOptions migrator;
  migrator.connect.dsn = dsn.value_or("");
  migrator.schema = tasks::kSchema;
  EXPECT_THAT(common::pg::Migrate(migrator, tasks::TasksMigrations()), ::todo::testing::IsOk());
  migrator.schema = kSchema;
  EXPECT_THAT(common::pg::Migrate(migrator, ChatMigrations()), ::todo::testing::IsOk());
  return dsn.value_or("");
}

// A small pool on `dsn`, as a chat replica in a test uses.
inline common::pg::PoolOptions SmallPool(const std::string& dsn) {
  common::pg::PoolOptions options;
  options.connect.dsn = dsn;
  options.size = 2;
  return options;
}

// A user id no other test of the process uses.
inline std::string NewUser(absl::string_view prefix) {
  static int next = 0;
  return absl::StrCat(prefix, "-", getpid(), "-", next++);
}

// The `authorization` metadata of `user`.
inline std::string Bearer(const std::string& user) {
  return absl::StrCat("Bearer ", ::todo::testing::MintToken(user, absl::Now()));
}

// A turn of `user` saying `message` (0: a new conversation), in `zone`.
inline TurnRequest TurnFor(const std::string& user, const std::string& message,
                           int64_t conversation = 0, const std::string& zone = "Asia/Karachi") {
  TurnRequest request;
  request.user_id = user;
  request.authorization = Bearer(user);
  request.conversation_id = conversation;
  request.message = message;
  request.time_zone = zone;
  return request;
}

// What a turn said and the tool calls it made, as the brain tests read them.
struct Said {
  std::string reply;
  std::vector<ToolCallRecord> calls;

  std::vector<std::string> tools() const {
    std::vector<std::string> names;
    for (const ToolCallRecord& call : calls) names.push_back(call.tool);
    return names;
  }
  // Argument `name` of call `call`; a null value when absent.
  const google::protobuf::Value& Arg(size_t call, const std::string& name) const {
    static const google::protobuf::Value kAbsent;
    const auto& fields = calls.at(call).args.fields();
    auto found = fields.find(name);
    return found == fields.end() ? kAbsent : found->second;
  }
  // The same as JSON ("\"all\""); "" when absent.
  std::string ArgJson(size_t call, const std::string& name) const {
    const auto& fields = calls.at(call).args.fields();
    if (fields.find(name) == fields.end()) return "";
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(Arg(call, name), &json);
    return json;
  }
};

class TasksBeside {
 public:
  explicit TasksBeside(const std::string& dsn) {
    absl::StatusOr<tasks::TasksConfig> config =
        tasks::LoadTasksConfig(::todo::testing::ServiceEnvironment(dsn, {}));
    EXPECT_THAT(config, ::todo::testing::IsOk());
    absl::StatusOr<std::unique_ptr<tasks::TasksApp>> app =
        tasks::TasksApp::Start(*config, common::time::Clock::Real());
    EXPECT_THAT(app, ::todo::testing::IsOk());
    app_ = *std::move(app);
    client_ = std::make_unique<common::rpc::BlockingClient>(loops_.loop(0),
                                                            app_->server().local_target());
    tools_ = std::make_unique<TaskTools>(client_.get());
  }

  tasks::TasksApp& app() { return *app_; }
  const TaskTools& tools() const { return *tools_; }

 private:
  common::event_loops::EventLoops loops_{1};
  std::unique_ptr<tasks::TasksApp> app_;
  std::unique_ptr<common::rpc::BlockingClient> client_;
  std::unique_ptr<TaskTools> tools_;
};

}  // namespace todo::chat::testing
