#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/pg/connection.h"
#include "common/pg/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/postgres_instance.h"
#include "tests/harness/status_matchers.h"

namespace todo::common::pg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::todo::testing::IsOk;
using ::todo::testing::SharedPostgres;
using ::todo::testing::StatusIs;

const std::vector<Migration>& TwoMigrations() {
  static const auto* const migrations = new std::vector<Migration>{
      {"0001_create_notes", "CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL);"},
      {"0002_add_done",
       "ALTER TABLE notes ADD COLUMN done boolean NOT NULL DEFAULT false;\n"
       "CREATE INDEX notes_done ON notes (done);"},
  };
  return *migrations;
}

class MigratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dsn = SharedPostgres().CreateDatabase();
    ASSERT_THAT(dsn, IsOk());
    options_.connect.dsn = *dsn;
    options_.schema = "notes_svc";
  }

  int64_t Count(const std::string& sql) {
    auto conn = Connection::Open(options_.connect);
    EXPECT_THAT(conn, IsOk());
    auto result = (*conn)->ExecuteOnce("count", sql);
    EXPECT_THAT(result, IsOk());
    return *result->GetInt64(0, 0);
  }

  MigratorOptions options_;
};

TEST_F(MigratorTest, AppliesMigrationsInOrderIntoTheSchema) {
  auto report = Migrate(options_, TwoMigrations());
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(report->applied, ElementsAre("0001_create_notes", "0002_add_done"));
  EXPECT_EQ(Count("SELECT count(*) FROM notes_svc.schema_migrations"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                  "'notes_svc' AND table_name = 'notes' AND column_name = 'done'"),
            1);
}

TEST_F(MigratorTest, DoesNothingTheSecondTime) {
  ASSERT_THAT(Migrate(options_, TwoMigrations()), IsOk());
  auto again = Migrate(options_, TwoMigrations());
  ASSERT_THAT(again, IsOk());
  EXPECT_THAT(again->applied, IsEmpty());
  EXPECT_EQ(again->already_applied, 2);
}

TEST_F(MigratorTest, AppliesOnlyTheNewOnes) {
  const std::vector<Migration> first(TwoMigrations().begin(), TwoMigrations().begin() + 1);
  ASSERT_THAT(Migrate(options_, first), IsOk());
  auto report = Migrate(options_, TwoMigrations());
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(report->applied, ElementsAre("0002_add_done"));
}

TEST_F(MigratorTest, RefusesAMigrationChangedAfterItWasApplied) {
  ASSERT_THAT(Migrate(options_, TwoMigrations()), IsOk());
  std::vector<Migration> edited = TwoMigrations();
  edited[0].sql += "\n-- edited";
  EXPECT_THAT(Migrate(options_, edited).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("0001_create_notes")));
}

TEST_F(MigratorTest, RollsBackAFailedMigrationEntirely) {
  const std::vector<Migration> broken = {
      {"0001_half", "CREATE TABLE half (id int); SELECT * FROM no_such_table;"}};
  EXPECT_THAT(Migrate(options_, broken).status(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("0001_half")));
  EXPECT_EQ(Count("SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM notes_svc.schema_migrations"), 0);
}

TEST_F(MigratorTest, ConcurrentReplicasApplyEachMigrationExactlyOnce) {
  // Slow enough that the replicas really overlap.
  std::vector<Migration> migrations = TwoMigrations();
  migrations[0].sql += "\nSELECT pg_sleep(0.3);";
  constexpr int kReplicas = 6;
  absl::Mutex mutex;
  int total_applied = 0;
  int failures = 0;
  std::vector<std::thread> replicas;
  for (int i = 0; i < kReplicas; ++i) {
    replicas.emplace_back([&] {
      auto report = Migrate(options_, migrations);
      absl::MutexLock lock(&mutex);
      if (report.ok()) {
        total_applied += static_cast<int>(report->applied.size());
      } else {
        ++failures;
        ADD_FAILURE() << report.status();
      }
    });
  }
  for (std::thread& replica : replicas) {
    replica.join();
  }
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(total_applied, 2);
  EXPECT_EQ(Count("SELECT count(*) FROM notes_svc.schema_migrations"), 2);
}

TEST_F(MigratorTest, RejectsAnUnsafeSchemaName) {
  options_.schema = "x; DROP SCHEMA public";
  EXPECT_THAT(Migrate(options_, TwoMigrations()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(MigratorTest, GivesUpAfterTheConfiguredTimeWhenTheServerIsAway) {
  options_.connect.dsn = "host=127.0.0.1 port=1 user=postgres dbname=postgres";
  options_.backoff_initial = absl::Milliseconds(20);
  options_.give_up_after = absl::Milliseconds(300);
  EXPECT_THAT(Migrate(options_, TwoMigrations()).status(),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(MigratorTest, StopsWaitingWhenAskedTo) {
  options_.connect.dsn = "host=127.0.0.1 port=1 user=postgres dbname=postgres";
  std::atomic<int> polls{0};
  options_.should_stop = [&] { return ++polls > 3; };
  EXPECT_THAT(Migrate(options_, TwoMigrations()).status(), StatusIs(absl::StatusCode::kCancelled));
}

// Last: it stops the shared server.
TEST_F(MigratorTest, WaitsForTheServerWithBackoffThenApplies) {
  ASSERT_THAT(SharedPostgres().Stop(), IsOk());
  options_.backoff_initial = absl::Milliseconds(50);
  options_.backoff_max = absl::Milliseconds(400);
  std::thread restarter([] {
    absl::SleepFor(absl::Milliseconds(700));
    EXPECT_THAT(SharedPostgres().StartAgain(), IsOk());
  });
  auto report = Migrate(options_, TwoMigrations());
  restarter.join();
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->applied.size(), 2u);
}

}  // namespace
}  // namespace todo::common::pg
