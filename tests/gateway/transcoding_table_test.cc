// The transcoding table (transcoding-vectors.md), Envoy style: each row is
// one HTTP exchange through the gateway's handler to a real in-process gRPC
// upstream that records what it receives and answers as the row says. Every
// row, P01 to P75, is here; each transcoded row also checks section H (the
// upstream's method path, x-envoy-original-path and -method).

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/gateway/gateway_config.h"
#include "services/gateway/gateway_handler.h"
#include "tests/harness/recording_upstream.h"
#include "tests/harness/status_matchers.h"

namespace todo::gateway {
namespace {

namespace pb = google::protobuf;
using ::todo::testing::IsOk;
using ::todo::testing::RecordingUpstream;

// Keeps what the handler answers, whole or streamed.
struct CollectingWriter : ResponseWriter {
  void Respond(HttpResponse answer) override {
    response = std::move(answer);
    ended = true;
  }
  bool StartStream(const HttpResponse& head) override {
    response = head;
    streamed = true;
    return true;
  }
  bool WriteStream(absl::string_view piece) override {
    body.append(piece.data(), piece.size());
    return true;
  }
  void EndStream() override { ended = true; }
  void OnAbandoned(std::function<void()>) override {}

  HttpResponse response;
  std::string body;
  bool streamed = false;
  bool ended = false;
};

enum class Profile { kD, kS };

std::string ReadVectors() {
  std::ifstream file(TODO_VECTORS_DESCRIPTOR_SET, std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

class TranscodingTableTest : public ::testing::Test {
 protected:
  TranscodingTableTest() {
    transcoding::RouteOptions routes;
    routes.services = {"vt.v1.TaskService"};
    config_ = *transcoding::TranscoderConfig::Create(ReadVectors(), routes);
    upstreams_ = std::make_unique<Upstreams>(
        io_, std::map<std::string, std::string>{{"vt.v1.TaskService", upstream_.target()}});
  }

  // A profile's options as an operator writes them in GATEWAY_CONFIG:
  // only what differs from Envoy's defaults (transcoding.md 0.1), read by
  // the gateway's own config reader.
  static GatewayOptions ProfileOptions(Profile profile) {
    const char* document = profile == Profile::kD
                               ? R"({"services": ["vt.v1.TaskService"]})"
                               : R"({"services": ["vt.v1.TaskService"], "convert_grpc_status": true,
                 "request_validation_options": {"reject_unknown_method": true,
                                                "reject_unknown_query_parameters": true}})";
    GatewayConfig config;
    EXPECT_THAT(ApplyTranscoderJson(document, config), IsOk());
    return config.gateway;
  }

  std::unique_ptr<GatewayHandler> Handler(Profile profile, transcoding::PrintOptions print = {}) {
    GatewayOptions options = ProfileOptions(profile);
    options.print = print;
    return std::make_unique<GatewayHandler>(config_.get(), upstreams_.get(), options);
  }

  // A handler with `options` over routes built with `routes` (for the rows
  // whose option changes routing: url_unescape_spec, auto_mapping).
  std::unique_ptr<GatewayHandler> HandlerWithRoutes(transcoding::RouteOptions routes,
                                                    GatewayOptions options) {
    routes.services = {"vt.v1.TaskService"};
    auto config = transcoding::TranscoderConfig::Create(ReadVectors(), routes);
    EXPECT_THAT(config.status(), IsOk());
    extra_configs_.push_back(*std::move(config));
    return std::make_unique<GatewayHandler>(extra_configs_.back().get(), upstreams_.get(), options);
  }

  // Section H, on every transcoded row: the upstream saw one call of `rpc`
  // carrying the original path and method.
  void ExpectUpstreamShape(const std::string& rpc, const std::string& http_method,
                           const std::string& target) {
    const auto seen = upstream_.seen();
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back().method, "/vt.v1.TaskService/" + rpc);
    const auto value = [&](const std::string& key) {
      auto it = seen.back().metadata.find(key);
      return it == seen.back().metadata.end() ? std::string("<absent>") : it->second;
    };
    EXPECT_EQ(value("x-envoy-original-path"), target);
    EXPECT_EQ(value("x-envoy-original-method"), http_method);
  }

