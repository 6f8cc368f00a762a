#include "common/json/flat_json.h"

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/harness/status_matchers.h"

namespace todo::common::json {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

TEST(FlatJsonObjectTest, ReadsTheMembersOfAClaimsObject) {
  auto object = FlatJsonObject::Parse(
      R"( {"sub":"u-1","exp":1767225600,"iat":1.7e9,"email_verified":true,"nbf":null,)"
      R"("aud":["a",2,"b"],"ext":{"x":[{"y":1}]},"neg":-0.5} )");
  ASSERT_THAT(object, IsOk());
  EXPECT_THAT(object->String("sub"), Optional(std::string("u-1")));
  EXPECT_THAT(object->Number("exp"), Optional(1767225600.0));
  EXPECT_THAT(object->Number("iat"), Optional(1.7e9));
  EXPECT_THAT(object->Number("neg"), Optional(-0.5));
  EXPECT_EQ(object->Find("email_verified")->kind, FlatJsonValue::Kind::kBool);
  EXPECT_TRUE(object->Has("nbf"));
  EXPECT_EQ(object->Number("nbf"), std::nullopt);  // null is not a number
  EXPECT_THAT(object->Find("aud")->strings, ElementsAre("a", "b"));
  EXPECT_EQ(object->Find("ext")->kind, FlatJsonValue::Kind::kObject);
  EXPECT_EQ(object->String("missing"), std::nullopt);
  EXPECT_EQ(object->String("exp"), std::nullopt);  // wrong type
}

TEST(FlatJsonObjectTest, UnescapesStringsToUtf8) {
  auto object =
      FlatJsonObject::Parse(R"({"name":"Ad\u00e9 \"A\" \\ \/ \n\t","emoji":"\ud83d\ude00"})");
  ASSERT_THAT(object, IsOk());
  EXPECT_THAT(object->String("name"), Optional(std::string("Ad\xC3\xA9 \"A\" \\ / \n\t")));
  EXPECT_THAT(object->String("emoji"), Optional(std::string("\xF0\x9F\x98\x80")));
}

TEST(FlatJsonObjectTest, RefusesAnythingButOneWellFormedObject) {
  for (const std::string& text : std::vector<std::string>{"",
                                                          "[]",
                                                          "\"x\"",
                                                          "{",
                                                          "{\"a\":1",
                                                          "{\"a\":1}x",
                                                          "{\"a\":1}{}",
                                                          "{\"a\"}",
                                                          "{\"a\":}",
                                                          "{a:1}",
                                                          "{\"a\":01}",
                                                          "{\"a\":1.}",
                                                          "{\"a\":.5}",
                                                          "{\"a\":1e}",
                                                          "{\"a\":tru}",
                                                          "{\"a\":\"x}",
                                                          "{\"a\":\"\\x\"}",
                                                          "{\"a\":\"\\ud800\"}",
                                                          "{\"a\":\"\\udc00\"}",
                                                          "{\"a\":\"bad\ncontrol\"}",
                                                          "{\"a\":1,}",
                                                          "{\"a\":[1,]}",
                                                          "{\"a\":1e999}"}) {
    EXPECT_THAT(FlatJsonObject::Parse(text), StatusIs(absl::StatusCode::kInvalidArgument)) << text;
  }
}

TEST(FlatJsonObjectTest, RefusesADuplicatedMember) {
  EXPECT_THAT(FlatJsonObject::Parse(R"({"sub":"alice","sub":"admin"})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FlatJsonObjectTest, RefusesDeepNestingInsteadOfRecursingForEver) {
  std::string deep = "{\"a\":";
  for (int i = 0; i < 100000; ++i) deep += "[";
  EXPECT_THAT(FlatJsonObject::Parse(deep), StatusIs(absl::StatusCode::kInvalidArgument));
  std::string fine = "{\"a\":";
  for (int i = 0; i < 10; ++i) fine += "[";
  for (int i = 0; i < 10; ++i) fine += "]";
  EXPECT_THAT(FlatJsonObject::Parse(fine + "}"), IsOk());
}

TEST(ValidateJsonTest, AcceptsAnyStrictJsonValue) {
  for (absl::string_view text : {R"({"a":[1,2.5e3,{"b":null}],"c":"\u00e9"})", " [] ", "\"x\"",
                                 "-0.5", "true", R"({"t":"tab\tnew\nline"})"}) {
    EXPECT_THAT(ValidateJson(text, 100, TrailingCommas::kRefused), IsOk()) << text;
  }
}

TEST(ValidateJsonTest, RefusesJavaScriptLeniencies) {
  for (absl::string_view text :
       {R"({title:"x"})", R"({'title':'x'})", R"({"title":'x'})", R"({"a":1} x)", R"({"a":1}{})",
        "{\"a\":\"\x01\"}", R"({"a":NaN})", R"(// c
{})",
        R"({"a":1,})", "", "  "}) {
    EXPECT_THAT(ValidateJson(text, 100, TrailingCommas::kRefused),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << text;
  }
}

TEST(ValidateJsonTest, TrailingCommasOnlyWhenAllowed) {
  for (absl::string_view text : {R"({"a":1,})", R"({"a":[1,],})", R"([{},])"}) {
    EXPECT_THAT(ValidateJson(text, 100, TrailingCommas::kAllowed), IsOk()) << text;
  }
  for (absl::string_view text : {"[,]", "{,}", R"({"a":1,,})", R"([1,,])"}) {
    EXPECT_THAT(ValidateJson(text, 100, TrailingCommas::kAllowed),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << text;
  }
}

TEST(ValidateJsonTest, RefusesNestingBeyondTheLimit) {
  EXPECT_THAT(
      ValidateJson(std::string(101, '[') + std::string(101, ']'), 100, TrailingCommas::kRefused),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      ValidateJson(std::string(100, '[') + std::string(100, ']'), 100, TrailingCommas::kRefused),
      IsOk());
}

// ParseJsonValue reads what protobuf's converter reads, into the same Value.
TEST(ParseJsonValueTest, AgreesWithProtobufsParser) {
  for (const char* text : {
           R"([{"id":"call_1","tool":"add_task","args":{"title":"Buy \"milk\" \u263a",)"
           R"("tags":["a","b"]},"result":{"task_id":42,"ok":true,"none":null}}])",
           R"({"n":-12.5e-3,"deep":{"a":[[],{},[1,[2,[3]]]]},"s":"\ud83d\ude00 \/\t"})",
           R"("just a string")",
           R"(  [ ]  )",
       }) {
    absl::StatusOr<google::protobuf::Value> ours = ParseJsonValue(text);
    ASSERT_THAT(ours, IsOk()) << text;
    google::protobuf::Value theirs;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(text, &theirs).ok()) << text;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*ours, theirs)) << text;
  }
}

TEST(ParseJsonValueTest, RefusesWhatValidateJsonRefuses) {
  for (const char* text :
       {"", "[1,]", "{'a':1}", "[1] x", R"("\ud800")", R"({"a" 1})", "NaN", "\"\x01\""}) {
    EXPECT_THAT(ParseJsonValue(text), StatusIs(absl::StatusCode::kInvalidArgument)) << text;
  }
  EXPECT_THAT(ParseJsonValue(std::string(100, '[') + std::string(100, ']')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseJsonValue(std::string(10, '[') + std::string(10, ']'), 16), IsOk());
}

}  // namespace
}  // namespace todo::common::json
