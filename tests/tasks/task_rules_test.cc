#include "services/tasks/task_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/status_matchers.h"

namespace todo::tasks {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

TaskFields Valid() {
  TaskFields fields;
  fields.title = "Buy milk";
  return fields;
}

TEST(NormalizeAndValidateTest, TrimsAndNormalisesTags) {
  TaskFields fields = Valid();
  fields.title = "  Buy milk \n";
  fields.description = " two litres ";
  fields.category = " home ";
  fields.tags = {" Home", "home", "URGENT", "urgent ", "errands"};
  ASSERT_THAT(NormalizeAndValidate(fields), IsOk());
  EXPECT_EQ(fields.title, "Buy milk");
  EXPECT_EQ(fields.description, "two litres");
  EXPECT_EQ(fields.category, "home");
  EXPECT_THAT(fields.tags, ElementsAre("home", "urgent", "errands"));
}

TEST(NormalizeAndValidateTest, RequiresATitleOfAtMost200Characters) {
  TaskFields fields = Valid();
  fields.title = "   ";
  EXPECT_THAT(NormalizeAndValidate(fields),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("title:")));
  fields.title = std::string(200, 'a');
  EXPECT_THAT(NormalizeAndValidate(fields), IsOk());
  fields.title = std::string(201, 'a');
  EXPECT_THAT(NormalizeAndValidate(fields),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("title:")));
}

TEST(NormalizeAndValidateTest, CountsCharactersNotBytes) {
  TaskFields fields = Valid();
  std::string title;
  for (int i = 0; i < 200; ++i) title += "\xC3\xA9";  // é, 2 bytes each
  fields.title = title;
  EXPECT_THAT(NormalizeAndValidate(fields), IsOk());
}

TEST(NormalizeAndValidateTest, LimitsDescriptionCategoryAndTags) {
  TaskFields fields = Valid();
  fields.description = std::string(1001, 'd');
  EXPECT_THAT(NormalizeAndValidate(fields),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("description:")));
  fields = Valid();
  fields.category = std::string(51, 'c');
  EXPECT_THAT(NormalizeAndValidate(fields),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("category:")));
  fields = Valid();
  fields.tags = {std::string(51, 't')};
  EXPECT_THAT(NormalizeAndValidate(fields),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("tags:")));
  fields = Valid();
  fields.tags = {"ok", " "};
  EXPECT_THAT(NormalizeAndValidate(fields),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("tags:")));
  fields = Valid();
  for (int i = 0; i < 21; ++i) fields.tags.push_back("t" + std::to_string(i));
  EXPECT_THAT(NormalizeAndValidate(fields),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 20")));
  fields = Valid();
  for (int i = 0; i < 25; ++i) fields.tags.push_back("same");  // duplicates collapse first
  EXPECT_THAT(NormalizeAndValidate(fields), IsOk());
}

TEST(NormalizeAndValidateTest, RefusesTimestampsBeyondYear9999) {
  TaskFields fields = Valid();
  fields.due_date = absl::FromUnixSeconds(253402300800);  // 10000-01-01
  EXPECT_THAT(NormalizeAndValidate(fields),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("due_date:")));
}

TEST(ApplyPatchTest, ChangesOnlyTheNamedFields) {
  TaskFields stored = Valid();
  stored.description = "keep me";
  stored.priority = Priority::kHigh;
  TaskPatch patch;
  patch.values.title = "Buy oat milk";
  patch.values.description = "ignored";
  patch.fields = {TaskField::kTitle};
  ASSERT_THAT(ApplyPatch(patch, stored), IsOk());
  EXPECT_EQ(stored.title, "Buy oat milk");
  EXPECT_EQ(stored.description, "keep me");
  EXPECT_EQ(stored.priority, Priority::kHigh);
}

TEST(ApplyPatchTest, ClearsANamedFieldLeftAtItsDefault) {
  TaskFields stored = Valid();
  stored.due_date = absl::FromUnixSeconds(1'800'000'000);
  stored.tags = {"a"};
  TaskPatch patch;
  patch.fields = {TaskField::kDueDate, TaskField::kTags};
  ASSERT_THAT(ApplyPatch(patch, stored), IsOk());
  EXPECT_FALSE(stored.due_date.has_value());
  EXPECT_TRUE(stored.tags.empty());
}

TEST(ApplyPatchTest, KeepsCompletedAndStatusEqual) {
  TaskFields stored = Valid();
  TaskPatch complete;
  complete.completed = true;
  complete.fields = {TaskField::kCompleted};
  ASSERT_THAT(ApplyPatch(complete, stored), IsOk());
  EXPECT_EQ(stored.status, TaskStatus::kCompleted);
  EXPECT_TRUE(stored.completed());

  TaskPatch reopen;
  reopen.completed = false;
  reopen.fields = {TaskField::kCompleted};
  ASSERT_THAT(ApplyPatch(reopen, stored), IsOk());
  EXPECT_EQ(stored.status, TaskStatus::kPending);

  TaskFields in_progress = Valid();
  in_progress.status = TaskStatus::kInProgress;
  ASSERT_THAT(ApplyPatch(reopen, in_progress), IsOk());
  EXPECT_EQ(in_progress.status, TaskStatus::kInProgress);

  TaskPatch contradiction;
  contradiction.values.status = TaskStatus::kPending;
  contradiction.completed = true;
  contradiction.fields = {TaskField::kStatus, TaskField::kCompleted};
  EXPECT_THAT(ApplyPatch(contradiction, stored),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("completed:")));
}

TEST(ApplyPatchTest, RefusesClearingTheTitle) {
  TaskFields stored = Valid();
  TaskPatch patch;
  patch.fields = {TaskField::kTitle};
  EXPECT_THAT(ApplyPatch(patch, stored),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("title:")));
}

TEST(WordsTest, RoundTripTheContractWords) {
  for (absl::string_view word : {"pending", "in_progress", "completed", "cancelled"}) {
    EXPECT_EQ(Word(*ParseTaskStatus(word)), word);
  }
  for (absl::string_view word : {"low", "medium", "high"}) {
    EXPECT_EQ(Word(*ParsePriority(word)), word);
  }
  for (absl::string_view word : {"none", "daily", "weekly", "monthly"}) {
    EXPECT_EQ(Word(*ParseRecurrence(word)), word);
  }
  EXPECT_FALSE(ParseTaskStatus("PENDING").has_value());
  EXPECT_FALSE(ParsePriority("urgent").has_value());
}

}  // namespace
}  // namespace todo::tasks
