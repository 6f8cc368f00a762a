// Request translation against the rows of transcoding-vectors.md (sections
// B and C, and the gateway-made errors of F): HTTP request in, the message
// the upstream would parse out, compared as parsed messages.

#include "services/gateway/transcoding/request_translator.h"

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/harness/status_matchers.h"
#include "todo/tasks/v1/tasks.pb.h"

namespace todo::gateway::transcoding {
namespace {

namespace pb = google::protobuf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

struct Row {
  const char* id;
  const char* method;
  const char* path;
  const char* query;
  const char* body;
  const char* expected_json;  // canonical proto3 JSON of the upstream message
};

class RequestTranslatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream file(TODO_VECTORS_DESCRIPTOR_SET, std::ios::binary);
    std::stringstream bytes;
    bytes << file.rdbuf();
    RouteOptions options;
    options.services = {"vt.v1.TaskService"};
    config_ = TranscoderConfig::Create(bytes.str(), options)->release();
  }

  absl::StatusOr<std::string> Translate(const char* method, const char* path, const char* query,
                                        const char* body,
                                        const RequestTranslatorOptions& options = {}) {
    auto match = config_->Match(method, path);
    if (!match.ok()) return match.status();
    last_type_ = match->route->method->input_type();
    return TranslateRequest(*match, query, body, options);
  }

  void Expect(const Row& row, const RequestTranslatorOptions& options = {}) {
    SCOPED_TRACE(row.id);
    auto bytes = Translate(row.method, row.path, row.query, row.body, options);
    ASSERT_THAT(bytes, IsOk());
    pb::DynamicMessageFactory factory;
    std::unique_ptr<pb::Message> actual(factory.GetPrototype(last_type_)->New());
    ASSERT_TRUE(actual->ParseFromString(*bytes));
    std::unique_ptr<pb::Message> expected(factory.GetPrototype(last_type_)->New());
    ASSERT_TRUE(pb::util::JsonStringToMessage(row.expected_json, expected.get()).ok());
    std::string actual_json;
    (void)pb::util::MessageToJsonString(*actual, &actual_json);
    EXPECT_TRUE(pb::util::MessageDifferencer::Equals(*expected, *actual))
        << "expected " << row.expected_json << "\n  actual " << actual_json;
  }

  static TranscoderConfig* config_;
  const pb::Descriptor* last_type_ = nullptr;
};

TranscoderConfig* RequestTranslatorTest::config_ = nullptr;

TEST_F(RequestTranslatorTest, MapsPathVariablesAndBodies) {
  const Row rows[] = {
      {"P01", "GET", "/v1/tasks/42", "", "", R"({"id":"42"})"},
      {"P03", "GET", "/v1/users/alice%40example.com", "", "", R"({"userId":"alice@example.com"})"},
      {"P09", "POST", "/v1/tasks/42:complete", "", R"({"note":"done"})",
       R"({"id":"42","note":"done"})"},
      {"P10", "POST", "/v1/tasks:search", "", R"({"query":"milk","limit":5})",
       R"({"query":"milk","limit":5})"},
      {"P12", "POST", "/v1/tasks", "", R"({"title":"Buy milk","tags":["home"]})",
       R"({"task":{"title":"Buy milk","tags":["home"]}})"},
      {"P13", "POST", "/v1/tasks", "request_id=r-1", R"({"title":"x"})",
       R"({"task":{"title":"x"},"requestId":"r-1"})"},
      {"P14", "PATCH", "/v1/tasks/42", "", R"({"title":"New"})",
       R"({"task":{"id":"42","title":"New"}})"},
      {"P15", "PATCH", "/v1/tasks/42", "update_mask=title,dueTime", R"({"title":"New"})",
       R"({"task":{"id":"42","title":"New"},"updateMask":"title,dueTime"})"},
      {"P16", "PUT", "/v1/tasks/42/title", "", R"("Renamed")", R"({"id":"42","title":"Renamed"})"},
      {"P17", "DELETE", "/v1/tasks/42", "", "", R"({"id":"42"})"},
      {"P18", "POST", "/v1/tasks", "",
       R"({"title":"x","priority":2,"dueTime":"2024-05-01T10:00:00+02:00","remindCount":"3",)"
       R"("id":"9007199254740993","color":"red"})",
       R"({"task":{"id":"9007199254740993","title":"x","priority":"PRIORITY_MEDIUM",)"
       R"("dueTime":"2024-05-01T08:00:00Z","remindCount":3}})"},
      {"P19", "POST", "/v1/tasks", "", R"({"title":"x","tags":["a",],})",
       R"({"task":{"title":"x","tags":["a"]}})"},
      {"P20", "POST", "/v1/tasks", "", R"({"owner_id":"u1","remind_count":0})",
       R"({"task":{"owner":"u1","remindCount":0}})"},
      {"5.3", "POST", "/v1/tasks:search", "", "", "{}"},
  };
  for (const Row& row : rows) Expect(row);
}

