#include "common/server/async_unary.h"

#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/harness/in_process_server.h"
#include "tests/harness/status_matchers.h"
#include "todo/tasks/v1/tasks.grpc.pb.h"

namespace todo::common::server {
namespace {

using ::testing::HasSubstr;
using ::todo::tasks::v1::GetTaskRequest;
using ::todo::tasks::v1::ListTasksRequest;
using ::todo::tasks::v1::ListTasksResponse;
using ::todo::tasks::v1::Task;
using ::todo::tasks::v1::TasksService;
using ::todo::testing::InProcessServer;
using ::todo::testing::StatusIs;

// GetTask answered asynchronously, the way the tasks service answers it: the
// handler hands the reply to another thread. What it does depends on the id:
//   id > 0: answers {id} after id milliseconds;  -1: NOT_FOUND;
//   -2: drops the reply unanswered;  -3: holds it until released.
// ListTasks stays synchronous, to show the two kinds share a server.
class AsyncTasks final : public TasksService::WithAsyncMethod_GetTask<TasksService::Service>,
                         public ServesAsyncMethods {
 public:
  ~AsyncTasks() override {
    for (std::thread& worker : workers_) worker.join();
  }
  std::vector<AsyncMethod*> async_methods() override { return {&get_task_}; }
  grpc::Status ListTasks(grpc::ServerContext*, const ListTasksRequest*,
                         ListTasksResponse* response) override {
    response->set_total_size(42);
    return grpc::Status::OK;
  }
  absl::Notification held_;     // a -3 call has started
  absl::Notification release_;  // answer the held call

 private:
  void Handle(const grpc::ServerContext&, const GetTaskRequest& request, Reply<Task> reply) {
    const int64_t id = request.id();
    if (id == -1) {
      std::move(reply)(absl::NotFoundError("task -1 not found"));
      return;
    }
    if (id == -2) {
      return;  // `reply` goes out of scope unanswered
    }
    absl::MutexLock lock(&mu_);
    workers_.emplace_back([this, id, reply = std::move(reply)]() mutable {
      if (id == -3) {
        held_.Notify();
        release_.WaitForNotificationWithTimeout(absl::Seconds(20));
      } else {
        absl::SleepFor(absl::Milliseconds(id));
      }
      Task task;
      task.set_id(id);
      std::move(reply)(task);
    });
  }

  absl::Mutex mu_;
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(mu_);
  AsyncUnaryMethod<GetTaskRequest, Task> get_task_ =
      BindAsyncMethod("GetTask", this, &AsyncTasks::RequestGetTask, &AsyncTasks::Handle);
};

grpc::Status Get(TasksService::Stub& stub, int64_t id, Task* task) {
  GetTaskRequest request;
  request.set_id(id);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  return stub.GetTask(&context, request, task);
}

TEST(AsyncUnaryTest, AnswersFromAnotherThreadManyCallsAtOnce) {
  AsyncTasks service;
  InProcessServer server({&service});
  auto stub = TasksService::NewStub(server.NewChannel());
  std::vector<std::thread> callers;
  std::atomic<int> right{0};
  for (int i = 1; i <= 40; ++i) {
    callers.emplace_back([&, i] {
      Task task;
      if (Get(*stub, i, &task).ok() && task.id() == i) ++right;
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(right.load(), 40);

  ListTasksResponse listed;
  grpc::ClientContext context;
  ASSERT_TRUE(stub->ListTasks(&context, ListTasksRequest(), &listed).ok());
  EXPECT_EQ(listed.total_size(), 42);
}

TEST(AsyncUnaryTest, AnErrorReplyBecomesItsGrpcStatus) {
  AsyncTasks service;
  InProcessServer server({&service});
  auto stub = TasksService::NewStub(server.NewChannel());
  Task task;
  EXPECT_THAT(Get(*stub, -1, &task), StatusIs(grpc::StatusCode::NOT_FOUND, HasSubstr("-1")));
}

TEST(AsyncUnaryTest, AReplyDroppedUnansweredAnswersInternal) {
  AsyncTasks service;
  InProcessServer server({&service});
  auto stub = TasksService::NewStub(server.NewChannel());
  Task task;
  EXPECT_THAT(Get(*stub, -2, &task), StatusIs(grpc::StatusCode::INTERNAL));
  EXPECT_TRUE(Get(*stub, 1, &task).ok());  // and the server carries on
}

TEST(AsyncUnaryTest, ShutdownWaitsForAnAnswerStillOnItsWay) {
  AsyncTasks service;
  InProcessServer server({&service});
  auto stub = TasksService::NewStub(server.NewChannel());
  grpc::Status status;
  Task task;
  std::thread caller([&] { status = Get(*stub, -3, &task); });
  ASSERT_TRUE(service.held_.WaitForNotificationWithTimeout(absl::Seconds(5)));
  std::thread releaser([&] {
    absl::SleepFor(absl::Milliseconds(300));
    service.release_.Notify();
  });
  server.Shutdown();
  caller.join();
  releaser.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(task.id(), -3);
}

}  // namespace
}  // namespace todo::common::server
