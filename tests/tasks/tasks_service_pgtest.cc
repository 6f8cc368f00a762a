// TasksServiceImpl through a real in-process gRPC server, against a real
// Postgres with the real migrations. Time is a FakeClock.

#include <atomic>
#include <set>
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

namespace todo::tasks {
namespace {

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

std::string* shared_dsn = nullptr;

google::protobuf::Timestamp Proto(absl::Time time) {
  google::protobuf::Timestamp out;
  out.set_seconds(absl::ToUnixSeconds(time));
  out.set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(out.seconds()))));
  return out;
}

absl::Time FromProto(const google::protobuf::Timestamp& time) {
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

TEST_F(TasksServiceTest, CreatesATaskWithTheContractDefaults) {
  const v1::Task task = Create(alice_, "  Buy milk  ", [](v1::Task& t) {
    t.add_tags("Home");
    t.add_tags("home");
  });
  EXPECT_GT(task.id(), 0);
  EXPECT_EQ(task.title(), "Buy milk");
  EXPECT_EQ(task.status(), v1::pending);
  EXPECT_FALSE(task.completed());
  EXPECT_EQ(task.priority(), v1::medium);
  EXPECT_EQ(task.recurrence(), v1::none);
  EXPECT_THAT(task.tags(), ElementsAre("home"));
  EXPECT_EQ(FromProto(task.created_at()), clock_.Now());
  EXPECT_FALSE(task.has_completed_at());
  EXPECT_FALSE(task.etag().empty());

  v1::GetTaskRequest get;
  get.set_id(task.id());
  v1::Task fetched;
  ASSERT_THAT(Call(&Stub::GetTask, alice_, get, &fetched), IsOk());
  EXPECT_EQ(fetched.SerializeAsString(), task.SerializeAsString());
}

TEST_F(TasksServiceTest, CreatingACompletedTaskSetsBothFieldsAndCompletedAt) {
  const v1::Task task = Create(alice_, "done already", [](v1::Task& t) { t.set_completed(true); });
  EXPECT_EQ(task.status(), v1::completed);
  EXPECT_TRUE(task.completed());
  EXPECT_TRUE(task.has_completed_at());
}

TEST_F(TasksServiceTest, NamesTheFieldOfEveryInvalidValue) {
  const auto expect_invalid = [&](const std::function<void(v1::Task&)>& edit,
                                  const std::string& field) {
    v1::CreateTaskRequest request;
    request.mutable_task()->set_title("ok");
    edit(*request.mutable_task());
    v1::Task task;
    EXPECT_THAT(Call(&Stub::CreateTask, alice_, request, &task),
                StatusIs(grpc::StatusCode::INVALID_ARGUMENT, StartsWith(field)))
        << field;
  };
  expect_invalid([](v1::Task& t) { t.set_title(" "); }, "title:");
  expect_invalid([](v1::Task& t) { t.set_title(std::string(201, 'x')); }, "title:");
  expect_invalid([](v1::Task& t) { t.set_description(std::string(1001, 'x')); }, "description:");
  expect_invalid([](v1::Task& t) { t.set_category(std::string(51, 'x')); }, "category:");
  expect_invalid([](v1::Task& t) { t.add_tags(std::string(51, 'x')); }, "tags:");
  expect_invalid([](v1::Task& t) { t.set_status(static_cast<v1::TaskStatus>(99)); }, "status:");
  expect_invalid([](v1::Task& t) { t.set_priority(static_cast<v1::TaskPriority>(-3)); },
                 "priority:");
  expect_invalid([](v1::Task& t) { t.set_recurrence(static_cast<v1::TaskRecurrence>(7)); },
                 "recurrence:");
  expect_invalid([](v1::Task& t) { t.mutable_due_date()->set_nanos(-1); }, "due_date:");
  expect_invalid([](v1::Task& t) { t.mutable_remind_at()->set_seconds(300'000'000'000); },
                 "remind_at:");
  expect_invalid(
      [](v1::Task& t) {
        t.set_status(v1::pending);
        t.set_completed(true);
      },
      "completed:");
  EXPECT_EQ(List(alice_).total_size(), 0);
}

TEST_F(TasksServiceTest, RefusesATenMegabyteTitleBeforeReadingIt) {
  v1::CreateTaskRequest request;
  request.mutable_task()->set_title(std::string(10 * 1024 * 1024, 'x'));
  v1::Task task;
  EXPECT_THAT(Call(&Stub::CreateTask, alice_, request, &task),
              StatusIs(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_EQ(List(alice_).total_size(), 0);
}

TEST_F(TasksServiceTest, RequiresAValidToken) {
  v1::ListTasksRequest request;
  v1::ListTasksResponse response;
  EXPECT_THAT(Call(&Stub::ListTasks, "", request, &response),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  grpc::ClientContext forged;
  Authorize(forged, MintToken(alice_, clock_.Now(), absl::Hours(1),
                              "another-secret-that-is-32-characters-long"));
  EXPECT_THAT(replica_.stub->ListTasks(&forged, request, &response),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  grpc::ClientContext expired;
  Authorize(expired, MintToken(alice_, clock_.Now() - absl::Hours(3), absl::Hours(1)));
  EXPECT_THAT(replica_.stub->ListTasks(&expired, request, &response),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
}

TEST_F(TasksServiceTest, AnotherUsersTaskIsNotFoundOnEveryRpc) {
  const v1::Task bobs = Create(bob_, "bob's secret");
  const int64_t id = bobs.id();
  v1::Task out;
  google::protobuf::Empty empty;
  const auto not_found = StatusIs(grpc::StatusCode::NOT_FOUND, HasSubstr("not found"));

  v1::GetTaskRequest get;
  get.set_id(id);
  EXPECT_THAT(Call(&Stub::GetTask, alice_, get, &out), not_found);
  v1::UpdateTaskRequest update;
  update.mutable_task()->set_id(id);
  update.mutable_task()->set_title("pwned");
  EXPECT_THAT(Call(&Stub::UpdateTask, alice_, update, &out), not_found);
  v1::ReplaceTaskRequest replace;
  replace.set_id(id);
  replace.mutable_task()->set_title("pwned");
  EXPECT_THAT(Call(&Stub::ReplaceTask, alice_, replace, &out), not_found);
  EXPECT_THAT(Complete(alice_, id, &out), not_found);
  v1::ReopenTaskRequest reopen;
  reopen.set_id(id);
  EXPECT_THAT(Call(&Stub::ReopenTask, alice_, reopen, &out), not_found);
  v1::ToggleTaskCompletionRequest toggle;
  toggle.set_id(id);
  EXPECT_THAT(Call(&Stub::ToggleTaskCompletion, alice_, toggle, &out), not_found);
  v1::DeleteTaskRequest remove;
  remove.set_id(id);
  EXPECT_THAT(Call(&Stub::DeleteTask, alice_, remove, &empty), not_found);
  EXPECT_THAT(List(alice_).tasks(), IsEmpty());

  // The /api/{user_id}/... bindings: naming bob with alice's token is 404 too.
  get.set_user_id(bob_);
  EXPECT_THAT(Call(&Stub::GetTask, alice_, get, &out), StatusIs(grpc::StatusCode::NOT_FOUND));
  v1::ListTasksRequest list;
  list.set_user_id(bob_);
  v1::ListTasksResponse listed;
  EXPECT_THAT(Call(&Stub::ListTasks, alice_, list, &listed), StatusIs(grpc::StatusCode::NOT_FOUND));
  v1::CreateTaskRequest create;
  create.set_user_id(bob_);
  create.mutable_task()->set_title("planted");
  EXPECT_THAT(Call(&Stub::CreateTask, alice_, create, &out), StatusIs(grpc::StatusCode::NOT_FOUND));
  v1::PurgeUserTasksResponse purged;
  ASSERT_THAT(Call(&Stub::PurgeUserTasks, alice_, v1::PurgeUserTasksRequest(), &purged), IsOk());

  // Bob's task is untouched by all of that.
  get.set_user_id("");
  ASSERT_THAT(Call(&Stub::GetTask, bob_, get, &out), IsOk());
  EXPECT_EQ(out.SerializeAsString(), bobs.SerializeAsString());
  EXPECT_EQ(List(bob_).total_size(), 1);
}

TEST_F(TasksServiceTest, UpdateChangesOnlyTheFieldsSent) {
  const v1::Task task = Create(alice_, "Buy milk", [](v1::Task& t) {
    t.set_description("2 litres");
    t.set_priority(v1::high);
    t.add_tags("home");
  });
  clock_.Advance(absl::Minutes(1));
  v1::UpdateTaskRequest request;
  request.mutable_task()->set_id(task.id());
  request.mutable_task()->set_title("Buy oat milk");
  v1::Task updated;
  ASSERT_THAT(Call(&Stub::UpdateTask, alice_, request, &updated), IsOk());
  EXPECT_EQ(updated.title(), "Buy oat milk");
  EXPECT_EQ(updated.description(), "2 litres");
  EXPECT_EQ(updated.priority(), v1::high);
  EXPECT_THAT(updated.tags(), ElementsAre("home"));
  EXPECT_NE(updated.etag(), task.etag());
  EXPECT_EQ(FromProto(updated.updated_at()), clock_.Now());
  EXPECT_EQ(updated.created_at().seconds(), task.created_at().seconds());
}

TEST_F(TasksServiceTest, UpdateMaskClearsNamedFieldsThatAreAbsent) {
  const v1::Task task = Create(alice_, "Plan trip", [&](v1::Task& t) {
    *t.mutable_due_date() = Proto(clock_.Now() + absl::Hours(24));
    t.add_tags("travel");
    t.set_category("fun");
  });
  v1::UpdateTaskRequest request;
  request.mutable_task()->set_id(task.id());
  request.mutable_task()->set_category("work");
  request.mutable_update_mask()->add_paths("due_date");
  request.mutable_update_mask()->add_paths("tags");
  v1::Task updated;
  ASSERT_THAT(Call(&Stub::UpdateTask, alice_, request, &updated), IsOk());
  EXPECT_FALSE(updated.has_due_date());
  EXPECT_THAT(updated.tags(), IsEmpty());
  EXPECT_EQ(updated.category(), "fun");  // present but not in the mask: unchanged

  request.mutable_update_mask()->add_paths("colour");
  EXPECT_THAT(Call(&Stub::UpdateTask, alice_, request, &updated),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT, StartsWith("update_mask:")));
  request.mutable_update_mask()->Clear();
  request.mutable_update_mask()->add_paths("dueDate");  // JSON spelling
  *request.mutable_task()->mutable_due_date() = Proto(clock_.Now());
  ASSERT_THAT(Call(&Stub::UpdateTask, alice_, request, &updated), IsOk());
  EXPECT_TRUE(updated.has_due_date());
}

TEST_F(TasksServiceTest, AStaleEtagIsAborted) {
  const v1::Task task = Create(alice_, "Write report");
  v1::UpdateTaskRequest first;
  first.mutable_task()->set_id(task.id());
  first.mutable_task()->set_etag(task.etag());
  first.mutable_task()->set_title("Write the report");
  v1::Task updated;
  ASSERT_THAT(Call(&Stub::UpdateTask, alice_, first, &updated), IsOk());
  v1::UpdateTaskRequest stale = first;
  stale.mutable_task()->set_title("Lost update");
  EXPECT_THAT(Call(&Stub::UpdateTask, alice_, stale, &updated),
              StatusIs(grpc::StatusCode::ABORTED));
  v1::GetTaskRequest get;
  get.set_id(task.id());
  ASSERT_THAT(Call(&Stub::GetTask, alice_, get, &updated), IsOk());
  EXPECT_EQ(updated.title(), "Write the report");
}

TEST_F(TasksServiceTest, ReplaceResetsOmittedFields) {
  const v1::Task task = Create(alice_, "Old", [](v1::Task& t) {
    t.set_description("old description");
    t.set_priority(v1::high);
  });
  v1::ReplaceTaskRequest request;
  request.set_id(task.id());
  request.set_user_id(alice_);
  request.mutable_task()->set_title("New");
  v1::Task replaced;
  ASSERT_THAT(Call(&Stub::ReplaceTask, alice_, request, &replaced), IsOk());
  EXPECT_EQ(replaced.title(), "New");
  EXPECT_EQ(replaced.description(), "");
  EXPECT_EQ(replaced.priority(), v1::medium);
}

TEST_F(TasksServiceTest, CompleteIsIdempotentReopenAndToggleFollow) {
  const v1::Task task = Create(alice_, "Call mom");
  clock_.Advance(absl::Minutes(5));
  v1::Task done;
  ASSERT_THAT(Complete(alice_, task.id(), &done), IsOk());
  EXPECT_TRUE(done.completed());
  EXPECT_EQ(done.status(), v1::completed);
  EXPECT_EQ(FromProto(done.completed_at()), clock_.Now());
  clock_.Advance(absl::Minutes(5));
  v1::Task again;
  ASSERT_THAT(Complete(alice_, task.id(), &again), IsOk());
  EXPECT_EQ(again.SerializeAsString(), done.SerializeAsString());

  v1::ReopenTaskRequest reopen;
  reopen.set_id(task.id());
  v1::Task reopened;
  ASSERT_THAT(Call(&Stub::ReopenTask, alice_, reopen, &reopened), IsOk());
  EXPECT_EQ(reopened.status(), v1::pending);
  EXPECT_FALSE(reopened.has_completed_at());

  v1::ToggleTaskCompletionRequest toggle;
  toggle.set_id(task.id());
  toggle.set_user_id(alice_);
  v1::Task toggled;
  ASSERT_THAT(Call(&Stub::ToggleTaskCompletion, alice_, toggle, &toggled), IsOk());
  EXPECT_TRUE(toggled.completed());
  ASSERT_THAT(Call(&Stub::ToggleTaskCompletion, alice_, toggle, &toggled), IsOk());
  EXPECT_FALSE(toggled.completed());
}

TEST_F(TasksServiceTest, CompletingAMonthlyTaskCreatesTheNextOccurrenceOnce) {
  const absl::Time jan31 =
      absl::FromCivil(absl::CivilSecond(2027, 1, 31, 9, 0, 0), absl::UTCTimeZone());
  const v1::Task rent = Create(alice_, "Pay rent", [&](v1::Task& t) {
    t.set_recurrence(v1::monthly);
    t.add_tags("bills");
    *t.mutable_due_date() = Proto(jan31);
    *t.mutable_remind_at() = Proto(jan31 - absl::Hours(24));
  });
  v1::Task done;
  ASSERT_THAT(Complete(alice_, rent.id(), &done), IsOk());
  v1::ReopenTaskRequest reopen;
  reopen.set_id(rent.id());
  ASSERT_THAT(Call(&Stub::ReopenTask, alice_, reopen, &done), IsOk());
  ASSERT_THAT(Complete(alice_, rent.id(), &done), IsOk());

  const v1::ListTasksResponse pending =
      List(alice_, [](v1::ListTasksRequest& r) { r.set_status("pending"); });
  ASSERT_THAT(pending.tasks(), SizeIs(1));
  const v1::Task& next = pending.tasks(0);
  const absl::Time feb28 =
      absl::FromCivil(absl::CivilSecond(2027, 2, 28, 9, 0, 0), absl::UTCTimeZone());
  EXPECT_NE(next.id(), rent.id());
  EXPECT_EQ(next.title(), "Pay rent");
  EXPECT_EQ(next.recurrence(), v1::monthly);
  EXPECT_THAT(next.tags(), ElementsAre("bills"));
  EXPECT_EQ(FromProto(next.due_date()), feb28);
  EXPECT_EQ(FromProto(next.remind_at()), feb28 - absl::Hours(24));
  EXPECT_EQ(List(alice_).total_size(), 2);
}

TEST_F(TasksServiceTest, ConcurrentCompletesOfARecurringTaskSpawnOneSuccessor) {
  const v1::Task daily = Create(alice_, "Water plants", [&](v1::Task& t) {
    t.set_recurrence(v1::daily);
    *t.mutable_due_date() = Proto(clock_.Now());
  });
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      v1::Task done;
      if (Complete(alice_, daily.id(), &done).ok() && done.completed()) ++ok;
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(List(alice_).total_size(), 2);
  EXPECT_EQ(List(alice_, [](v1::ListTasksRequest& r) { r.set_status("pending"); }).total_size(), 1);
}

TEST_F(TasksServiceTest, ARetriedCreateReturnsTheFirstResultAndCreatesNothingMore) {
  v1::CreateTaskRequest request;
  request.mutable_task()->set_title("Only once");
  v1::Task first;
  v1::Task second;
  ASSERT_THAT(Call(&Stub::CreateTask, alice_, request, &first, "req-1"), IsOk());
  ASSERT_THAT(Call(&Stub::CreateTask, alice_, request, &second, "req-1"), IsOk());
  EXPECT_EQ(second.SerializeAsString(), first.SerializeAsString());
  // The same key with another request is refused (the gateway says 422).
  request.mutable_task()->set_title("Changed on retry");
  EXPECT_THAT(Call(&Stub::CreateTask, alice_, request, &second, "req-1"),
              StatusIs(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_EQ(List(alice_).total_size(), 1);

  // The key is per user, and lasts 24 hours.
  v1::Task bobs;
  ASSERT_THAT(Call(&Stub::CreateTask, bob_, request, &bobs, "req-1"), IsOk());
  EXPECT_NE(bobs.id(), first.id());
  clock_.Advance(absl::Hours(25));
  v1::Task later;
  ASSERT_THAT(Call(&Stub::CreateTask, alice_, request, &later, "req-1"), IsOk());
  EXPECT_NE(later.id(), first.id());
  EXPECT_EQ(List(alice_).total_size(), 2);
}

TEST_F(TasksServiceTest, ConcurrentRetriesOfOneCreateMakeOneTask) {
  std::vector<std::thread> callers;
  std::set<int64_t> ids;
  absl::Mutex mutex;
  for (int i = 0; i < 6; ++i) {
    callers.emplace_back([&] {
      v1::CreateTaskRequest request;
      request.mutable_task()->set_title("Raced");
      v1::Task task;
      if (Call(&Stub::CreateTask, alice_, request, &task, "race-1").ok()) {
        absl::MutexLock lock(&mutex);
        ids.insert(task.id());
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_THAT(ids, SizeIs(1));
  EXPECT_EQ(List(alice_).total_size(), 1);
}

TEST_F(TasksServiceTest, ARetriedCompleteReturnsTheFirstResult) {
  const v1::Task task = Create(alice_, "Stretch", [](v1::Task& t) { t.set_recurrence(v1::daily); });
  v1::Task first;
  ASSERT_THAT(Complete(alice_, task.id(), &first, "complete-1"), IsOk());
  v1::ReopenTaskRequest reopen;
  reopen.set_id(task.id());
  v1::Task reopened;
  ASSERT_THAT(Call(&Stub::ReopenTask, alice_, reopen, &reopened), IsOk());
  v1::Task retried;
  ASSERT_THAT(Complete(alice_, task.id(), &retried, "complete-1"), IsOk());
  EXPECT_EQ(retried.SerializeAsString(), first.SerializeAsString());
  v1::GetTaskRequest get;
  get.set_id(task.id());
  v1::Task now;
  ASSERT_THAT(Call(&Stub::GetTask, alice_, get, &now), IsOk());
  EXPECT_FALSE(now.completed());  // the retry changed nothing
}

TEST_F(TasksServiceTest, ListFiltersByEveryField) {
  const absl::Time now = clock_.Now();
  Create(alice_, "Buy milk", [&](v1::Task& t) {
    t.set_priority(v1::high);
    t.add_tags("home");
    t.add_tags("errands");
    t.set_category("shopping");
    *t.mutable_due_date() = Proto(now + absl::Hours(1));
  });
  Create(alice_, "Milkshake recipe", [](v1::Task& t) { t.set_description("vanilla"); });
  Create(alice_, "File taxes", [&](v1::Task& t) {
    t.add_tags("home");
    t.set_status(v1::in_progress);
    *t.mutable_due_date() = Proto(now + absl::Hours(48));
  });
  Create(bob_, "Buy milk too");

  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("MILK"); })),
              ::testing::UnorderedElementsAre("Buy milk", "Milkshake recipe"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("buy mil"); })), ElementsAre("Buy milk"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("vanilla"); })),
              ElementsAre("Milkshake recipe"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_priority("high"); })),
              ElementsAre("Buy milk"));
  EXPECT_THAT(Titles(List(alice_,
                          [](auto& r) {
                            r.add_tag("home");
                            r.add_tag("errands");
                          })),
              ElementsAre("Buy milk"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_category("shopping"); })),
              ElementsAre("Buy milk"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_status("in_progress"); })),
              ElementsAre("File taxes"));
  EXPECT_THAT(
      Titles(List(alice_, [&](auto& r) { *r.mutable_due_after() = Proto(now + absl::Hours(2)); })),
      ElementsAre("File taxes"));
  EXPECT_THAT(
      Titles(List(alice_, [&](auto& r) { *r.mutable_due_before() = Proto(now + absl::Hours(2)); })),
      ElementsAre("Buy milk"));
  const v1::ListTasksResponse searched = List(alice_, [](auto& r) { r.set_q("milk"); });
  EXPECT_EQ(searched.total_size(), 2);
  EXPECT_EQ(List(alice_).total_size(), 3);
  EXPECT_EQ(List(alice_, [](auto& r) { r.set_status("all"); }).total_size(), 3);
}

