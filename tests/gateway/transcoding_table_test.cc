// The transcoding table (transcoding-vectors.md), the exchanges that are not
// one row of sections A to D: whole-message printing, gateway-made errors,
// server streams, upstream errors and the status table, and section H.

#include "tests/gateway/transcoding_table.h"

namespace todo::gateway::table {
namespace {

TEST_F(TranscodingTableTest, P01UnaryGetPrintsTheMessageExactly) {
  upstream_.SetReply(
      {0, "", "", {Message("vt.v1.Task", R"(id: 42 title: "Buy milk" priority: PRIORITY_HIGH)")}});
  auto handler = Handler(Profile::kD);
  const HttpResponse response = Send(*handler, "GET", "/v1/tasks/42");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(HeaderOf(response, "content-type"), "application/json");
  EXPECT_EQ(HeaderOf(response, "grpc-status"), "0");
  EXPECT_EQ(response.body, R"({"id":"42","title":"Buy milk","priority":"PRIORITY_HIGH"})");
  EXPECT_EQ(response.body.size(), 57u);  // cl 57
  ExpectUpstreamGot("vt.v1.GetTaskRequest", R"({"id":"42"})");
}

TEST_F(TranscodingTableTest, P10PostWithBodyStar) {
  upstream_.SetReply(
      {0,
       "",
       "",
       {Message("vt.v1.ListTasksResponse",
                R"(tasks { id: 1 title: "a" } tasks { id: 2 title: "b" done: true } )"
                R"(next_page_token: "p2" total_size: 2)")}});
  auto handler = Handler(Profile::kD);
  const HttpResponse response =
      Send(*handler, "POST", "/v1/tasks:search", R"({"query":"milk","limit":5})");
  EXPECT_EQ(response.body,
            R"({"tasks":[{"id":"1","title":"a"},{"id":"2","title":"b","done":true}],)"
            R"("nextPageToken":"p2","totalSize":2})");
  EXPECT_EQ(response.body.size(), 104u);
  ExpectUpstreamGot("vt.v1.SearchTasksRequest", R"({"query":"milk","limit":5})");
}

TEST_F(TranscodingTableTest, P17EmptyResponsePrintsAsAnEmptyObject) {
  upstream_.SetReply({0, "", "", {""}});
  auto handler = Handler(Profile::kD);
  const HttpResponse response = Send(*handler, "DELETE", "/v1/tasks/42");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{}");
}

TEST_F(TranscodingTableTest, P48ToP51GatewayMadeErrorsBeforeAnyUpstreamCall) {
  auto handler = Handler(Profile::kD);
  const Headers json = {{"content-type", "application/json"}};
  HttpResponse response = Send(*handler, "POST", "/v1/tasks", R"({"title":"x")", json);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(HeaderOf(response, "content-type"), "text/plain");
  EXPECT_THAT(response.body,
              ::testing::StartsWith(
                  "Unexpected end of string. Expected , or } after key:value pair."));  // P48
  response = Send(*handler, "POST", "/v1/tasks", "INVALID", json);
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(response.body, ::testing::StartsWith("Unexpected token."));  // P49
  response = Send(*handler, "GET", "/v1/tasks/abc");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(HeaderOf(response, "content-type"), "text/plain");
  EXPECT_EQ(response.body, R"(id: invalid value "abc" for type TYPE_INT64)");  // P50
  response = Send(*handler, "POST", "/v1/tasks", R"({"priority":"URGENT"})", json);
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(response.body,
              ::testing::HasSubstr(
                  R"(invalid value "URGENT" for type type.googleapis.com/vt.v1.Priority)"));  // P51
  EXPECT_TRUE(upstream_.seen().empty());
}

TEST_F(TranscodingTableTest, P45P46P47ServerStreams) {
  const std::vector<std::string> events = {
      Message("vt.v1.TaskEvent", R"(kind: "created" task { id: 1 title: "a" })"),
      Message("vt.v1.TaskEvent", R"(kind: "deleted" task { id: 2 })")};
  upstream_.SetReply({0, "", "", events});
  auto handler = Handler(Profile::kD);
  HttpResponse response = Send(*handler, "GET", "/v1/tasks:watch?since_id=5");
  EXPECT_TRUE(last_streamed_);
  EXPECT_EQ(streamed_head_.status, 200);
  EXPECT_EQ(HeaderOf(streamed_head_, "content-type"), "application/json");
  EXPECT_EQ(streamed_body_, R"([{"kind":"created","task":{"id":"1","title":"a"}},)"
                            R"({"kind":"deleted","task":{"id":"2"}}])");
  ExpectUpstreamGot("vt.v1.WatchTasksRequest", R"({"sinceId":"5"})");

  upstream_.SetReply({0, "", "", {}});
  response = Send(*handler, "GET", "/v1/tasks:watch");
  EXPECT_FALSE(last_streamed_);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "[]");  // P46

