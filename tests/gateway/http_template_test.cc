#include "services/gateway/transcoding/http_template.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/status_matchers.h"

namespace todo::gateway::transcoding {
namespace {

using ::testing::ElementsAre;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

TEST(HttpTemplateTest, ParsesLiteralsVariablesAndAVerb) {
  auto parsed = HttpTemplate::Parse("/v1/tasks/{id}:complete");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_THAT(parsed->segments, ElementsAre("v1", "tasks", "*"));
  EXPECT_EQ(parsed->verb, "complete");
  ASSERT_EQ(parsed->variables.size(), 1u);
  EXPECT_THAT(parsed->variables[0].field_path, ElementsAre("id"));
  EXPECT_EQ(parsed->variables[0].start_segment, 2);
  EXPECT_EQ(parsed->variables[0].end_segment, 3);
  EXPECT_FALSE(parsed->variables[0].has_double_wildcard);
}

TEST(HttpTemplateTest, ParsesNestedFieldPathsAndSegmentPatterns) {
  auto parsed = HttpTemplate::Parse("/v1/{task.id}/{name=users/*/tasks/*}");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_THAT(parsed->segments, ElementsAre("v1", "*", "users", "*", "tasks", "*"));
  ASSERT_EQ(parsed->variables.size(), 2u);
  EXPECT_THAT(parsed->variables[0].field_path, ElementsAre("task", "id"));
  EXPECT_EQ(parsed->variables[1].start_segment, 2);
  EXPECT_EQ(parsed->variables[1].end_segment, 6);
}

TEST(HttpTemplateTest, AllowsLiteralsAfterADoubleWildcard) {
  auto parsed = HttpTemplate::Parse("/a/{x=b/**}/y/z");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_THAT(parsed->segments, ElementsAre("a", "b", "**", "y", "z"));
  EXPECT_TRUE(parsed->variables[0].has_double_wildcard);
}

TEST(HttpTemplateTest, AcceptsTheRootAlone) {
  auto parsed = HttpTemplate::Parse("/");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_TRUE(parsed->segments.empty());
}

TEST(HttpTemplateTest, RefusesWhatTheGrammarDoesNot) {
  for (const char* text :
       {"", "v1/tasks", "//", "/a/", "/a//b", "/{}", "/{a={b}}", "/a{x}", "/{x}a", "/a:", "/a/**/*",
        "/a/**/**", "/{1x}", "/{a.}", "/book/{", "/a/{x=**}/*", "/a:b/c"}) {
    EXPECT_THAT(HttpTemplate::Parse(text), StatusIs(absl::StatusCode::kInvalidArgument)) << text;
  }
}

}  // namespace
}  // namespace todo::gateway::transcoding