  // A text-format message of `type` as bytes.
  std::string Message(const std::string& type, const std::string& text) {
    const pb::Descriptor* descriptor = config_->pool().FindMessageTypeByName(type);
    EXPECT_NE(descriptor, nullptr) << type;
    std::unique_ptr<pb::Message> message(factory_.GetPrototype(descriptor)->New());
    EXPECT_TRUE(pb::TextFormat::ParseFromString(text, message.get())) << text;
    return message->SerializeAsString();
  }

  // The upstream's last request, as JSON of `type`.
  void ExpectUpstreamGot(const std::string& type, const std::string& json) {
    const auto seen = upstream_.seen();
    ASSERT_FALSE(seen.empty());
    const pb::Descriptor* descriptor = config_->pool().FindMessageTypeByName(type);
    std::unique_ptr<pb::Message> actual(factory_.GetPrototype(descriptor)->New());
    ASSERT_TRUE(actual->ParseFromString(seen.back().message));
    std::unique_ptr<pb::Message> expected(factory_.GetPrototype(descriptor)->New());
    ASSERT_TRUE(pb::util::JsonStringToMessage(json, expected.get()).ok()) << json;
    EXPECT_TRUE(pb::util::MessageDifferencer::Equals(*expected, *actual))
        << "upstream got " << actual->ShortDebugString();
  }

  HttpResponse Send(GatewayHandler& handler, const std::string& method, const std::string& target,
                    const std::string& body = "", Headers headers = {}) {
    HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.headers = std::move(headers);
    auto writer = std::make_shared<CollectingWriter>();
    handler.Handle(std::move(request), writer);
    // The answer comes on this thread's event loop, as on a gateway worker.
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!writer->ended && absl::Now() < deadline) {
      io_.run_one_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(writer->ended) << method << " " << target << " got no answer";
    last_streamed_ = writer->streamed;
    if (writer->streamed) {
      streamed_head_ = writer->response;
      streamed_body_ = writer->body;
    }
    return writer->response;
  }

  static std::string HeaderOf(const HttpResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name) return value;
    }
    return "<absent>";
  }

  RecordingUpstream upstream_;
  std::unique_ptr<transcoding::TranscoderConfig> config_;
  boost::asio::io_context io_;
  std::unique_ptr<Upstreams> upstreams_;
  std::vector<std::unique_ptr<transcoding::TranscoderConfig>> extra_configs_;
  pb::DynamicMessageFactory factory_;
  HttpResponse streamed_head_;
  std::string streamed_body_;
  bool last_streamed_ = false;
};

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

// One transcoded exchange of sections A, B and C: the request, the message
// the upstream must parse out of it, the upstream's reply and the response.
struct Row {
  const char* id;
  const char* method;
  const char* target;
  const char* body;
  const char* rpc;
  const char* upstream_json;  // the upstream's message as proto3 JSON
  const char* reply_type;     // "" for an empty reply of the RPC's type
  const char* reply_text;
  const char* response_body;  // compared exactly; nullptr: not checked
};

class TranscodingRowsTest : public TranscodingTableTest {
 protected:
  void Run(GatewayHandler& handler, const Row& row) {
    SCOPED_TRACE(row.id);
    upstream_.SetReply(
        {0, "", "", {*row.reply_type ? Message(row.reply_type, row.reply_text) : ""}});
    const size_t calls_before = upstream_.seen().size();
    const HttpResponse response =
        Send(handler, row.method, row.target, row.body,
             *row.body ? Headers{{"content-type", "application/json"}} : Headers{});
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(HeaderOf(response, "content-type"), "application/json");
    if (row.response_body != nullptr) {
      EXPECT_EQ(response.body, row.response_body);
    }
    ASSERT_EQ(upstream_.seen().size(), calls_before + 1);
    ExpectUpstreamShape(row.rpc, row.method, row.target);
    const pb::MethodDescriptor* method =
        config_->pool().FindMethodByName(absl::StrCat("vt.v1.TaskService.", row.rpc));
    ASSERT_NE(method, nullptr);
    ExpectUpstreamGot(method->input_type()->full_name(), row.upstream_json);
  }
};