  auto ndjson_handler =
      Handler(Profile::kD, R"({"print_options": {"stream_newline_delimited": true}})");
  upstream_.SetReply({0, "", "", events});
  response = Send(*ndjson_handler, "GET", "/v1/tasks:watch");
  EXPECT_EQ(streamed_body_,
            "{\"kind\":\"created\",\"task\":{\"id\":\"1\",\"title\":\"a\"}}\n"
            "{\"kind\":\"deleted\",\"task\":{\"id\":\"2\"}}\n");  // P47
  // Ours: a client that accepts events gets them whatever the profile says.
  upstream_.SetReply({0, "", "", events});
  Send(*handler, "GET", "/v1/tasks:watch", "", {{"accept", "text/event-stream"}});
  EXPECT_EQ(HeaderOf(streamed_head_, "content-type"), "text/event-stream");
  EXPECT_EQ(streamed_body_,
            "data: {\"kind\":\"created\",\"task\":{\"id\":\"1\",\"title\":\"a\"}}\n\n"
            "data: {\"kind\":\"deleted\",\"task\":{\"id\":\"2\"}}\n\n");
}

TEST_F(TranscodingTableTest, P52ToP55GatewayMadeErrors) {
  auto handler = Handler(Profile::kS);
  HttpResponse response = Send(*handler, "GET", "/v1/nope");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(HeaderOf(response, "content-type"), "text/plain");
  EXPECT_EQ(response.body, "Could not resolve /v1/nope to a method.");
  response = Send(*handler, "PUT", "/v1/tasks/42", "{}");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, "Could not resolve /v1/tasks/42 to a method.");
  response = Send(*handler, "GET", "/v1/tasks/42?foo=bar");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body, "Could not find field \"foo\" in the type \"vt.v1.GetTaskRequest\".");
  response = Send(*handler, "POST", "/vt.v1.TaskService/Ping", R"({"msg":"hi"})");
  EXPECT_EQ(response.status, 404);
  EXPECT_TRUE(upstream_.seen().empty());  // none of these reached the upstream
}

TEST_F(TranscodingTableTest, P56UnconvertedErrorsTravelAsHeaders) {
  upstream_.SetReply({5, "task 42 not found", "", {}});
  auto handler = Handler(Profile::kD);
  const HttpResponse response = Send(*handler, "GET", "/v1/tasks/42");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(HeaderOf(response, "grpc-status"), "5");
  // gRPC's own percent-encoding: spaces are sent as they are.
  EXPECT_EQ(HeaderOf(response, "grpc-message"), "task 42 not found");
  EXPECT_EQ(response.body, "");
}

TEST_F(TranscodingTableTest, P57P58ConvertedErrorsAreStatusJson) {
  auto handler = Handler(Profile::kS);
  upstream_.SetReply({5, "task 42 not found", "", {}});
  HttpResponse response = Send(*handler, "GET", "/v1/tasks/42");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, R"({"code":5,"message":"task 42 not found"})");
  EXPECT_EQ(response.body.size(), 40u);
  EXPECT_EQ(HeaderOf(response, "grpc-status"), "<absent>");
  EXPECT_EQ(HeaderOf(response, "grpc-message"), "<absent>");

  std::string details;
  ASSERT_TRUE(absl::Base64Unescape(
      "CAMSF3RpdGxlIG11c3Qgbm90IGJlIGVtcHR5GkkKKXR5cGUuZ29vZ2xlYXBpcy5jb20vZ29vZ2xlLnJwYy5CYWRSZXF1"
      "ZXN0EhwKGgoFdGl0bGUSEW11c3Qgbm90IGJlIGVtcHR5",
      &details));
  upstream_.SetReply({3, "ignored", details, {}});
  response = Send(*handler, "POST", "/v1/tasks", R"({"title":""})");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body,
            R"({"code":3,"message":"title must not be empty","details":[{"@type":)"
            R"("type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"title",)"
            R"("description":"must not be empty"}]}]})");
  EXPECT_EQ(response.body.size(), 184u);
}

TEST_F(TranscodingTableTest, P60ToP75StatusTable) {
  const int http[] = {0,   499, 500, 400, 504, 404, 409, 403, 429,
                      400, 409, 400, 501, 500, 503, 500, 401};
  auto handler = Handler(Profile::kS);
  for (int code = 1; code <= 16; ++code) {
    upstream_.SetReply({code, "boom", "", {}});
    const HttpResponse response = Send(*handler, "GET", "/v1/tasks/42");
    EXPECT_EQ(response.status, http[code]) << code;
    EXPECT_EQ(response.body, absl::StrCat(R"({"code":)", code, R"(,"message":"boom"})")) << code;
  }
}

TEST_F(TranscodingTableTest, UpstreamRequestShape) {  // section H
  upstream_.SetReply({0, "", "", {Message("vt.v1.ListTasksResponse", "")}});
  auto handler = Handler(Profile::kD);
  Send(*handler, "GET", "/v1/tasks?page_size=10&page_token=abc", "",
       {{"authorization", "Bearer t0ken"}, {"x-custom", "kept"}, {"connection", "keep-alive"}});
  const auto seen = upstream_.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "/vt.v1.TaskService/ListTasks");
  const auto value = [&](const std::string& key) {
    auto it = seen[0].metadata.find(key);
    return it == seen[0].metadata.end() ? std::string("<absent>") : it->second;
  };
  EXPECT_EQ(value("x-envoy-original-path"), "/v1/tasks?page_size=10&page_token=abc");
  EXPECT_EQ(value("x-envoy-original-method"), "GET");
  EXPECT_EQ(value("authorization"), "Bearer t0ken");
  EXPECT_EQ(value("x-custom"), "kept");
  EXPECT_EQ(value("connection"), "<absent>");
  EXPECT_NE(value("x-request-id"), "<absent>");  // generated when absent
  ExpectUpstreamGot("vt.v1.ListTasksRequest", R"({"pageSize":10,"pageToken":"abc"})");
}

}  // namespace
}  // namespace todo::gateway::table