TEST_F(TasksServiceTest, SearchFindsTheCallersWordsInAnyCaseAndOfAnyLength) {
  // A word just under the index's 2047-byte limit, which the owner key in
  // front of every indexed word would push over it: dropped from the index.
  std::string long_word;
  while (long_word.size() < 2040) long_word += "漢";
  const v1::Task with_long_word =
      Create(alice_, "Café au lait", [&](v1::Task& t) { t.set_description(long_word); });
  EXPECT_EQ(with_long_word.description(), long_word);
  Create(alice_, "Café crème", [](v1::Task& t) { t.set_status(v1::completed); });
  Create(alice_, "Cafeteria menu");
  Create(alice_, "Tea");
  Create(bob_, "Café for Bob");

  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("CAFÉ"); })),
              ::testing::UnorderedElementsAre("Café au lait", "Café crème"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("caf"); })),
              ::testing::UnorderedElementsAre("Café au lait", "Café crème", "Cafeteria menu"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("bob"); })), ::testing::IsEmpty());
  EXPECT_THAT(Titles(List(bob_, [](auto& r) { r.set_q("caf"); })), ElementsAre("Café for Bob"));

  // Filters and pages apply to the matches.
  const auto first = List(alice_, [](auto& r) {
    r.set_q("caf");
    r.set_status("all");
    r.set_order_by("title");
    r.set_page_size(2);
  });
  // lower(title) in byte order: "e" before "é".
  EXPECT_THAT(Titles(first), ElementsAre("Cafeteria menu", "Café au lait"));
  EXPECT_EQ(first.total_size(), 3);
  const auto second = List(alice_, [&](auto& r) {
    r.set_q("caf");
    r.set_status("all");
    r.set_order_by("title");
    r.set_page_size(2);
    r.set_page_token(first.next_page_token());
  });
  EXPECT_THAT(Titles(second), ElementsAre("Café crème"));
  const auto pending = List(alice_, [](auto& r) {
    r.set_q("caf");
    r.set_status("pending");
  });
  EXPECT_THAT(Titles(pending), ::testing::UnorderedElementsAre("Café au lait", "Cafeteria menu"));
  EXPECT_EQ(pending.total_size(), 2);
}

