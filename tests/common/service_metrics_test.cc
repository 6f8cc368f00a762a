#include "common/metrics/service_metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/http_client/curl_client.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/harness/in_process_loop_server.h"

namespace todo::common::metrics {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Scrape(int port) {
  http_client::HttpRequest request;
  request.url = absl::StrCat("http://127.0.0.1:", port, "/metrics");
  absl::StatusOr<http_client::HttpResponse> response = http_client::CurlClient().Send(request);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? response->body : "";
}

grpc::Status Check(Health::Stub& stub, const std::string& service) {
  grpc::ClientContext context;
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  return stub.Check(&context, request, &response);
}

TEST(ServiceMetricsTest, CountsCallsByMethodAndCodeAndFollowsHealth) {
  absl::StatusOr<std::unique_ptr<ServiceMetrics>> metrics =
      ServiceMetrics::Start({"127.0.0.1", 0, "todo-test"});
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  rpc::ServiceServerOptions options = testing::InProcessLoopServer::DefaultOptions();
  (*metrics)->Attach(&options);
  testing::InProcessLoopServer server(
      [](const rpc::ServerResources&) { return rpc::MethodTable(); }, options);
  auto stub = Health::NewStub(server.NewChannel());
  EXPECT_TRUE(Check(*stub, "").ok());
  EXPECT_TRUE(Check(*stub, "").ok());
  EXPECT_EQ(Check(*stub, "todo.nothing.v1.Nothing").error_code(), grpc::StatusCode::NOT_FOUND);
  // A path the server does not serve: counted, without its name as a label.
  grpc::GenericStub generic(server.NewChannel());
  grpc::ClientContext context;
  grpc::Slice nothing("");
  grpc::ByteBuffer empty(&nothing, 1);
  grpc::ByteBuffer reply;
  grpc::Status unknown;
  absl::Notification done;
  generic.UnaryCall(&context, "/attacker.Chosen/Name", grpc::StubOptions(), &empty, &reply,
                    [&](grpc::Status status) {
                      unknown = status;
                      done.Notify();
                    });
  done.WaitForNotification();
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNIMPLEMENTED);

  const std::string text = Scrape((*metrics)->port());
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Check\","
                              "grpc_service=\"grpc.health.v1.Health\"} 2"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{grpc_code=\"NOT_FOUND\","
                              "grpc_method=\"Check\",grpc_service=\"grpc.health.v1.Health\"} 1"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{grpc_code=\"UNIMPLEMENTED\","
                              "grpc_method=\"unknown\",grpc_service=\"unknown\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("attacker")));
  EXPECT_THAT(text, HasSubstr("grpc_server_handling_seconds_count{grpc_method=\"Check\","
                              "grpc_service=\"grpc.health.v1.Health\"} 3"));
  EXPECT_THAT(text, HasSubstr("todo_build_info{service=\"todo-test\",version=\""));
  // Starts NOT_SERVING (no database seen), liveness SERVING; then follows.
  EXPECT_THAT(text, HasSubstr("todo_health_serving{health_service=\"liveness\"} 1"));
  server.server().health().SetServingStatus("", true);
  EXPECT_THAT(Scrape((*metrics)->port()),
              HasSubstr("todo_health_serving{health_service=\"(server)\"} 1"));
  server.server().health().SetServingStatus("", false);
  EXPECT_THAT(Scrape((*metrics)->port()),
              HasSubstr("todo_health_serving{health_service=\"(server)\"} 0"));
}

TEST(ServiceMetricsTest, ReportsAWatchedPoolUntilTheWatchEnds) {
  absl::StatusOr<std::unique_ptr<ServiceMetrics>> metrics =
      ServiceMetrics::Start({"127.0.0.1", 0, "todo-test"});
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  pg::PoolOptions options;
  options.connect.dsn = "postgresql://nobody@127.0.0.1:1/none";
  pg::ConnectionPool pool(options);
  std::unique_ptr<Watch> watch = (*metrics)->WatchPool(&pool);
  const std::string text = Scrape((*metrics)->port());
  EXPECT_THAT(text, HasSubstr("todo_db_pool_connections{state=\"open\"} 0"));
  EXPECT_THAT(text, HasSubstr("todo_db_pool_connections{state=\"in_use\"} 0"));
  EXPECT_THAT(text, HasSubstr("todo_db_pool_waiting 0"));
  watch.reset();
  EXPECT_THAT(Scrape((*metrics)->port()), Not(HasSubstr("todo_db_pool")));
}

}  // namespace
}  // namespace todo::common::metrics
