// StreamReminders against a real Postgres, one replica and two; fixture in
// tasks_service_fixture.h.

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "tests/tasks/tasks_service_fixture.h"

namespace todo::tasks::testing {
namespace {

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
}  // namespace todo::tasks::testing