TEST_F(TasksServiceTest, ListOrdersByEveryKeyWithUndatedTasksLast) {
  const absl::Time now = clock_.Now();
  Create(alice_, "b undated", [](v1::Task& t) { t.set_priority(v1::low); });
  clock_.Advance(absl::Seconds(1));
  Create(alice_, "A later", [&](v1::Task& t) {
    *t.mutable_due_date() = Proto(now + absl::Hours(5));
    t.set_priority(v1::high);
  });
  clock_.Advance(absl::Seconds(1));
  Create(alice_, "c sooner",
         [&](v1::Task& t) { *t.mutable_due_date() = Proto(now + absl::Hours(1)); });

  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_order_by("due_date"); })),
              ElementsAre("c sooner", "A later", "b undated"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_order_by("due_date desc"); })),
              ElementsAre("A later", "c sooner", "b undated"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_order_by("priority desc"); })),
              ElementsAre("A later", "c sooner", "b undated"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_order_by("title"); })),
              ElementsAre("A later", "b undated", "c sooner"));
  EXPECT_THAT(Titles(List(alice_)), ElementsAre("c sooner", "A later", "b undated"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_order_by("created_at"); })),
              ElementsAre("b undated", "A later", "c sooner"));
}

TEST_F(TasksServiceTest, PagesStayCorrectWhileTasksAreAddedAndDeleted) {
  for (const std::string order : {"created_at", "due_date", "title desc"}) {
    // A user with no tasks yet for each order (a purge would delete the
    // account for good).
    alice_ += "-again";
    std::set<int64_t> originals;
    for (int i = 0; i < 23; ++i) {
      clock_.Advance(absl::Seconds(1));
      const v1::Task task = Create(alice_, absl::StrCat("task ", 100 + i), [&](v1::Task& t) {
        if (i % 3 != 0) *t.mutable_due_date() = Proto(clock_.Now() + absl::Hours(i % 5));
      });
      originals.insert(task.id());
    }
    std::vector<int64_t> seen;
    std::string token;
    int pages = 0;
    do {
      const v1::ListTasksResponse page = List(alice_, [&](v1::ListTasksRequest& r) {
        r.set_order_by(order);
        r.set_page_size(5);
        r.set_page_token(token);
      });
      for (const v1::Task& task : page.tasks()) seen.push_back(task.id());
      token = page.next_page_token();
      // Between pages: a new task appears and an already-seen one goes.
      clock_.Advance(absl::Seconds(1));
      Create(alice_, absl::StrCat("interloper ", pages));
      ASSERT_FALSE(seen.empty()) << order;
      v1::DeleteTaskRequest remove;
      remove.set_id(seen.front());
      google::protobuf::Empty empty;
      Call(&Stub::DeleteTask, alice_, remove, &empty).ok();
      originals.erase(seen.front());
      seen.erase(seen.begin());
      ++pages;
    } while (!token.empty() && pages < 20);
    std::set<int64_t> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), seen.size()) << order << ": a task came twice";
    for (int64_t id : originals) {
      EXPECT_TRUE(unique.count(id) == 1) << order << ": task " << id << " was skipped";
    }
  }
}

