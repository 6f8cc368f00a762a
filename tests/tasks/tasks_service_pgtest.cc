// The tasks service's RPCs (create, validation, tenancy, update, completion,
// idempotent retries) against a real Postgres; fixture in tasks_service_fixture.h.

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "tests/tasks/tasks_service_fixture.h"

namespace todo::tasks::testing {
namespace {

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

}  // namespace
}  // namespace todo::tasks::testing
