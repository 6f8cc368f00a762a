#include "common/logging/log.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace todo::common::logging {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetMinLevel(Level::kDebug);
    SetServiceName("tasks");
    SetSinkForTest([this](absl::string_view line) {
      absl::MutexLock lock(&mutex_);
      lines_.emplace_back(line);
    });
  }
  void TearDown() override {
    SetSinkForTest(nullptr);
    SetMinLevel(Level::kInfo);
  }

  std::vector<std::string> Lines() {
    absl::MutexLock lock(&mutex_);
    return lines_;
  }

  static google::protobuf::Struct Parse(const std::string& line) {
    google::protobuf::Struct object;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &object).ok()) << line;
    return object;
  }

  absl::Mutex mutex_;
  std::vector<std::string> lines_;
};

TEST_F(LogTest, WritesOneJsonObjectPerLine) {
  Info("task_created", {{"task_id", int64_t{42}}, {"title", "say \"hi\"\n"}, {"ok", true}});
  const auto lines = Lines();
  ASSERT_THAT(lines, SizeIs(1));
  EXPECT_EQ(lines[0].back(), '\n');
  EXPECT_EQ(lines[0].find('\n'), lines[0].size() - 1);
  const auto object = Parse(lines[0]);
  EXPECT_EQ(object.fields().at("level").string_value(), "info");
  EXPECT_EQ(object.fields().at("service").string_value(), "tasks");
  EXPECT_EQ(object.fields().at("event").string_value(), "task_created");
  EXPECT_EQ(object.fields().at("task_id").number_value(), 42);
  EXPECT_EQ(object.fields().at("title").string_value(), "say \"hi\"\n");
  EXPECT_TRUE(object.fields().at("ok").bool_value());
  EXPECT_THAT(object.fields().at("ts").string_value(), HasSubstr("T"));
}

TEST_F(LogTest, NeverWritesSecrets) {
  Info("sign_in", {{"password", "hunter2"},
                   {"authorization", "Bearer abc.def.ghi"},
                   {"OPENAI_API_KEY", "sk-123"},
                   {"access_token", "tok"}});
  const std::string line = Lines().at(0);
  EXPECT_THAT(line, Not(HasSubstr("hunter2")));
  EXPECT_THAT(line, Not(HasSubstr("abc.def")));
  EXPECT_THAT(line, Not(HasSubstr("sk-123")));
  EXPECT_THAT(line, Not(HasSubstr("\"tok\"")));
  EXPECT_THAT(line, HasSubstr("[redacted]"));
}

TEST_F(LogTest, TagsLinesWithTheRequestOfTheThread) {
  {
    const RequestContext context{
        "req-1", tracing::TraceContext::ForRequest(
                     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "")};
    const ScopedRequestContext request(context);
    Info("inside");
    std::thread([] { Info("other_thread"); }).join();
  }
  Info("outside");
  const auto lines = Lines();
  ASSERT_THAT(lines, SizeIs(3));
  const auto inside = Parse(lines[0]).fields();
  EXPECT_EQ(inside.at("request_id").string_value(), "req-1");
  EXPECT_EQ(inside.at("trace_id").string_value(), "4bf92f3577b34da6a3ce929d0e0e4736");
  // This process's own span, not the caller's.
  EXPECT_THAT(inside.at("span_id").string_value(), SizeIs(16));
  EXPECT_NE(inside.at("span_id").string_value(), "00f067aa0ba902b7");
  for (const auto& line : {lines[1], lines[2]}) {
    EXPECT_FALSE(Parse(line).fields().contains("request_id"));
    EXPECT_FALSE(Parse(line).fields().contains("trace_id"));
  }
}

TEST_F(LogTest, DropsLinesBelowTheLevel) {
  SetMinLevel(Level::kWarning);
  Debug("hidden");
  Info("hidden");
  Warning("shown");
  Error("shown");
  EXPECT_THAT(Lines(), SizeIs(2));
}

TEST_F(LogTest, EscapesControlCharacters) {
  Info("binary", {{"value", std::string("a\x01"
                                        "b",
                                        3)}});
  EXPECT_THAT(Lines().at(0), HasSubstr("a\\u0001b"));
}

TEST(ParseLevelTest, AcceptsTheFourLevelsInAnyCase) {
  EXPECT_EQ(*ParseLevel("DEBUG"), Level::kDebug);
  EXPECT_EQ(*ParseLevel(" info"), Level::kInfo);
  EXPECT_EQ(*ParseLevel("Warn"), Level::kWarning);
  EXPECT_EQ(*ParseLevel("error"), Level::kError);
  EXPECT_FALSE(ParseLevel("verbose").ok());
  EXPECT_THAT(std::string(ParseLevel("").status().message()), Not(IsEmpty()));
}

}  // namespace
}  // namespace todo::common::logging
