#pragma once

// The fixture of the tasks service's Postgres-backed tests: TasksApp as
// todo-tasks assembles it, on a real Postgres with the real migrations,
// called through grpc++ (a client we did not write). Time is a FakeClock.

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/pg/migrator.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/tasks/limits.h"
#include "services/tasks/migrations.h"
#include "services/tasks/tasks_app.h"
#include "tests/harness/postgres_instance.h"
#include "tests/harness/service_environment.h"
#include "tests/harness/status_matchers.h"
#include "tests/harness/tokens.h"
#include "todo/tasks/v1/tasks.grpc.pb.h"

namespace todo::tasks::testing {

// What every file of the suite uses.
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::todo::testing::Authorize;
using ::todo::testing::IsOk;
using ::todo::testing::MintToken;
using ::todo::testing::SharedPostgres;
using ::todo::testing::StatusIs;
using Stub = v1::TasksService::Stub;

// The database every test of the suite shares (migrated once).
inline std::string* shared_dsn = nullptr;

inline google::protobuf::Timestamp Proto(absl::Time time) {
  google::protobuf::Timestamp out;
  out.set_seconds(absl::ToUnixSeconds(time));
  out.set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(out.seconds()))));
  return out;
}

inline absl::Time FromProto(const google::protobuf::Timestamp& time) {
  return absl::FromUnixSeconds(time.seconds()) + absl::Nanoseconds(time.nanos());
}

// One replica of the service as todo-tasks assembles it (TasksApp: loop
// pipeline, server, tombstones), on the shared database, with the test's
// clock.
struct Replica {
  explicit Replica(const common::time::Clock* clock) {
    absl::StatusOr<TasksConfig> config = LoadTasksConfig(
        todo::testing::ServiceEnvironment(*shared_dsn, {{"REMINDER_POLL_INTERVAL_S", "0.02"}}));
    EXPECT_THAT(config, IsOk());
    absl::StatusOr<std::unique_ptr<TasksApp>> started = TasksApp::Start(*config, *clock);
    EXPECT_THAT(started, IsOk());
    app = *std::move(started);
    stub = v1::TasksService::NewStub(
        grpc::CreateChannel(app->server().local_target(), grpc::InsecureChannelCredentials()));
  }
  std::unique_ptr<TasksApp> app;
  std::unique_ptr<Stub> stub;
};

class TasksServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dsn = SharedPostgres().CreateDatabase();
    ASSERT_THAT(dsn, IsOk());
    shared_dsn = new std::string(*dsn);
    common::pg::MigratorOptions migrator;
    migrator.connect.dsn = *shared_dsn;
    migrator.schema = kSchema;
    ASSERT_THAT(common::pg::Migrate(migrator, TasksMigrations()), IsOk());
  }

  TasksServiceTest()
      : clock_(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()))), replica_(&clock_) {
    static std::atomic<int> next_user{0};
    const std::string suffix = absl::StrCat(getpid(), "-", next_user.fetch_add(2));
    alice_ = "alice-" + suffix;
    bob_ = "bob-" + suffix;
  }

  // Calls `method` as `user` (no token when empty), with an optional x-request-id.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const std::string& user, const Request& request, Response* response,
                    const std::string& request_id = "") {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (!user.empty()) {
      Authorize(context, MintToken(user, clock_.Now()));
    }
    if (!request_id.empty()) {
      context.AddMetadata("x-request-id", request_id);
    }
    return (replica_.stub.get()->*method)(&context, request, response);
  }

  v1::Task Create(const std::string& user, const std::string& title,
                  const std::function<void(v1::Task&)>& edit = {}) {
    v1::CreateTaskRequest request;
    request.mutable_task()->set_title(title);
    if (edit) edit(*request.mutable_task());
    v1::Task task;
    EXPECT_THAT(Call(&Stub::CreateTask, user, request, &task), IsOk());
    return task;
  }

  v1::ListTasksResponse List(const std::string& user,
                             const std::function<void(v1::ListTasksRequest&)>& edit = {}) {
    v1::ListTasksRequest request;
    if (edit) edit(request);
    v1::ListTasksResponse response;
    EXPECT_THAT(Call(&Stub::ListTasks, user, request, &response), IsOk());
    return response;
  }

  grpc::Status Complete(const std::string& user, int64_t id, v1::Task* task,
                        const std::string& request_id = "") {
    v1::CompleteTaskRequest request;
    request.set_id(id);
    return Call(&Stub::CompleteTask, user, request, task, request_id);
  }

  static std::vector<std::string> Titles(const v1::ListTasksResponse& response) {
    std::vector<std::string> titles;
    for (const v1::Task& task : response.tasks()) titles.push_back(task.title());
    return titles;
  }

  common::time::FakeClock clock_;
  Replica replica_;
  std::string alice_;
  std::string bob_;
};

}  // namespace todo::tasks::testing