TEST_F(TranscodingRowsTest, SectionARoutingAndPathTemplates) {
  const char* kBuyMilk = R"(id: 42 title: "Buy milk" priority: PRIORITY_HIGH)";
  const Row rows[] = {
      {"P02", "GET", "/v1/tasks/42/", "", "GetTask", R"({"id":"42"})", "vt.v1.Task", kBuyMilk,
       R"({"id":"42","title":"Buy milk","priority":"PRIORITY_HIGH"})"},
      {"P03", "GET", "/v1/users/alice%40example.com", "", "GetUser",
       R"({"userId":"alice@example.com"})", "vt.v1.User",
       R"(user_id: "alice@example.com" display_name: "Alice")",
       R"({"userId":"alice@example.com","displayName":"Alice"})"},
      {"P04", "GET", "/v1/users/a%2Fb%20c", "", "GetUser", R"({"userId":"a/b c"})", "", "", "{}"},
      {"P05", "GET", "/v1/users/u1/tasks/t1", "", "GetResource", R"({"name":"users/u1/tasks/t1"})",
       "vt.v1.Resource", R"(name: "users/u1/tasks/t1")", R"({"name":"users/u1/tasks/t1"})"},
      {"P06", "GET", "/v1/users/u%2F1/tasks/t%201", "", "GetResource",
       R"({"name":"users/u%2F1/tasks/t 1"})", "", "", "{}"},
      {"P08", "GET", "/v1/tasks/by-name/a/b/c", "", "GetResource", R"({"name":"a/b/c"})", "", "",
       "{}"},
      {"P09", "POST", "/v1/tasks/42:complete", R"({"note":"done"})", "CompleteTask",
       R"({"id":"42","note":"done"})", "vt.v1.Task", "id: 42 done: true",
       R"({"id":"42","done":true})"},
      {"P11", "GET", "/v1/users/bob:smith", "", "GetUser", R"({"userId":"bob:smith"})", "", "",
       "{}"},
  };
  auto handler = Handler(Profile::kD);
  for (const Row& row : rows) Run(*handler, row);

  transcoding::RouteOptions unescape_all;
  unescape_all.path_matching.unescape_spec = transcoding::UnescapeSpec::kAllCharacters;
  auto all_characters = HandlerWithRoutes(unescape_all, ProfileOptions(Profile::kD));
  Run(*all_characters, {"P07", "GET", "/v1/users/u%2F1/tasks/t%201", "", "GetResource",
                        R"({"name":"users/u/1/tasks/t 1"})", "", "", "{}"});
}

TEST_F(TranscodingRowsTest, SectionBRequestBodyMapping) {
  const Row rows[] = {
      {"P12", "POST", "/v1/tasks", R"({"title":"Buy milk","tags":["home"]})", "CreateTask",
       R"({"task":{"title":"Buy milk","tags":["home"]}})", "vt.v1.Task",
       R"(id: 1 title: "Buy milk" tags: "home")",
       R"({"id":"1","title":"Buy milk","tags":["home"]})"},
      {"P13", "POST", "/v1/tasks?request_id=r-1", R"({"title":"x"})", "CreateTask",
       R"({"task":{"title":"x"},"requestId":"r-1"})", "", "", "{}"},
      {"P14", "PATCH", "/v1/tasks/42", R"({"title":"New"})", "UpdateTask",
       R"({"task":{"id":"42","title":"New"}})", "vt.v1.Task", R"(id: 42 title: "New")",
       R"({"id":"42","title":"New"})"},
      {"P15", "PATCH", "/v1/tasks/42?update_mask=title,dueTime", R"({"title":"New"})", "UpdateTask",
       R"({"task":{"id":"42","title":"New"},"updateMask":"title,dueTime"})", "", "", "{}"},
      {"P16", "PUT", "/v1/tasks/42/title", R"("Renamed")", "SetTitle",
       R"({"id":"42","title":"Renamed"})", "vt.v1.Task", R"(id: 42 title: "Renamed")",
       R"({"id":"42","title":"Renamed"})"},
      {"P18", "POST", "/v1/tasks",
       R"({"title":"x","priority":2,"dueTime":"2024-05-01T10:00:00+02:00","remindCount":"3",)"
       R"("id":"9007199254740993","color":"red"})",
       "CreateTask",
       R"({"task":{"id":"9007199254740993","title":"x","priority":"PRIORITY_MEDIUM",)"
       R"("dueTime":"2024-05-01T08:00:00Z","remindCount":3}})",
       "", "", "{}"},
      {"P19", "POST", "/v1/tasks", R"({"title":"x","tags":["a",],})", "CreateTask",
       R"({"task":{"title":"x","tags":["a"]}})", "", "", "{}"},
      {"P20", "POST", "/v1/tasks", R"({"owner_id":"u1","remind_count":0})", "CreateTask",
       R"({"task":{"owner":"u1","remindCount":0}})", "", "", "{}"},
  };
  auto handler = Handler(Profile::kD);
  for (const Row& row : rows) Run(*handler, row);
}

