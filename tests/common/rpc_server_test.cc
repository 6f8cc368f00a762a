// common/rpc's server against grpc++ clients and raw sockets: what a gRPC
// client relies on (metadata, statuses with details, deadlines,
// cancellation, limits, streams, health, reflection) and what a
// misbehaving peer must not break.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/rpc/methods.h"
#include "gmock/gmock.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/harness/in_process_loop_server.h"
#include "tests/harness/status_matchers.h"
#include "todo/auth/v1/auth.grpc.pb.h"
#include "todo/tasks/v1/tasks.grpc.pb.h"

namespace todo::common::rpc {
namespace {

namespace v1 = todo::tasks::v1;
using ::testing::HasSubstr;
using ::todo::testing::InProcessLoopServer;

// A service whose methods the tests steer through the request:
//   GetTask id 1: answers with the caller's x-request-id as the title;
//   id 2: fails NOT_FOUND with a message beyond ASCII and details;
//   id 3: answers later, from another thread;
//   id 4: never answers (until the call is over, which it records);
//   StreamReminders (metadata x-count N, x-slow): N reminders, then OK,
//   unless the client goes away.
class SteeredService {
 public:
  MethodTable Methods(const ServerResources& resources) {
    StreamThreads* const streams = resources.streams;
    MethodTable methods;
    methods["/todo.tasks.v1.TasksService/GetTask"] = AsyncUnary<v1::GetTaskRequest, v1::Task>(
        [this](const Call& call, const v1::GetTaskRequest& request, rpc::Reply<v1::Task> reply) {
          v1::Task task;
          task.set_id(request.id());
          switch (request.id()) {
            case 1:
              task.set_title(std::string(call.FirstMetadata("x-request-id")));
              std::move(reply)(task);
              return;
            case 2:
              std::move(reply)(absl::NotFoundError("no task \"42\" — 100% gone"));
              return;
            case 3:
              late_answers_started_.fetch_add(1);
              std::thread([task, reply = std::move(reply)]() mutable {
                absl::SleepFor(absl::Milliseconds(20));
                std::move(reply)(task);
              }).detach();
              return;
            default:
              parked_.emplace_back(&call, std::move(reply));
              parked_count_.fetch_add(1);
              return;
          }
        });
    methods["/todo.tasks.v1.TasksService/StreamReminders"] =
        BlockingServerStream<v1::StreamRemindersRequest, v1::Reminder>(
            streams, [this](const Call& call, const v1::StreamRemindersRequest&,
                            const std::function<bool(const v1::Reminder&)>& write) {
              int count = 0;
              EXPECT_TRUE(absl::SimpleAtoi(call.FirstMetadata("x-count"), &count));
              const bool slow = !call.FirstMetadata("x-slow").empty();
              for (int i = 0; i < count; ++i) {
                v1::Reminder reminder;
                reminder.set_task_id(i);
                reminder.set_title(std::string(1000, 'x'));
                if (!write(reminder)) {
                  stream_saw_client_leave_.Notify();
                  return absl::CancelledError("gone");
                }
                if (slow) absl::SleepFor(absl::Milliseconds(5));
              }
              return absl::OkStatus();
            });
    // The server binds a service whole: the RPCs these tests do not steer
    // answer UNIMPLEMENTED.
    const auto* service =
        v1::GetTaskRequest::descriptor()->file()->FindServiceByName("TasksService");
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string path =
          absl::StrCat("/", service->full_name(), "/", service->method(i)->name());
      if (methods.contains(path)) continue;
      MethodHandler unsteered;
      unsteered.on_request = [](std::shared_ptr<Call> call, std::string) {
        call->Finish(absl::UnimplementedError("not steered"));
      };
      methods[path] = unsteered;
    }
    return methods;
  }

