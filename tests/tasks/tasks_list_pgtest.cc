// ListTasks (filters, search, order, paging), delete and purge against a real
// Postgres; fixture in tasks_service_fixture.h.

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "tests/tasks/tasks_service_fixture.h"

namespace todo::tasks::testing {
namespace {

TEST_F(TasksServiceTest, ListFiltersByEveryField) {
  const absl::Time now = clock_.Now();
  Create(alice_, "Buy milk", [&](v1::Task& t) {
    t.set_priority(v1::high);
    t.add_tags("home");
    t.add_tags("errands");
    t.set_category("shopping");
    *t.mutable_due_date() = Proto(now + absl::Hours(1));
  });
  Create(alice_, "Milkshake recipe", [](v1::Task& t) { t.set_description("vanilla"); });
  Create(alice_, "File taxes", [&](v1::Task& t) {
    t.add_tags("home");
    t.set_status(v1::in_progress);
    *t.mutable_due_date() = Proto(now + absl::Hours(48));
  });
  Create(bob_, "Buy milk too");

  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("MILK"); })),
              ::testing::UnorderedElementsAre("Buy milk", "Milkshake recipe"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("buy mil"); })), ElementsAre("Buy milk"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("vanilla"); })),
              ElementsAre("Milkshake recipe"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_priority("high"); })),
              ElementsAre("Buy milk"));
  EXPECT_THAT(Titles(List(alice_,
                          [](auto& r) {
                            r.add_tag("home");
                            r.add_tag("errands");
                          })),
              ElementsAre("Buy milk"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_category("shopping"); })),
              ElementsAre("Buy milk"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_status("in_progress"); })),
              ElementsAre("File taxes"));
  EXPECT_THAT(
      Titles(List(alice_, [&](auto& r) { *r.mutable_due_after() = Proto(now + absl::Hours(2)); })),
      ElementsAre("File taxes"));
  EXPECT_THAT(
      Titles(List(alice_, [&](auto& r) { *r.mutable_due_before() = Proto(now + absl::Hours(2)); })),
      ElementsAre("Buy milk"));
  const v1::ListTasksResponse searched = List(alice_, [](auto& r) { r.set_q("milk"); });
  EXPECT_EQ(searched.total_size(), 2);
  EXPECT_EQ(List(alice_).total_size(), 3);
  EXPECT_EQ(List(alice_, [](auto& r) { r.set_status("all"); }).total_size(), 3);
}

TEST_F(TasksServiceTest, ASearchForSymbolsFindsThemLiterallyNeverAsAPattern) {
  Create(alice_, "Raise 5% discount");
  Create(alice_, "Rename snake_case files", [](v1::Task& t) { t.set_description("and 100%"); });
  Create(alice_, "Call O'Brien");
  Create(alice_, "Plain task");
  Create(bob_, "Bob's 50% off");
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("%"); })),
              ::testing::UnorderedElementsAre("Raise 5% discount", "Rename snake_case files"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("_"); })),
              ElementsAre("Rename snake_case files"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("'"); })), ElementsAre("Call O'Brien"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("&"); })), ::testing::IsEmpty());
  EXPECT_THAT(Titles(List(bob_, [](auto& r) { r.set_q("%"); })), ElementsAre("Bob's 50% off"));
}

TEST_F(TasksServiceTest, SearchFindsTheCallersWordsInAnyCaseAndOfAnyLength) {
  // A word just under the index's 2047-byte limit, which the owner key in
  // front of every indexed word would push over it: dropped from the index.
  std::string long_word;
  while (long_word.size() < 2040) long_word += "漢";
  const v1::Task with_long_word =
      Create(alice_, "Café au lait", [&](v1::Task& t) { t.set_description(long_word); });
  EXPECT_EQ(with_long_word.description(), long_word);
  Create(alice_, "Café crème", [](v1::Task& t) { t.set_status(v1::completed); });
  Create(alice_, "Cafeteria menu");
  Create(alice_, "Tea");
  Create(bob_, "Café for Bob");

  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("CAFÉ"); })),
              ::testing::UnorderedElementsAre("Café au lait", "Café crème"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("caf"); })),
              ::testing::UnorderedElementsAre("Café au lait", "Café crème", "Cafeteria menu"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_q("bob"); })), ::testing::IsEmpty());
  EXPECT_THAT(Titles(List(bob_, [](auto& r) { r.set_q("caf"); })), ElementsAre("Café for Bob"));

  // Filters and pages apply to the matches.
  const auto first = List(alice_, [](auto& r) {
    r.set_q("caf");
    r.set_status("all");
    r.set_order_by("title");
    r.set_page_size(2);
  });
  // lower(title) in byte order: "e" before "é".
  EXPECT_THAT(Titles(first), ElementsAre("Cafeteria menu", "Café au lait"));
  EXPECT_EQ(first.total_size(), 3);
  const auto second = List(alice_, [&](auto& r) {
    r.set_q("caf");
    r.set_status("all");
    r.set_order_by("title");
    r.set_page_size(2);
    r.set_page_token(first.next_page_token());
  });
  EXPECT_THAT(Titles(second), ElementsAre("Café crème"));
  const auto pending = List(alice_, [](auto& r) {
    r.set_q("caf");
    r.set_status("pending");
  });
  EXPECT_THAT(Titles(pending), ::testing::UnorderedElementsAre("Café au lait", "Cafeteria menu"));
  EXPECT_EQ(pending.total_size(), 2);
}

