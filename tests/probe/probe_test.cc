#include "services/probe/probe.h"

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/in_process_loop_server.h"
#include "tests/harness/loopback_http_server.h"
#include "tests/harness/ports.h"
#include "tests/harness/status_matchers.h"

namespace todo::probe {
namespace {

using ::testing::HasSubstr;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

TEST(ProbeTest, GrpcHealthFollowsTheServersStatus) {
  todo::testing::InProcessLoopServer server(
      [](const common::rpc::ServerResources&) { return common::rpc::MethodTable(); });
  const std::string target = server.local_target();
  // A service starts NOT_SERVING until its database is seen, but is alive.
  EXPECT_THAT(CheckGrpcHealth(target, "", absl::Seconds(3)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("NOT_SERVING")));
  EXPECT_THAT(CheckGrpcHealth(target, common::rpc::kLivenessService, absl::Seconds(3)), IsOk());
  server.server().health().SetServingStatus("", true);
  EXPECT_THAT(CheckGrpcHealth(target, "", absl::Seconds(3)), IsOk());
  EXPECT_THAT(CheckGrpcHealth(target, "todo.unknown.v1.Nothing", absl::Seconds(3)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(ProbeTest, NothingListeningFailsWithinTheTimeout) {
  const absl::Time start = absl::Now();
  const absl::Status status = CheckGrpcHealth(
      absl::StrCat("127.0.0.1:", todo::testing::FreeLoopbackPort()), "", absl::Seconds(2));
  EXPECT_FALSE(status.ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(ProbeTest, HttpWantsA2xx) {
  todo::testing::LoopbackHttpServer server([](const todo::testing::HttpExchange& exchange) {
    todo::testing::CannedResponse response;
    response.status = exchange.target == "/ready" ? 503 : 200;
    response.body = "{}";
    return response;
  });
  EXPECT_THAT(CheckHttp(server.Url("/health"), absl::Seconds(3)), IsOk());
  EXPECT_THAT(CheckHttp(server.Url("/ready"), absl::Seconds(3)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("503")));
}

}  // namespace
}  // namespace todo::probe