  // Waits until a parked call is over for its handler (deadline, cancel).
  bool ParkedCallEnds() {
    const absl::Time give_up = absl::Now() + absl::Seconds(5);
    while (absl::Now() < give_up) {
      if (parked_count_.load() > 0 && parked_.back().first->done()) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  // Answers what is still parked while the server runs (a Reply dropped
  // later would answer on loops that are gone).
  void AnswerParked() {
    for (auto& [call, reply] : parked_) std::move(reply)(absl::CancelledError("test over"));
    parked_.clear();
  }

  absl::Notification stream_saw_client_leave_;
  std::atomic<int> late_answers_started_{0};

 private:
  // Touched on the loop thread that parked them, read by the test after.
  std::vector<std::pair<const Call*, rpc::Reply<v1::Task>>> parked_;
  std::atomic<int> parked_count_{0};
};

class ServerTest : public ::testing::Test {
 protected:
  ServerTest()
      : server_([this](const ServerResources& resources) { return service_.Methods(resources); },
                Options()),
        stub_(v1::TasksService::NewStub(server_.NewChannel())) {}
  ~ServerTest() override { service_.AnswerParked(); }

  static ServiceServerOptions Options() {
    ServiceServerOptions options = InProcessLoopServer::DefaultOptions();
    options.server.max_receive_message_bytes = 64 * 1024;
    return options;
  }

  grpc::Status Get(int64_t id, v1::Task* task, absl::Duration deadline = absl::Seconds(5),
                   const std::string& request_id = "") {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    if (!request_id.empty()) context.AddMetadata("x-request-id", request_id);
    v1::GetTaskRequest request;
    request.set_id(id);
    return stub_->GetTask(&context, request, task);
  }

  SteeredService service_;
  InProcessLoopServer server_;
  std::unique_ptr<v1::TasksService::Stub> stub_;
};

TEST_F(ServerTest, AnswersAUnaryCallWithWhatTheHandlerSawOfItsMetadata) {
  v1::Task task;
  ASSERT_TRUE(Get(1, &task, absl::Seconds(5), "req-77").ok());
  EXPECT_EQ(task.id(), 1);
  EXPECT_EQ(task.title(), "req-77");
}

TEST_F(ServerTest, AFailureKeepsItsCodeAndItsMessageBeyondAscii) {
  v1::Task task;
  const grpc::Status status = Get(2, &task);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "no task \"42\" — 100% gone");
}

TEST_F(ServerTest, AnAnswerGivenOnAnotherThreadReachesTheClient) {
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&] {
      for (int j = 0; j < 20; ++j) {
        v1::Task task;
        if (Get(3, &task).ok() && task.id() == 3) ++ok;
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(ok.load(), 160);
}

TEST_F(ServerTest, AnUnknownMethodIsUnimplemented) {
  auto other = todo::auth::v1::AuthService::NewStub(server_.NewChannel());
  grpc::ClientContext context;
  todo::auth::v1::GetMeRequest request;
  todo::auth::v1::User user;
  EXPECT_EQ(other->GetMe(&context, request, &user).error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(ServerTest, AMessageOverTheLimitIsRefusedBeforeItIsRead) {
  grpc::ClientContext context;
  v1::GetTaskRequest request;
  request.set_user_id(std::string(10 * 1024 * 1024, 'u'));
  v1::Task task;
  const grpc::Status status = stub_->GetTask(&context, request, &task);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("larger than max"));
  // The connection still serves.
  EXPECT_TRUE(Get(1, &task).ok());
}

TEST_F(ServerTest, RequestsSpanningManyReadsArriveWholeWhileOthersAreInFlight) {
  // 60 kB requests, many at once on one connection: each takes several reads
  // of the socket, interleaved with the others' frames.
  constexpr int kCalls = 24;
  std::vector<std::thread> callers;
  std::atomic<int> answered{0};
  for (int i = 0; i < kCalls; ++i) {
    callers.emplace_back([&, i] {
      grpc::ClientContext context;
      context.AddMetadata("x-request-id", absl::StrCat("big-", i));
      v1::GetTaskRequest request;
      request.set_id(1);
      request.set_user_id(std::string(60 * 1024, static_cast<char>('a' + i % 26)));
      v1::Task task;
      if (stub_->GetTask(&context, request, &task).ok() &&
          task.title() == absl::StrCat("big-", i)) {
        answered.fetch_add(1);
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(answered.load(), kCalls);
}

TEST_F(ServerTest, ADeadlineEndsTheCallForClientAndHandler) {
  v1::Task task;
  const grpc::Status status = Get(4, &task, absl::Milliseconds(200));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(service_.ParkedCallEnds());
}

TEST_F(ServerTest, AServerStreamDeliversEveryMessageInOrder) {
  grpc::ClientContext context;
  context.AddMetadata("x-count", "2000");  // 2 MB: past the flow-control windows
  auto reader = stub_->StreamReminders(&context, v1::StreamRemindersRequest());
  v1::Reminder reminder;
  int64_t expected = 0;
  while (reader->Read(&reminder)) {
    EXPECT_EQ(reminder.task_id(), expected);
    ++expected;
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(expected, 2000);
}

TEST_F(ServerTest, AStreamHandlerLearnsThatItsClientLeft) {
  grpc::ClientContext context;
  context.AddMetadata("x-count", "100000");
  context.AddMetadata("x-slow", "1");
  auto reader = stub_->StreamReminders(&context, v1::StreamRemindersRequest());
  v1::Reminder reminder;
  ASSERT_TRUE(reader->Read(&reminder));
  context.TryCancel();
  EXPECT_TRUE(service_.stream_saw_client_leave_.WaitForNotificationWithTimeout(absl::Seconds(5)));
}

TEST_F(ServerTest, ServesHealthCheckAndWatch) {
  auto health = grpc::health::v1::Health::NewStub(server_.NewChannel());
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(health->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  }
  grpc::ClientContext watch_context;
  auto watch = health->Watch(&watch_context, request);
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  server_.server().health().SetServingStatus(true);
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  {
    grpc::ClientContext context;
    request.set_service("no.such.Service");
    EXPECT_EQ(health->Check(&context, request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  server_.Shutdown();  // ends the Watch: NOT_SERVING, then OK
  while (watch->Read(&response)) {
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  }
  EXPECT_TRUE(watch->Finish().ok());
}

TEST_F(ServerTest, ReflectionListsTheServicesAndDescribesThem) {
  grpc::GenericStub generic(server_.NewChannel());
  for (const char* method : {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                             "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"}) {
    grpc::ClientContext context;
    grpc::CompletionQueue queue;
    // list_services (field 7) "", then file_containing_symbol (field 4).
    const std::string list("\x3a\x00", 2);
    const std::string symbol = std::string("\x22\x1a") + "todo.tasks.v1.TasksService";
    auto call = generic.PrepareCall(&context, method, &queue);
    void* tag = nullptr;
    bool ok = false;
    call->StartCall(reinterpret_cast<void*>(1));
    ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
    std::string answers;
    for (const std::string& question : {list, symbol}) {
      grpc::Slice slice(question);
      grpc::ByteBuffer buffer(&slice, 1);
      call->Write(buffer, reinterpret_cast<void*>(2));
      ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
      grpc::ByteBuffer answer;
      call->Read(&answer, reinterpret_cast<void*>(3));
      ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
      std::vector<grpc::Slice> slices;
      ASSERT_TRUE(answer.Dump(&slices).ok());
      for (const auto& piece : slices) {
        answers.append(reinterpret_cast<const char*>(piece.begin()), piece.size());
      }
    }
    call->WritesDone(reinterpret_cast<void*>(4));
    ASSERT_TRUE(queue.Next(&tag, &ok));
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(5));
    ASSERT_TRUE(queue.Next(&tag, &ok));
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_THAT(answers, HasSubstr("grpc.health.v1.Health"));
    EXPECT_THAT(answers, HasSubstr("todo.tasks.v1.TasksService"));
    EXPECT_THAT(answers, HasSubstr("todo/tasks/v1/tasks.proto"));
    EXPECT_THAT(answers, HasSubstr("google/api/annotations.proto"));  // an import, sent too
    queue.Shutdown();
    while (queue.Next(&tag, &ok)) {
    }
  }
}

TEST_F(ServerTest, APeerSpeakingSomethingElseIsHungUpOnAndOthersAreServed) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server_.server().port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  const std::string garbage = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(write(fd, garbage.data(), garbage.size()), static_cast<ssize_t>(garbage.size()));
  char buffer[4096];
  ssize_t got = 0;
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while ((got = read(fd, buffer, sizeof buffer)) > 0 && absl::Now() < give_up) {
  }
  EXPECT_EQ(got, 0);  // closed by the server
  close(fd);
  v1::Task task;
  EXPECT_TRUE(Get(1, &task).ok());
}

TEST_F(ServerTest, ShutdownLetsACallInProgressFinish) {
  v1::Task task;
  grpc::Status status;
  std::thread client([&] { status = Get(3, &task); });
  while (service_.late_answers_started_.load() == 0) absl::SleepFor(absl::Milliseconds(1));
  server_.Shutdown();
  client.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace
}  // namespace todo::common::rpc

namespace todo::common::rpc {
namespace {

// A stream whose client reads each message and leaves at once: the call
// ends while Write is still returning.
class HangUpAfterReadingSink final : public CallSink {
 public:
  bool Send(std::string framed_message) override {
    sent.push_back(std::move(framed_message));
    if (call != nullptr) call->MarkDone();
    return true;
  }
  void SendHeaders(Metadata, Encoding) override {}
  void End(ClientStatus, std::string, Metadata) override {}

  Call* call = nullptr;
  std::vector<std::string> sent;
};

TEST(CallTest, AMessageHandedOverCountsAsSentThoughTheClientLeavesBeforeWriteReturns) {
  auto sink = std::make_shared<HangUpAfterReadingSink>();
  Call call("/todo.tasks.v1.TasksService/StreamReminders", {}, absl::InfiniteFuture(), "", sink);
  sink->call = &call;
  // The reminders' hub keeps a reminder due when no stream took it: a false
  // here sent it a second time to the client's next stream.
  EXPECT_TRUE(call.Write("call mum"));
  EXPECT_TRUE(call.done());
  // Once over, nothing more is handed over.
  EXPECT_FALSE(call.Write("again"));
  EXPECT_EQ(sink->sent.size(), 1u);
}

TEST(ServiceServerTest, AServiceMissingAHandlerOrBoundInTheWrongShapeDoesNotStart) {
  event_loops::EventLoops loops(1);
  ServiceServerOptions options;
  options.server.listen_address = "127.0.0.1";
  MethodHandler unary;
  unary.on_request = [](std::shared_ptr<Call> call, std::string) { call->Reply(""); };
  const auto only_get = [&](const ServerResources&) {
    return MethodTable{{"/todo.tasks.v1.TasksService/GetTask", unary}};
  };
  EXPECT_THAT(ServiceServer::Start(options, &loops, only_get).status(),
              todo::testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                      ::testing::HasSubstr("has no handler")));
  const auto unknown = [&](const ServerResources&) {
    return MethodTable{{"/no.such.Service/Call", unary}};
  };
  EXPECT_THAT(ServiceServer::Start(options, &loops, unknown).status(),
              todo::testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                      ::testing::HasSubstr("not compiled into this binary")));
  const auto reflection_as_unary = [&](const ServerResources&) {
    return MethodTable{{"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", unary}};
  };
  EXPECT_THAT(ServiceServer::Start(options, &loops, reflection_as_unary).status(),
              todo::testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                      ::testing::HasSubstr("wrong shape")));
}

}  // namespace
}  // namespace todo::common::rpc