TEST_F(TasksServiceTest, ListOrdersByEveryKeyWithUndatedTasksLast) {
  const absl::Time now = clock_.Now();
  Create(alice_, "b undated", [](v1::Task& t) { t.set_priority(v1::low); });
  clock_.Advance(absl::Seconds(1));
  Create(alice_, "A later", [&](v1::Task& t) {
    *t.mutable_due_date() = Proto(now + absl::Hours(5));
    t.set_priority(v1::high);
  });
  clock_.Advance(absl::Seconds(1));
  Create(alice_, "c sooner",
         [&](v1::Task& t) { *t.mutable_due_date() = Proto(now + absl::Hours(1)); });

  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_order_by("due_date"); })),
              ElementsAre("c sooner", "A later", "b undated"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_order_by("due_date desc"); })),
              ElementsAre("A later", "c sooner", "b undated"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_order_by("priority desc"); })),
              ElementsAre("A later", "c sooner", "b undated"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_order_by("title"); })),
              ElementsAre("A later", "b undated", "c sooner"));
  EXPECT_THAT(Titles(List(alice_)), ElementsAre("c sooner", "A later", "b undated"));
  EXPECT_THAT(Titles(List(alice_, [](auto& r) { r.set_order_by("created_at"); })),
              ElementsAre("b undated", "A later", "c sooner"));
}

TEST_F(TasksServiceTest, PagesStayCorrectWhileTasksAreAddedAndDeleted) {
  for (const std::string order : {"created_at", "due_date", "title desc"}) {
    // A user with no tasks yet for each order (a purge would delete the
    // account for good).
    alice_ += "-again";
    std::set<int64_t> originals;
    for (int i = 0; i < 23; ++i) {
      clock_.Advance(absl::Seconds(1));
      const v1::Task task = Create(alice_, absl::StrCat("task ", 100 + i), [&](v1::Task& t) {
        if (i % 3 != 0) *t.mutable_due_date() = Proto(clock_.Now() + absl::Hours(i % 5));
      });
      originals.insert(task.id());
    }
    std::vector<int64_t> seen;
    std::string token;
    int pages = 0;
    do {
      const v1::ListTasksResponse page = List(alice_, [&](v1::ListTasksRequest& r) {
        r.set_order_by(order);
        r.set_page_size(5);
        r.set_page_token(token);
      });
      for (const v1::Task& task : page.tasks()) seen.push_back(task.id());
      token = page.next_page_token();
      // Between pages: a new task appears and an already-seen one goes.
      clock_.Advance(absl::Seconds(1));
      Create(alice_, absl::StrCat("interloper ", pages));
      ASSERT_FALSE(seen.empty()) << order;
      v1::DeleteTaskRequest remove;
      remove.set_id(seen.front());
      google::protobuf::Empty empty;
      Call(&Stub::DeleteTask, alice_, remove, &empty).ok();
      originals.erase(seen.front());
      seen.erase(seen.begin());
      ++pages;
    } while (!token.empty() && pages < 20);
    std::set<int64_t> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), seen.size()) << order << ": a task came twice";
    for (int64_t id : originals) {
      EXPECT_TRUE(unique.count(id) == 1) << order << ": task " << id << " was skipped";
    }
  }
}

TEST_F(TasksServiceTest, RefusesBadListArguments) {
  v1::ListTasksResponse response;
  const auto expect_invalid = [&](const std::function<void(v1::ListTasksRequest&)>& edit,
                                  const std::string& field) {
    v1::ListTasksRequest request;
    edit(request);
    EXPECT_THAT(Call(&Stub::ListTasks, alice_, request, &response),
                StatusIs(grpc::StatusCode::INVALID_ARGUMENT, StartsWith(field)));
  };
  expect_invalid([](auto& r) { r.set_page_size(-5); }, "page_size:");
  expect_invalid([](auto& r) { r.set_page_size(1'000'000); }, "page_size:");
  expect_invalid([](auto& r) { r.set_page_token("not-a-token"); }, "page_token:");
  expect_invalid([](auto& r) { r.set_status("finished"); }, "status:");
  expect_invalid([](auto& r) { r.set_order_by("due_date; DROP TABLE tasks"); }, "order_by:");
  expect_invalid([](auto& r) { r.mutable_due_after()->set_seconds(-99'999'999'999); },
                 "due_after:");
}

TEST_F(TasksServiceTest, DeleteRemovesTheTaskOnce) {
  const v1::Task task = Create(alice_, "Temporary");
  v1::DeleteTaskRequest request;
  request.set_id(task.id());
  google::protobuf::Empty empty;
  ASSERT_THAT(Call(&Stub::DeleteTask, alice_, request, &empty), IsOk());
  EXPECT_THAT(Call(&Stub::DeleteTask, alice_, request, &empty),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(List(alice_).total_size(), 0);
}

TEST_F(TasksServiceTest, PurgeRemovesOnlyTheCallersTasks) {
  Create(alice_, "a1");
  Create(alice_, "a2");
  Create(bob_, "b1");
  v1::PurgeUserTasksResponse purged;
  ASSERT_THAT(Call(&Stub::PurgeUserTasks, alice_, v1::PurgeUserTasksRequest(), &purged), IsOk());
  EXPECT_EQ(purged.deleted_count(), 2);
  // Purge is the last step of deleting the account: its tokens no longer
  // speak for anyone.
  v1::ListTasksResponse response;
  EXPECT_THAT(Call(&Stub::ListTasks, alice_, v1::ListTasksRequest(), &response),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED, HasSubstr("deleted")));
  EXPECT_EQ(List(bob_).total_size(), 1);
}

}  // namespace
}  // namespace todo::tasks::testing
