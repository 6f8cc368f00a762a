#include "common/server/grpc_server.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/harness/in_process_server.h"
#include "tests/harness/status_matchers.h"
#include "todo/tasks/v1/tasks.grpc.pb.h"

namespace todo::common::server {
namespace {

using ::testing::HasSubstr;
using ::todo::tasks::v1::GetTaskRequest;
using ::todo::tasks::v1::Task;
using ::todo::tasks::v1::TasksService;
using ::todo::testing::InProcessServer;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

// GetTask waits until released, so a test can hold calls in flight.
class SlowTasks final : public TasksService::Service {
 public:
  grpc::Status GetTask(grpc::ServerContext*, const GetTaskRequest* request,
                       Task* response) override {
    if (calls_started_.fetch_add(1) == 0) started_.Notify();
    release_.WaitForNotificationWithTimeout(absl::Seconds(20));
    response->set_id(request->id());
    return grpc::Status::OK;
  }
  std::atomic<int> calls_started_{0};
  absl::Notification started_;  // the first call has started
  absl::Notification release_;
};

grpc::ClientContext* WithDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return &context;
}

TEST(GrpcServerTest, ListensOnAFreePortWhenAskedForPortZero) {
  SlowTasks service;
  InProcessServer first({&service});
  InProcessServer second({});
  EXPECT_GT(first.server().port(), 0);
  EXPECT_NE(first.server().port(), second.server().port());
}

// Browsers keep reminder streams open and each holds a server thread: 150
// calls at once (the old cap was 64) must all be served, none refused.
TEST(GrpcServerTest, ServesManyMoreConcurrentCallsThanTheDatabasePoolHolds) {
  constexpr int kCalls = 150;
  SlowTasks service;
  InProcessServer server({&service});
  auto stub = TasksService::NewStub(server.NewChannel());
  grpc::CompletionQueue queue;
  struct Call {
    grpc::ClientContext context;
    Task response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<Task>> reader;
  };
  std::vector<Call> calls(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    GetTaskRequest request;
    request.set_id(i);
    WithDeadline(calls[i].context, absl::Seconds(30));
    calls[i].reader = stub->AsyncGetTask(&calls[i].context, request, &queue);
    calls[i].reader->Finish(&calls[i].response, &calls[i].status, &calls[i]);
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (service.calls_started_.load() < kCalls && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(service.calls_started_.load(), kCalls);
  service.release_.Notify();
  for (int done = 0; done < kCalls; ++done) {
    void* tag = nullptr;
    bool ok = false;
    ASSERT_TRUE(queue.Next(&tag, &ok));
    EXPECT_THAT(static_cast<Call*>(tag)->status, IsOk());
  }
}

TEST(GrpcServerTest, ServesReflectionSoGrpcurlCanListServices) {
  SlowTasks service;
  InProcessServer server({&service});
  grpc::GenericStub stub(server.NewChannel());
  grpc::ClientContext context;
  grpc::CompletionQueue queue;
  // ServerReflectionRequest{list_services: ""} is field 7, length 0.
  const char request_bytes[] = {0x3a, 0x00};
  auto call =
      stub.PrepareCall(WithDeadline(context, absl::Seconds(5)),
                       "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  grpc::Slice slice(request_bytes, sizeof(request_bytes));
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& piece : slices) {
    bytes.append(reinterpret_cast<const char*>(piece.begin()), piece.size());
  }
  EXPECT_THAT(bytes, HasSubstr("todo.tasks.v1.TasksService"));
  EXPECT_THAT(bytes, HasSubstr("grpc.health.v1.Health"));
  context.TryCancel();
  call->Finish(nullptr, reinterpret_cast<void*>(4));
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
}

TEST(GrpcServerTest, RefusesMessagesAboveTheReceiveLimit) {
  SlowTasks service;
  service.release_.Notify();
  auto options = InProcessServer::DefaultOptions();
  options.max_receive_message_bytes = 1024;
  InProcessServer server({&service}, options);
  auto stub = TasksService::NewStub(server.NewChannel());
  GetTaskRequest request;
  request.set_user_id(std::string(4096, 'x'));
  Task task;
  grpc::ClientContext context;
  EXPECT_THAT(stub->GetTask(WithDeadline(context, absl::Seconds(5)), request, &task),
              StatusIs(grpc::StatusCode::RESOURCE_EXHAUSTED));
}

TEST(GrpcServerTest, ShutdownLetsInFlightCallsFinishAndRefusesNewOnes) {
  SlowTasks service;
  InProcessServer server({&service});
  auto channel = server.NewChannel();
  auto stub = TasksService::NewStub(channel);
  grpc::Status in_flight_status;
  Task in_flight_task;
  std::thread caller([&] {
    GetTaskRequest request;
    request.set_id(7);
    grpc::ClientContext context;
    in_flight_status =
        stub->GetTask(WithDeadline(context, absl::Seconds(10)), request, &in_flight_task);
  });
  ASSERT_TRUE(service.started_.WaitForNotificationWithTimeout(absl::Seconds(5)));
  std::thread releaser([&] {
    absl::SleepFor(absl::Milliseconds(300));
    service.release_.Notify();
  });
  server.Shutdown();  // blocks until the in-flight call is done
  caller.join();
  releaser.join();
  EXPECT_TRUE(in_flight_status.ok()) << in_flight_status.error_message();
  EXPECT_EQ(in_flight_task.id(), 7);

  grpc::ClientContext late;
  Task task;
  EXPECT_THAT(stub->GetTask(WithDeadline(late, absl::Seconds(2)), GetTaskRequest(), &task),
              StatusIs(grpc::StatusCode::UNAVAILABLE));
}

TEST(GrpcServerTest, CancelsCallsThatOutliveTheGracePeriod) {
  SlowTasks service;
  auto options = InProcessServer::DefaultOptions();
  options.shutdown_grace = absl::Milliseconds(200);
  InProcessServer server({&service}, options);
  auto stub = TasksService::NewStub(server.NewChannel());
  grpc::Status status;
  std::thread caller([&] {
    grpc::ClientContext context;
    Task task;
    status = stub->GetTask(WithDeadline(context, absl::Seconds(10)), GetTaskRequest(), &task);
  });
  ASSERT_TRUE(service.started_.WaitForNotificationWithTimeout(absl::Seconds(5)));
  const absl::Time start = absl::Now();
  std::thread shutdown([&] { server.Shutdown(); });
  caller.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_FALSE(status.ok());
  service.release_.Notify();
  shutdown.join();
}

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

TEST(GrpcServerTest, HealthChecksKnownServicesAndRefusesUnknownOnes) {
  InProcessServer server({});
  server.server().health()->SetServingStatus("todo.test.v1.Thing", true);
  auto stub = Health::NewStub(server.NewChannel());
  const auto check = [&](const std::string& service, HealthCheckResponse* response) {
    HealthCheckRequest request;
    request.set_service(service);
    grpc::ClientContext context;
    return stub->Check(WithDeadline(context, absl::Seconds(5)), request, response);
  };
  HealthCheckResponse response;
  ASSERT_TRUE(check("todo.test.v1.Thing", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  ASSERT_TRUE(check("", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);  // until told otherwise
  EXPECT_THAT(check("todo.test.v1.Nothing", &response), StatusIs(grpc::StatusCode::NOT_FOUND));
}

TEST(GrpcServerTest, HealthWatchSendsEachChangeAndEndsAtShutdown) {
  InProcessServer server({});
  auto stub = Health::NewStub(server.NewChannel());
  grpc::ClientContext context;
  HealthCheckRequest request;
  auto watch = stub->Watch(WithDeadline(context, absl::Seconds(10)), request);
  HealthCheckResponse response;
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  server.server().health()->SetServingStatus(true);
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  const absl::Time start = absl::Now();
  std::thread shutdown([&] { server.Shutdown(); });
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  EXPECT_FALSE(watch->Read(&response));
  EXPECT_TRUE(watch->Finish().ok());
  shutdown.join();
  // The open watch did not hold the stop up for the grace period (2 s).
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

}  // namespace
}  // namespace todo::common::server