TEST_F(TasksServiceTest, RefusesBadListArguments) {
  v1::ListTasksResponse response;
  const auto expect_invalid = [&](const std::function<void(v1::ListTasksRequest&)>& edit,
                                  const std::string& field) {
    v1::ListTasksRequest request;
    edit(request);
    EXPECT_THAT(Call(&Stub::ListTasks, alice_, request, &response),
                StatusIs(grpc::StatusCode::INVALID_ARGUMENT, StartsWith(field)));
  };
  expect_invalid([](auto& r) { r.set_page_size(-5); }, "page_size:");
  expect_invalid([](auto& r) { r.set_page_size(1'000'000); }, "page_size:");
  expect_invalid([](auto& r) { r.set_page_token("not-a-token"); }, "page_token:");
  expect_invalid([](auto& r) { r.set_status("finished"); }, "status:");
  expect_invalid([](auto& r) { r.set_order_by("due_date; DROP TABLE tasks"); }, "order_by:");
  expect_invalid([](auto& r) { r.mutable_due_after()->set_seconds(-99'999'999'999); },
                 "due_after:");
}

TEST_F(TasksServiceTest, DeleteRemovesTheTaskOnce) {
  const v1::Task task = Create(alice_, "Temporary");
  v1::DeleteTaskRequest request;
  request.set_id(task.id());
  google::protobuf::Empty empty;
  ASSERT_THAT(Call(&Stub::DeleteTask, alice_, request, &empty), IsOk());
  EXPECT_THAT(Call(&Stub::DeleteTask, alice_, request, &empty),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(List(alice_).total_size(), 0);
}

TEST_F(TasksServiceTest, PurgeRemovesOnlyTheCallersTasks) {
  Create(alice_, "a1");
  Create(alice_, "a2");
  Create(bob_, "b1");
  v1::PurgeUserTasksResponse purged;
  ASSERT_THAT(Call(&Stub::PurgeUserTasks, alice_, v1::PurgeUserTasksRequest(), &purged), IsOk());
  EXPECT_EQ(purged.deleted_count(), 2);
  // Purge is the last step of deleting the account: its tokens no longer
  // speak for anyone.
  v1::ListTasksResponse response;
  EXPECT_THAT(Call(&Stub::ListTasks, alice_, v1::ListTasksRequest(), &response),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED, HasSubstr("deleted")));
  EXPECT_EQ(List(bob_).total_size(), 1);
}

// Reads reminders from a stream until `count` arrived or `wait` passed.
std::vector<v1::Reminder> ReadReminders(grpc::ClientReader<v1::Reminder>& reader, size_t count) {
  std::vector<v1::Reminder> reminders;
  v1::Reminder reminder;
  while (reminders.size() < count && reader.Read(&reminder)) {
    reminders.push_back(reminder);
  }
  return reminders;
}

TEST_F(TasksServiceTest, DeliversEachDueReminderOnceWhileConnected) {
  const absl::Time soon = clock_.Now() + absl::Minutes(10);
  const v1::Task task =
      Create(alice_, "Stand-up", [&](v1::Task& t) { *t.mutable_remind_at() = Proto(soon); });
  Create(alice_, "Later",
         [&](v1::Task& t) { *t.mutable_remind_at() = Proto(soon + absl::Hours(5)); });
  Create(bob_, "Bob's", [&](v1::Task& t) { *t.mutable_remind_at() = Proto(soon); });

  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  Authorize(context, MintToken(alice_, clock_.Now()));
  auto reader = replica_.stub->StreamReminders(&context, v1::StreamRemindersRequest());
  absl::SleepFor(absl::Milliseconds(100));  // several polls: nothing is due yet
  clock_.Advance(absl::Minutes(11));
  const std::vector<v1::Reminder> got = ReadReminders(*reader, 2);  // waits up to the deadline
  ASSERT_THAT(got, SizeIs(1));
  EXPECT_EQ(got[0].task_id(), task.id());
  EXPECT_EQ(got[0].title(), "Stand-up");
  EXPECT_EQ(FromProto(got[0].remind_at()), soon);
  reader->Finish().IgnoreError();

  // Fired once: a new stream does not get it again.
  grpc::ClientContext again;
  again.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(300)));
  Authorize(again, MintToken(alice_, clock_.Now()));
  auto second = replica_.stub->StreamReminders(&again, v1::StreamRemindersRequest());
  EXPECT_THAT(ReadReminders(*second, 1), IsEmpty());
  second->Finish().IgnoreError();
}

