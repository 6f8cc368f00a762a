#include "services/tasks/task_query.h"

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/status_matchers.h"

namespace todo::tasks {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

TEST(ParseListQueryTest, DefaultsToNewestFirstAndFiftyPerPage) {
  auto query = ParseListQuery({});
  ASSERT_THAT(query, IsOk());
  EXPECT_EQ(query->sort, SortKey::kCreatedAt);
  EXPECT_TRUE(query->descending);
  EXPECT_EQ(query->page_size, 50);
  EXPECT_FALSE(query->status.has_value());
}

TEST(ParseListQueryTest, ReadsEveryFilter) {
  ListTasksInput input;
  input.status = "in_progress";
  input.priority = "HIGH";
  input.tags = {"Home", "home", "work"};
  input.category = " chores ";
  input.q = "Buy MILK!";
  input.order_by = "due_date desc";
  input.page_size = 500;
  auto query = ParseListQuery(input);
  ASSERT_THAT(query, IsOk());
  EXPECT_EQ(query->status, TaskStatus::kInProgress);
  EXPECT_EQ(query->priority, Priority::kHigh);
  EXPECT_EQ(query->tags, (std::vector<std::string>{"home", "work"}));
  EXPECT_EQ(query->category, "chores");
  EXPECT_EQ(query->search, "buy milk");
  EXPECT_EQ(query->sort, SortKey::kDueDate);
  EXPECT_TRUE(query->descending);
  EXPECT_EQ(query->page_size, 500);
}

TEST(ParseListQueryTest, StatusAllMeansNoFilter) {
  ListTasksInput input;
  input.status = "all";
  EXPECT_FALSE(ParseListQuery(input)->status.has_value());
}

TEST(ParseListQueryTest, NamesTheFieldOfEveryBadValue) {
  const auto expect_bad = [](ListTasksInput input, absl::string_view field) {
    EXPECT_THAT(ParseListQuery(input).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(std::string(field))))
        << field;
  };
  ListTasksInput input;
  input.status = "done";
  expect_bad(input, "status:");
  input = {};
  input.priority = "urgent";
  expect_bad(input, "priority:");
  input = {};
  input.order_by = "color";
  expect_bad(input, "order_by:");
  input.order_by = "title sideways";
  expect_bad(input, "order_by:");
  input = {};
  input.page_size = -1;
  expect_bad(input, "page_size:");
  input.page_size = 501;
  expect_bad(input, "page_size:");
  input.page_size = 2'000'000'000;
  expect_bad(input, "page_size:");
  input = {};
  input.q = std::string(201, 'q');
  expect_bad(input, "q:");
  input = {};
  input.tags = {std::string(51, 't')};
  expect_bad(input, "tag:");
  input = {};
  input.page_token = "garbage!";
  expect_bad(input, "page_token:");
  input.page_token = std::string(10'000, 'A');
  expect_bad(input, "page_token:");
}

TEST(ParseListQueryTest, TextWithoutWordsIsSearchedLiterally) {
  ListTasksInput input;
  input.q = " &|!():* ";
  auto query = ParseListQuery(input);
  ASSERT_THAT(query, IsOk());
  EXPECT_EQ(query->search, "");
  EXPECT_EQ(query->literal, "&|!():*");
  input.q = "%";
  auto percent = ParseListQuery(input);
  ASSERT_THAT(percent, IsOk());
  EXPECT_NE(percent->fingerprint, query->fingerprint);
}

TEST(ParseListQueryTest, SearchCannotInjectTsqueryOperators) {
  ListTasksInput input;
  input.q = "milk' | !bread:* & (eggs)";
  auto query = ParseListQuery(input);
  ASSERT_THAT(query, IsOk());
  EXPECT_EQ(query->search, "milk bread eggs");
}

TEST(PageTokenTest, RoundTripsTheCursor) {
  ListTasksInput input;
  input.order_by = "title";
  auto query = ParseListQuery(input);
  ASSERT_THAT(query, IsOk());
  input.page_token = EncodePageToken(*query, PageCursor{std::string("buy. milk|x"), 42});
  auto next = ParseListQuery(input);
  ASSERT_THAT(next, IsOk());
  ASSERT_TRUE(next->after.has_value());
  EXPECT_EQ(next->after->key, "buy. milk|x");
  EXPECT_EQ(next->after->id, 42);

  input.page_token = EncodePageToken(*query, PageCursor{std::nullopt, 7});
  next = ParseListQuery(input);
  ASSERT_THAT(next, IsOk());
  EXPECT_FALSE(next->after->key.has_value());
}

TEST(PageTokenTest, IsRefusedForOtherFiltersOrOrder) {
  ListTasksInput input;
  input.status = "pending";
  auto query = ParseListQuery(input);
  ASSERT_THAT(query, IsOk());
  const std::string token = EncodePageToken(*query, PageCursor{std::string("x"), 1});
  input.status = "completed";
  input.page_token = token;
  EXPECT_THAT(ParseListQuery(input).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_token:")));
  input.status = "pending";
  input.order_by = "title";
  EXPECT_THAT(ParseListQuery(input).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  // A different page size is fine: the cursor does not depend on it.
  input.order_by = "";
  input.page_size = 5;
  EXPECT_THAT(ParseListQuery(input), IsOk());
}

TEST(PageTokenTest, RefusesForgedIds) {
  ListTasksInput input;
  auto query = ParseListQuery(input);
  const std::string forged =
      absl::WebSafeBase64Escape(absl::StrCat("v1.", query->fingerprint, ".-.-5"));
  input.page_token = forged;
  EXPECT_THAT(ParseListQuery(input).status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(BuildListSqlTest, BindsEveryValueAsAParameter) {
  ListTasksInput input;
  input.category = "x'; DROP TABLE tasks.tasks; --";
  input.tags = {"a'b"};
  input.q = "milk";
  auto query = ParseListQuery(input);
  ASSERT_THAT(query, IsOk());
  const SqlText sql = BuildListSql("user'1", *query);
  EXPECT_THAT(sql.sql, Not(HasSubstr("DROP")));
  EXPECT_THAT(sql.sql, Not(HasSubstr("user'1")));
  EXPECT_THAT(sql.sql, Not(HasSubstr("a'b")));
  EXPECT_THAT(sql.sql, AllOf(HasSubstr("user_id = $1"), HasSubstr("LIMIT 51")));
}

TEST(BuildListSqlTest, PutsUndatedTasksLastInBothDirections) {
  for (absl::string_view order : {"due_date", "due_date desc"}) {
    ListTasksInput input;
    input.order_by = std::string(order);
    const SqlText sql = BuildListSql("u", *ParseListQuery(input));
    EXPECT_THAT(sql.sql, HasSubstr("NULLS LAST")) << order;
  }
}

TEST(BuildCountSqlTest, UsesTheCountersUnlessOtherFiltersApply) {
  ListTasksInput input;
  input.status = "pending";
  EXPECT_FALSE(BuildCountSql("u", *ParseListQuery(input)).has_value());
  input.q = "milk";
  EXPECT_TRUE(BuildCountSql("u", *ParseListQuery(input)).has_value());
}

}  // namespace
}  // namespace todo::tasks
