#include "absl/time/clock.h"
#include "common/health/database_health_watcher.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/harness/in_process_loop_server.h"
#include "tests/harness/postgres_instance.h"
#include "tests/harness/status_matchers.h"

namespace todo::common::health {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::todo::testing::InProcessLoopServer;
using ::todo::testing::IsOk;
using ::todo::testing::SharedPostgres;

HealthCheckResponse::ServingStatus Check(Health::Stub& stub, const std::string& service) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  const grpc::Status status = stub.Check(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.status();
}

bool WaitFor(Health::Stub& stub, HealthCheckResponse::ServingStatus wanted) {
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (absl::Now() < deadline) {
    if (Check(stub, "") == wanted && Check(stub, "todo.test.v1.Thing") == wanted) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

TEST(DatabaseHealthWatcherTest, FollowsTheDatabaseDownAndBackUp) {
  InProcessLoopServer server([](const rpc::ServerResources&) { return rpc::MethodTable(); });
  auto stub = Health::NewStub(server.NewChannel());
  // The server starts NOT_SERVING until the database has been seen; its
  // liveness name is SERVING from the start.
  EXPECT_EQ(Check(*stub, ""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check(*stub, rpc::kLivenessService), HealthCheckResponse::SERVING);

  HealthWatcherOptions options;
  options.connect.dsn = SharedPostgres().Dsn();
  options.connect.connect_timeout = absl::Seconds(1);
  options.service_names = {"todo.test.v1.Thing"};
  options.interval = absl::Milliseconds(100);
  DatabaseHealthWatcher watcher(options, &server.server().health());
  watcher.Start();
  EXPECT_TRUE(watcher.serving());
  EXPECT_TRUE(WaitFor(*stub, HealthCheckResponse::SERVING));

  ASSERT_THAT(SharedPostgres().Stop(), IsOk());
  EXPECT_TRUE(WaitFor(*stub, HealthCheckResponse::NOT_SERVING));
  // An outage is no reason to restart the process.
  EXPECT_EQ(Check(*stub, rpc::kLivenessService), HealthCheckResponse::SERVING);

  ASSERT_THAT(SharedPostgres().StartAgain(), IsOk());
  EXPECT_TRUE(WaitFor(*stub, HealthCheckResponse::SERVING));

  server.server().Shutdown();
  EXPECT_EQ(server.server().health().CheckStatus(rpc::kLivenessService).value(),
            HealthCheckResponse::NOT_SERVING);
}

}  // namespace
}  // namespace todo::common::health