TEST_F(TranscodingRowsTest, SectionCQueryParameters) {
  struct QueryRow {
    const char* id;
    const char* target;
    const char* upstream_json;
  };
  const QueryRow rows[] = {
      {"P21", "/v1/tasks?page_size=10&page_token=abc", R"({"pageSize":10,"pageToken":"abc"})"},
      {"P22", "/v1/tasks?pageSize=10", R"({"pageSize":10})"},
      {"P23", "/v1/tasks?tags=home&tags=work", R"({"tags":["home","work"]})"},
      {"P24", "/v1/tasks?filter.text=milk&filter.range.min=2",
       R"({"filter":{"text":"milk","range":{"min":2}}})"},
      {"P25", "/v1/tasks?priority=PRIORITY_HIGH", R"({"priority":"PRIORITY_HIGH"})"},
      {"P26", "/v1/tasks?priority=3&priorities=PRIORITY_LOW&priorities=2",
       R"({"priority":"PRIORITY_HIGH","priorities":["PRIORITY_LOW","PRIORITY_MEDIUM"]})"},
      {"P27", "/v1/tasks?due_before=2024-06-01T00:00:00Z",
       R"({"dueBefore":"2024-06-01T00:00:00Z"})"},
      {"P28", "/v1/tasks?done=false", R"({"done":false})"},
      {"P29", "/v1/tasks?min_version=5&max_estimate=90s&min_score=0.5",
       R"({"maxEstimate":"90s","minVersion":"5","minScore":0.5})"},
      {"P30", "/v1/tasks?owner=u1", R"({"owner":"u1"})"},
      {"P31", "/v1/tasks?owner_id=u1", R"({"owner":"u1"})"},
      {"P32", "/v1/tasks?ids=1&ids=2", R"({"ids":["1","2"]})"},
      {"P33", "/v1/tasks?filter.text=a%26b%3Dc%2Fd", R"({"filter":{"text":"a&b=c/d"}})"},
      {"P34", "/v1/tasks?filter.text=milk+bread", R"({"filter":{"text":"milk+bread"}})"},
      {"P36", "/v1/tasks?cursor=YWJjZA", R"({"cursor":"YWJjZA=="})"},
  };
  const auto list_row = [](const char* id, const char* target, const char* json) {
    return Row{id, "GET", target, "", "ListTasks", json, "", "", "{}"};
  };
  auto handler = Handler(Profile::kD);
  for (const QueryRow& row : rows) Run(*handler, list_row(row.id, row.target, row.upstream_json));

  GatewayOptions plus = ProfileOptions(Profile::kD);
  plus.request.query_param_unescape_plus = true;
  Run(*std::make_unique<GatewayHandler>(config_.get(), upstreams_.get(), plus),
      list_row("P35", "/v1/tasks?filter.text=milk+bread", R"({"filter":{"text":"milk bread"}})"));

  GatewayOptions ignore_unknown = ProfileOptions(Profile::kD);
  ignore_unknown.request.ignore_unknown_query_parameters = true;
  Run(*std::make_unique<GatewayHandler>(config_.get(), upstreams_.get(), ignore_unknown),
      {"P37", "GET", "/v1/tasks/42?foo=bar", "", "GetTask", R"({"id":"42"})", "", "", "{}"});

  GatewayOptions ignored = ProfileOptions(Profile::kD);
  ignored.request.ignored_query_parameters = {"api_key"};
  Run(*std::make_unique<GatewayHandler>(config_.get(), upstreams_.get(), ignored),
      list_row("P38", "/v1/tasks?api_key=k&page_size=1", R"({"pageSize":1})"));
}

