// Response printing and status mapping against transcoding-vectors.md
// (sections D and G).

#include "services/gateway/transcoding/response_translator.h"

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "tests/harness/status_matchers.h"

namespace todo::gateway::transcoding {
namespace {

namespace pb = google::protobuf;
using ::todo::testing::IsOk;

class ResponseTranslatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream file(TODO_VECTORS_DESCRIPTOR_SET, std::ios::binary);
    std::stringstream bytes;
    bytes << file.rdbuf();
    pb::FileDescriptorSet set;
    ASSERT_TRUE(set.ParseFromString(bytes.str()));
    pool_ = new pb::DescriptorPool();
    for (const auto& proto : set.file()) ASSERT_NE(pool_->BuildFile(proto), nullptr);
  }

  // The text-format message as bytes of vt.v1.Task.
  static std::string TaskBytes(const std::string& text) {
    pb::DynamicMessageFactory factory;
    const pb::Descriptor* type = pool_->FindMessageTypeByName("vt.v1.Task");
    std::unique_ptr<pb::Message> message(factory.GetPrototype(type)->New());
    EXPECT_TRUE(pb::TextFormat::ParseFromString(text, message.get())) << text;
    return message->SerializeAsString();
  }

  static std::string Print(const std::string& text, PrintOptions options = {}) {
    ResponseTranslator translator(pool_, options);
    auto json =
        translator.MessageJson(*pool_->FindMessageTypeByName("vt.v1.Task"), TaskBytes(text));
    EXPECT_THAT(json, IsOk());
    return json.ok() ? *json : "";
  }

  static pb::DescriptorPool* pool_;
};

pb::DescriptorPool* ResponseTranslatorTest::pool_ = nullptr;

constexpr char kFullTask[] =
    R"(id: 7 title: "Plan" tags: "a" tags: "b" due_time { seconds: 1714557600 nanos: 120000000 } )"
    R"(estimate { seconds: 1 nanos: 500000000 } owner_id: "u1" remind_count { value: 0 } )"
    R"(attachment: "hi!" score: 0.25 version: 18446744073709551615 labels { key: "k" value: "v" } )"
    R"(category { })";

TEST_F(ResponseTranslatorTest, PrintsLikeEnvoysDefaults) {  // P39
  EXPECT_EQ(Print(kFullTask),
            R"({"id":"7","title":"Plan","tags":["a","b"],"dueTime":"2024-05-01T10:00:00.120Z",)"
            R"("estimate":"1.500s","owner":"u1","remindCount":0,"attachment":"aGkh","score":0.25,)"
            R"("version":"18446744073709551615","labels":{"k":"v"},"category":{}})");
}

TEST_F(ResponseTranslatorTest, AppliesEachPrintOption) {
  PrintOptions proto_names;
  proto_names.preserve_proto_field_names = true;  // P40
  EXPECT_EQ(Print(kFullTask, proto_names),
            R"({"id":"7","title":"Plan","tags":["a","b"],"due_time":"2024-05-01T10:00:00.120Z",)"
            R"("estimate":"1.500s","owner_id":"u1","remind_count":0,"attachment":"aGkh",)"
            R"("score":0.25,"version":"18446744073709551615","labels":{"k":"v"},"category":{}})");
  PrintOptions enums_as_ints;
  enums_as_ints.always_print_enums_as_ints = true;  // P42
  EXPECT_EQ(Print("id: 7 priority: PRIORITY_LOW", enums_as_ints), R"({"id":"7","priority":1})");
  PrintOptions whitespace;
  whitespace.add_whitespace = true;  // P44
  EXPECT_EQ(Print("id: 7 title: \"a\"", whitespace), "{\n \"id\": \"7\",\n \"title\": \"a\"\n}\n");
  PrintOptions primitives;
  primitives.always_print_primitive_fields = true;  // P43, compared as text with order
  const std::string printed = Print("id: 7 priority: PRIORITY_LOW", primitives);
  for (const char* part : {R"("title":"")", R"("priority":"PRIORITY_LOW")", R"("tags":[])",
                           R"("done":false)", R"("version":"0")", R"("labels":{})"}) {
    EXPECT_THAT(printed, ::testing::HasSubstr(part));
  }
  EXPECT_THAT(printed, ::testing::Not(::testing::HasSubstr("dueTime")));
}

TEST_F(ResponseTranslatorTest, MapsEveryGrpcCodeToItsHttpStatus) {  // P60-P75
  const int expected[] = {200, 499, 500, 400, 504, 404, 409, 403, 429,
                          400, 409, 400, 501, 500, 503, 500, 401};
  for (int code = 0; code <= 16; ++code) {
    EXPECT_EQ(HttpStatusForGrpcCode(code), expected[code]) << code;
  }
  EXPECT_EQ(HttpStatusForGrpcCode(1024), 500);
}

TEST_F(ResponseTranslatorTest, RendersStatusesAsGoogleRpcStatusJson) {
  ResponseTranslator translator(pool_, PrintOptions());
  EXPECT_EQ(translator.StatusJson(5, "task 42 not found", ""),
            R"({"code":5,"message":"task 42 not found"})");  // P57
  const char* details =
      "CAMSF3RpdGxlIG11c3Qgbm90IGJlIGVtcHR5GkkKKXR5cGUuZ29vZ2xlYXBpcy5jb20vZ29vZ2xlLnJwYy5CYWRSZ"
      "XF1ZXN0EhwKGgoFdGl0bGUSEW11c3Qgbm90IGJlIGVtcHR5";
  std::string serialized;  // as the gRPC library hands it over: decoded
  ASSERT_TRUE(absl::Base64Unescape(details, &serialized));
  EXPECT_EQ(translator.StatusJson(3, "ignored", serialized),  // P58
            R"({"code":3,"message":"title must not be empty","details":[{"@type":)"
            R"("type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"title",)"
            R"("description":"must not be empty"}]}]})");
}

std::string StatusWith(const pb::Message& detail) {
  google::rpc::Status status;
  status.set_code(8);
  status.add_details()->PackFrom(detail);
  return status.SerializeAsString();
}

TEST(UpstreamErrorHintsTest, ReadsTheReasonAndTheRetryDelayOfTheDetails) {
  EXPECT_EQ(HintsForUpstreamError(9, "").http_status, 400);
  EXPECT_FALSE(HintsForUpstreamError(8, "").retry_after_seconds.has_value());
  EXPECT_FALSE(HintsForUpstreamError(8, "not a status").retry_after_seconds.has_value());

  google::rpc::ErrorInfo reused;
  reused.set_domain("todo-grpc");
  reused.set_reason("REQUEST_ID_REUSED");
  EXPECT_EQ(HintsForUpstreamError(9, StatusWith(reused)).http_status, 422);
  reused.set_domain("elsewhere");
  EXPECT_EQ(HintsForUpstreamError(9, StatusWith(reused)).http_status, 400);

  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(1);
  retry.mutable_retry_delay()->set_nanos(200'000'000);
  EXPECT_EQ(HintsForUpstreamError(8, StatusWith(retry)).retry_after_seconds, 2);
  retry.mutable_retry_delay()->set_seconds(0);
  retry.mutable_retry_delay()->set_nanos(0);
  EXPECT_EQ(HintsForUpstreamError(8, StatusWith(retry)).retry_after_seconds, 1);
  EXPECT_EQ(HintsForUpstreamError(8, StatusWith(retry)).http_status, 429);
}

}  // namespace
}  // namespace todo::gateway::transcoding
