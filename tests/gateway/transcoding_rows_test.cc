// The transcoding table (transcoding-vectors.md), sections A to D as rows:
// routing and path templates, body mapping, query parameters, response
// formatting; every transcoded row also checks section H (the upstream's
// method path, x-envoy-original-path and -method).

#include "tests/gateway/transcoding_table.h"

namespace todo::gateway::table {
namespace {

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

  auto all_characters = Handler(Profile::kD, R"({"url_unescape_spec": "ALL_CHARACTERS"})");
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

  Run(*Handler(Profile::kD, R"({"query_param_unescape_plus": true})"),
      list_row("P35", "/v1/tasks?filter.text=milk+bread", R"({"filter":{"text":"milk bread"}})"));

  Run(*Handler(Profile::kD, R"({"ignore_unknown_query_parameters": true})"),
      {"P37", "GET", "/v1/tasks/42?foo=bar", "", "GetTask", R"({"id":"42"})", "", "", "{}"});

  Run(*Handler(Profile::kD, R"({"ignored_query_parameters": ["api_key"]})"),
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

  EXPECT_EQ(
      get(*Handler(Profile::kD, R"({"print_options": {"preserve_proto_field_names": true}})"),
          plan),
      R"({"id":"7","title":"Plan","tags":["a","b"],"due_time":"2024-05-01T10:00:00.120Z",)"
      R"("estimate":"1.500s","owner_id":"u1","remind_count":0,"attachment":"aGkh",)"
      R"("score":0.25,"version":"18446744073709551615","labels":{"k":"v"},"category":{}})");  // P40

  auto ints = Handler(Profile::kD, R"({"print_options": {"always_print_enums_as_ints": true}})");
  EXPECT_EQ(get(*ints, plan), get(*Handler(Profile::kD), plan));  // P41
  const std::string low = Message("vt.v1.Task", "id: 7 priority: PRIORITY_LOW");
  EXPECT_EQ(get(*ints, low), R"({"id":"7","priority":1})");  // P42

  const std::string printed =
      get(*Handler(Profile::kD, R"({"print_options": {"always_print_primitive_fields": true}})"),
          low);  // P43, as JSON values
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

  const std::string spaced =
      get(*Handler(Profile::kD, R"({"print_options": {"add_whitespace": true}})"),
          Message("vt.v1.Task", R"(id: 7 title: "a")"));
  EXPECT_EQ(spaced, "{\n \"id\": \"7\",\n \"title\": \"a\"\n}\n");  // P44
  EXPECT_EQ(spaced.size(), 30u);
}

TEST_F(TranscodingRowsTest, P59AutoMappingCallsAMethodWithoutAnHttpRule) {
  auto handler = Handler(Profile::kD, R"({"auto_mapping": true})");
  Run(*handler, {"P59", "POST", "/vt.v1.TaskService/Ping", R"({"msg":"hi"})", "Ping",
                 R"({"msg":"hi"})", "vt.v1.PingResponse", R"(msg: "hi")", R"({"msg":"hi"})"});
}

}  // namespace
}  // namespace todo::gateway::table