TEST_F(TranscodingRowsTest, SectionDResponseFormatting) {
  const std::string plan = Message(
      "vt.v1.Task",
      R"(id: 7 title: "Plan" tags: "a" tags: "b" due_time { seconds: 1714557600 nanos: 120000000 } )"
      R"(estimate { seconds: 1 nanos: 500000000 } owner_id: "u1" remind_count { value: 0 } )"
      R"(attachment: "hi!" score: 0.25 version: 18446744073709551615 labels { key: "k" value: "v" } )"
      R"(category { })");
  const auto get = [&](GatewayHandler& handler, const std::string& reply) {
    upstream_.SetReply({0, "", "", {reply}});
    const HttpResponse response = Send(handler, "GET", "/v1/tasks/7");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(HeaderOf(response, "content-type"), "application/json");
    ExpectUpstreamShape("GetTask", "GET", "/v1/tasks/7");
    ExpectUpstreamGot("vt.v1.GetTaskRequest", R"({"id":"7"})");
    return response.body;
  };
  EXPECT_EQ(get(*Handler(Profile::kD), plan),
            R"({"id":"7","title":"Plan","tags":["a","b"],"dueTime":"2024-05-01T10:00:00.120Z",)"
            R"("estimate":"1.500s","owner":"u1","remindCount":0,"attachment":"aGkh","score":0.25,)"
            R"("version":"18446744073709551615","labels":{"k":"v"},"category":{}})");  // P39

  transcoding::PrintOptions proto_names;
  proto_names.preserve_proto_field_names = true;
  EXPECT_EQ(
      get(*Handler(Profile::kD, proto_names), plan),
      R"({"id":"7","title":"Plan","tags":["a","b"],"due_time":"2024-05-01T10:00:00.120Z",)"
      R"("estimate":"1.500s","owner_id":"u1","remind_count":0,"attachment":"aGkh",)"
      R"("score":0.25,"version":"18446744073709551615","labels":{"k":"v"},"category":{}})");  // P40

  transcoding::PrintOptions enums_as_ints;
  enums_as_ints.always_print_enums_as_ints = true;
  auto ints = Handler(Profile::kD, enums_as_ints);
  EXPECT_EQ(get(*ints, plan), get(*Handler(Profile::kD), plan));  // P41
  const std::string low = Message("vt.v1.Task", "id: 7 priority: PRIORITY_LOW");
  EXPECT_EQ(get(*ints, low), R"({"id":"7","priority":1})");  // P42

  transcoding::PrintOptions primitives;
  primitives.always_print_primitive_fields = true;
  const std::string printed = get(*Handler(Profile::kD, primitives), low);  // P43, as JSON values
  auto parsed = [](const std::string& json) {
    pb::Struct value;
    EXPECT_TRUE(pb::util::JsonStringToMessage(json, &value).ok()) << json;
    return value;
  };
  EXPECT_TRUE(pb::util::MessageDifferencer::Equals(
      parsed(printed),
      parsed(R"({"id":"7","title":"","description":"","priority":"PRIORITY_LOW","tags":[],)"
             R"("done":false,"owner":"","attachment":"","score":0,"version":"0","labels":{}})")))
      << printed;

  transcoding::PrintOptions whitespace;
  whitespace.add_whitespace = true;
  const std::string spaced =
      get(*Handler(Profile::kD, whitespace), Message("vt.v1.Task", R"(id: 7 title: "a")"));
  EXPECT_EQ(spaced, "{\n \"id\": \"7\",\n \"title\": \"a\"\n}\n");  // P44
  EXPECT_EQ(spaced.size(), 30u);
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

TEST_F(TranscodingRowsTest, P59AutoMappingCallsAMethodWithoutAnHttpRule) {
  transcoding::RouteOptions auto_mapping;
  auto_mapping.auto_mapping = true;
  auto handler = HandlerWithRoutes(auto_mapping, ProfileOptions(Profile::kD));
  Run(*handler, {"P59", "POST", "/vt.v1.TaskService/Ping", R"({"msg":"hi"})", "Ping",
                 R"({"msg":"hi"})", "vt.v1.PingResponse", R"(msg: "hi")", R"({"msg":"hi"})"});
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

  transcoding::PrintOptions ndjson;
  ndjson.stream_newline_delimited = true;
  auto ndjson_handler = Handler(Profile::kD, ndjson);
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
}  // namespace todo::gateway