TEST_F(RequestTranslatorTest, MapsQueryParameters) {
  const Row rows[] = {
      {"P21", "GET", "/v1/tasks", "page_size=10&page_token=abc", "",
       R"({"pageSize":10,"pageToken":"abc"})"},
      {"P22", "GET", "/v1/tasks", "pageSize=10", "", R"({"pageSize":10})"},
      {"P23", "GET", "/v1/tasks", "tags=home&tags=work", "", R"({"tags":["home","work"]})"},
      {"P24", "GET", "/v1/tasks", "filter.text=milk&filter.range.min=2", "",
       R"({"filter":{"text":"milk","range":{"min":2}}})"},
      {"P25", "GET", "/v1/tasks", "priority=PRIORITY_HIGH", "", R"({"priority":"PRIORITY_HIGH"})"},
      {"P26", "GET", "/v1/tasks", "priority=3&priorities=PRIORITY_LOW&priorities=2", "",
       R"({"priority":"PRIORITY_HIGH","priorities":["PRIORITY_LOW","PRIORITY_MEDIUM"]})"},
      {"P27", "GET", "/v1/tasks", "due_before=2024-06-01T00:00:00Z", "",
       R"({"dueBefore":"2024-06-01T00:00:00Z"})"},
      {"P28", "GET", "/v1/tasks", "done=false", "", R"({"done":false})"},
      {"P29", "GET", "/v1/tasks", "min_version=5&max_estimate=90s&min_score=0.5", "",
       R"({"maxEstimate":"90s","minVersion":"5","minScore":0.5})"},
      {"P30", "GET", "/v1/tasks", "owner=u1", "", R"({"owner":"u1"})"},
      {"P31", "GET", "/v1/tasks", "owner_id=u1", "", R"({"owner":"u1"})"},
      {"P32", "GET", "/v1/tasks", "ids=1&ids=2", "", R"({"ids":["1","2"]})"},
      {"P33", "GET", "/v1/tasks", "filter.text=a%26b%3Dc%2Fd", "",
       R"({"filter":{"text":"a&b=c/d"}})"},
      {"P34", "GET", "/v1/tasks", "filter.text=milk+bread", "",
       R"({"filter":{"text":"milk+bread"}})"},
      {"P36", "GET", "/v1/tasks", "cursor=YWJjZA", "", R"({"cursor":"YWJjZA=="})"},
      {"4.1", "GET", "/v1/tasks", "novalue&=x&page_size=3", "", R"({"pageSize":3})"},
      {"4.8", "GET", "/v1/tasks", "page_size=3&page_size=4", "", R"({"pageSize":4})"},
  };
  for (const Row& row : rows) Expect(row);

  RequestTranslatorOptions plus;
  plus.query_param_unescape_plus = true;
  Expect({"P35", "GET", "/v1/tasks", "filter.text=milk+bread", "",
          R"({"filter":{"text":"milk bread"}})"},
         plus);
  RequestTranslatorOptions ignore_unknown;
  ignore_unknown.ignore_unknown_query_parameters = true;
  Expect({"P37", "GET", "/v1/tasks/42", "foo=bar", "", R"({"id":"42"})"}, ignore_unknown);
  RequestTranslatorOptions ignored;
  ignored.ignored_query_parameters = {"api_key"};
  Expect({"P38", "GET", "/v1/tasks", "api_key=k&page_size=1", "", R"({"pageSize":1})"}, ignored);
}

TEST_F(RequestTranslatorTest, TheBodyWinsOverABindingOfTheSameField) {
  Expect({"5.6", "POST", "/v1/tasks:search", "query=from-query&limit=9", R"({"query":"from-body"})",
          R"({"query":"from-body","limit":9})"});
  // Repeated: binding values follow the body's (4.7).
  Expect({"4.7", "POST", "/v1/tasks:search", "priorities=PRIORITY_LOW",
          R"({"priorities":["PRIORITY_HIGH"]})",
          R"({"priorities":["PRIORITY_HIGH","PRIORITY_LOW"]})"});
  RequestTranslatorOptions reject;
  reject.reject_binding_body_field_collisions = true;
  EXPECT_THAT(Translate("POST", "/v1/tasks:search", "query=a", R"({"query":"b"})", reject),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("conflicting")));
  // A body that repeats the binding's value (parsed as the field's type) is
  // no collision; a different value is.
  for (const char* same : {R"({"id":42})", R"({"id":"42"})", R"({"id":42.0})"}) {
    EXPECT_THAT(Translate("POST", "/v1/tasks/42:complete", "", same, reject), IsOk()) << same;
  }
  for (const char* different : {R"({"id":43})", R"({"id":"0042x"})"}) {
    EXPECT_THAT(Translate("POST", "/v1/tasks/42:complete", "", different, reject), Not(IsOk()))
        << different;
  }
  EXPECT_THAT(Translate("POST", "/v1/tasks/42:complete", "", R"({"id":43})", reject),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("The binding value 42 of the field id is conflicting")));
  EXPECT_THAT(Translate("POST", "/v1/tasks:search", "query=a&limit=5", R"({"query":"a","limit":5})",
                        reject),
              IsOk());
  EXPECT_THAT(Translate("POST", "/v1/tasks:search", "limit=5", R"({"limit":6})", reject),
              Not(IsOk()));
}