TEST_F(TasksServiceTest, DeliversRemindersThatCameDueWhileNobodyListenedOnConnect) {
  Create(alice_, "Missed",
         [&](v1::Task& t) { *t.mutable_remind_at() = Proto(clock_.Now() + absl::Minutes(1)); });
  clock_.Advance(absl::Hours(2));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  Authorize(context, MintToken(alice_, clock_.Now()));
  auto reader = replica_.stub->StreamReminders(&context, v1::StreamRemindersRequest());
  const std::vector<v1::Reminder> got = ReadReminders(*reader, 1);
  ASSERT_THAT(got, SizeIs(1));
  EXPECT_EQ(got[0].title(), "Missed");
  context.TryCancel();
  reader->Finish().IgnoreError();
}

TEST_F(TasksServiceTest, TwoReplicasNeverDeliverTheSameReminderTwice) {
  Replica other(&clock_);
  constexpr int kReminders = 40;
  for (int i = 0; i < kReminders; ++i) {
    Create(alice_, absl::StrCat("r", i),
           [&](v1::Task& t) { *t.mutable_remind_at() = Proto(clock_.Now() + absl::Seconds(i)); });
  }
  std::vector<int64_t> delivered;
  absl::Mutex mutex;
  const auto listen = [&](Stub& stub) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(1500)));
    Authorize(context, MintToken(alice_, clock_.Now()));
    auto reader = stub.StreamReminders(&context, v1::StreamRemindersRequest());
    v1::Reminder reminder;
    while (reader->Read(&reminder)) {
      absl::MutexLock lock(&mutex);
      delivered.push_back(reminder.task_id());
    }
  };
  std::thread first([&] { listen(*replica_.stub); });
  std::thread second([&] { listen(*other.stub); });
  absl::SleepFor(absl::Milliseconds(100));
  clock_.Advance(absl::Minutes(5));
  first.join();
  second.join();
  std::set<int64_t> unique(delivered.begin(), delivered.end());
  EXPECT_EQ(delivered.size(), static_cast<size_t>(kReminders));
  EXPECT_EQ(unique.size(), delivered.size());
}

