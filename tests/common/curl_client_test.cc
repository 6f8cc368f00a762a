#include "common/http_client/curl_client.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/loopback_http_server.h"
#include "tests/harness/status_matchers.h"

namespace todo::common::http_client {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::todo::testing::CannedResponse;
using ::todo::testing::HttpExchange;
using ::todo::testing::IsOk;
using ::todo::testing::LoopbackHttpServer;
using ::todo::testing::StatusIs;

TEST(CurlClientTest, SendsTheRequestAndReadsTheResponse) {
  HttpExchange seen;
  LoopbackHttpServer server([&](const HttpExchange& exchange) {
    seen = exchange;
    CannedResponse response;
    response.status = 201;
    response.body = R"({"ok":true})";
    return response;
  });
  CurlClient client;
  HttpRequest request;
  request.method = "POST";
  request.url = server.Url("/v1/things?x=1");
  request.headers = {{"Authorization", "Bearer k"}, {"Content-Type", "application/json"}};
  request.body = R"({"a":1})";
  auto response = client.Send(request);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, R"({"ok":true})");
  EXPECT_EQ(response->content_type, "application/json");
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/v1/things?x=1");
  EXPECT_EQ(seen.body, R"({"a":1})");
}

TEST(CurlClientTest, StreamsTheBodyPieceByPiece) {
  LoopbackHttpServer server([](const HttpExchange&) {
    CannedResponse response;
    response.content_type = "text/event-stream";
    response.chunks = {"data: 1\n\n", "data: 2\n\n", "data: [DONE]\n\n"};
    response.chunk_delay = absl::Milliseconds(20);
    return response;
  });
  CurlClient client;
  HttpRequest request;
  request.url = server.Url("/stream");
  std::string received;
  int pieces = 0;
  auto response = client.SendStreaming(request, [&](absl::string_view piece) {
    received.append(piece.data(), piece.size());
    ++pieces;
    return true;
  });
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(received, "data: 1\n\ndata: 2\n\ndata: [DONE]\n\n");
  EXPECT_GE(pieces, 2);
}

TEST(CurlClientTest, StopsWhenTheReceiverSaysSo) {
  LoopbackHttpServer server([](const HttpExchange&) {
    CannedResponse response;
    response.chunks = {"a", "b", "c"};
    response.chunk_delay = absl::Milliseconds(20);
    return response;
  });
  CurlClient client;
  HttpRequest request;
  request.url = server.Url("/");
  EXPECT_THAT(client.SendStreaming(request, [](absl::string_view) { return false; }).status(),
              StatusIs(absl::StatusCode::kCancelled));
}

TEST(CurlClientTest, RefusesAnOversizedBody) {
  LoopbackHttpServer server([](const HttpExchange&) {
    CannedResponse response;
    response.body = std::string(10'000, 'x');
    return response;
  });
  CurlClient client;
  HttpRequest request;
  request.url = server.Url("/");
  request.max_response_bytes = 1000;
  EXPECT_THAT(client.Send(request).status(), StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(CurlClientTest, TimesOut) {
  LoopbackHttpServer server([](const HttpExchange&) {
    CannedResponse response;
    response.delay = absl::Milliseconds(800);
    return response;
  });
  CurlClient client;
  HttpRequest request;
  request.url = server.Url("/");
  request.timeout = absl::Milliseconds(200);
  EXPECT_THAT(client.Send(request).status(), StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(CurlClientTest, ReportsAnUnreachablePeerAsUnavailable) {
  CurlClient client;
  HttpRequest request;
  request.url = "http://127.0.0.1:1/";
  EXPECT_THAT(client.Send(request).status(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(CurlClientTest, RefusesSchemesOtherThanHttp) {
  CurlClient client;
  HttpRequest request;
  request.url = "file:///etc/passwd";
  EXPECT_THAT(client.Send(request).status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace todo::common::http_client