TEST_F(RequestTranslatorTest, RefusesBadRequestsWithEnvoysMessages) {
  EXPECT_THAT(
      Translate("POST", "/v1/tasks", "", R"({"title":"x")"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               StartsWith("Unexpected end of string. Expected , or } after key:value pair.")));
  EXPECT_THAT(Translate("POST", "/v1/tasks", "", "INVALID"),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("Unexpected token.")));
  EXPECT_THAT(Translate("GET", "/v1/tasks/abc", "", ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "id: invalid value \"abc\" for type TYPE_INT64"));  // P50
  EXPECT_THAT(Translate("POST", "/v1/tasks", "", R"({"priority":"URGENT"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid value \"URGENT\" for type "
                                 "type.googleapis.com/vt.v1.Priority")));  // P51
  EXPECT_THAT(
      Translate("GET", "/v1/tasks/42", "foo=bar", ""),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "Could not find field \"foo\" in the type \"vt.v1.GetTaskRequest\"."));  // P54
  EXPECT_THAT(Translate("POST", "/v1/tasks", "", "  "),
              StatusIs(absl::StatusCode::kInvalidArgument));  // 5.3: whitespace is not {}
  EXPECT_THAT(Translate("GET", "/v1/tasks", "page_size=2147483648", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_size:")));  // 4.10
}

// The API's requests are built in the messages compiled into the binary
// (faster to fill and serialize than dynamic ones), and what path, query and
// body set (a body field repeating its binding included) parses back out of
// the bytes field for field.
TEST(CompiledRequestTest, TheApisRequestsAreBuiltInTheirCompiledMessages) {
  std::ifstream file(TODO_API_DESCRIPTOR_SET, std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  RouteOptions options;
  options.services = {"todo.tasks.v1.TasksService"};
  auto config = TranscoderConfig::Create(bytes.str(), options);
  ASSERT_THAT(config, IsOk());
  const auto translate = [&](const char* method, const char* path, const char* query,
                             const char* body, pb::Message& into) {
    auto match = (*config)->Match(method, path);
    ASSERT_THAT(match, IsOk());
    EXPECT_EQ(match->route->request_prototype->GetDescriptor()->file()->pool(),
              pb::DescriptorPool::generated_pool())
        << path;
    RequestTranslatorOptions translate_options;
    translate_options.reject_binding_body_field_collisions = true;
    auto translated = TranslateRequest(*match, query, body, translate_options);
    ASSERT_THAT(translated, IsOk());
    ASSERT_TRUE(into.ParseFromString(*translated));
  };
  tasks::v1::GetTaskRequest get;
  translate("GET", "/v1/tasks/42", "", "", get);
  EXPECT_EQ(get.id(), 42);
  tasks::v1::ListTasksRequest list;
  translate("GET", "/v1/tasks", "q=milk&tag=a&tag=b&page_size=5&due_after=2027-01-01T00:00:00Z", "",
            list);
  EXPECT_EQ(list.q(), "milk");
  EXPECT_THAT(list.tag(), ::testing::ElementsAre("a", "b"));
  EXPECT_EQ(list.page_size(), 5);
  EXPECT_EQ(list.due_after().seconds(), 1798761600);
  tasks::v1::UpdateTaskRequest update;
  translate("PATCH", "/v1/tasks/7", "", R"({"id":"7","title":"Buy oat milk","description":"2 l"})",
            update);
  EXPECT_EQ(update.task().id(), 7);
  EXPECT_EQ(update.task().title(), "Buy oat milk");
  EXPECT_EQ(update.task().description(), "2 l");
  tasks::v1::CompleteTaskRequest complete;
  translate("POST", "/v1/tasks/9:complete", "", R"({"id":9})", complete);
  EXPECT_EQ(complete.id(), 9);
}

}  // namespace
}  // namespace todo::gateway::transcoding