TEST_F(TasksServiceTest, ChangingRemindAtArmsTheReminderAgain) {
  const v1::Task task =
      Create(alice_, "Rearm", [&](v1::Task& t) { *t.mutable_remind_at() = Proto(clock_.Now()); });
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    Authorize(context, MintToken(alice_, clock_.Now()));
    auto reader = replica_.stub->StreamReminders(&context, v1::StreamRemindersRequest());
    ASSERT_THAT(ReadReminders(*reader, 1), SizeIs(1));
    context.TryCancel();
    reader->Finish().IgnoreError();
  }
  v1::UpdateTaskRequest update;
  update.mutable_task()->set_id(task.id());
  *update.mutable_task()->mutable_remind_at() = Proto(clock_.Now() + absl::Minutes(1));
  v1::Task updated;
  ASSERT_THAT(Call(&Stub::UpdateTask, alice_, update, &updated), IsOk());
  clock_.Advance(absl::Minutes(2));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  Authorize(context, MintToken(alice_, clock_.Now()));
  auto reader = replica_.stub->StreamReminders(&context, v1::StreamRemindersRequest());
  EXPECT_THAT(ReadReminders(*reader, 1), SizeIs(1));
  context.TryCancel();
  reader->Finish().IgnoreError();
}

}  // namespace
}  // namespace todo::tasks
