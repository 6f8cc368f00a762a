#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "common/pg/connection_pool.h"
#include "common/pg/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/postgres_instance.h"
#include "tests/harness/status_matchers.h"

namespace todo::common::pg {
namespace {

using ::testing::HasSubstr;
using ::todo::testing::IsOk;
using ::todo::testing::SharedPostgres;
using ::todo::testing::StatusIs;

constexpr Statement kCreateTable{
    "test_create_table",
    "CREATE TABLE IF NOT EXISTS items (id bigint PRIMARY KEY, name text NOT NULL, "
    "tags text[] NOT NULL DEFAULT '{}', at timestamptz)"};
constexpr Statement kInsert{"test_insert",
                            "INSERT INTO items (id, name, tags, at) VALUES ($1, $2, $3, $4)"};
constexpr Statement kSelect{"test_select", "SELECT id, name, tags, at FROM items WHERE id = $1"};
constexpr Statement kCount{"test_count", "SELECT count(*) FROM items"};
constexpr Statement kSleep{"test_sleep", "SELECT pg_sleep($1)"};
constexpr Statement kBackendPid{"test_backend_pid", "SELECT pg_backend_pid()"};

class ConnectionPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dsn = SharedPostgres().CreateDatabase();
    ASSERT_THAT(dsn, IsOk());
    dsn_ = *dsn;
  }

  PoolOptions Options(int size = 4, int overflow = 2) const {
    PoolOptions options;
    options.connect.dsn = dsn_;
    options.size = size;
    options.max_overflow = overflow;
    options.checkout_timeout = absl::Seconds(5);
    return options;
  }

  std::string dsn_;
};

TEST_F(ConnectionPoolTest, RunsParameterizedStatementsAndReadsTypedValues) {
  ConnectionPool pool(Options());
  auto conn = pool.Checkout();
  ASSERT_THAT(conn, IsOk());
  ASSERT_THAT((*conn)->Execute(kCreateTable).status(), IsOk());
  const absl::Time at = absl::FromUnixMicros(1'767'225'600'000'001);
  ASSERT_THAT((*conn)
                  ->Execute(kInsert, Params()
                                         .Add(int64_t{1})
                                         .Add("Robert'); DROP TABLE items;--")
                                         .AddTextArray({"a", "b,c"})
                                         .Add(at))
                  .status(),
              IsOk());
  auto result = (*conn)->Execute(kSelect, Params().Add(int64_t{1}));
  ASSERT_THAT(result, IsOk());
  ASSERT_EQ(result->rows(), 1);
  EXPECT_EQ(*result->GetInt64(0, 0), 1);
  EXPECT_EQ(result->GetText(0, 1), "Robert'); DROP TABLE items;--");
  EXPECT_EQ(*result->GetTextArray(0, 2), (std::vector<std::string>{"a", "b,c"}));
  EXPECT_EQ(*result->GetTime(0, 3), at);
}

TEST_F(ConnectionPoolTest, MapsUniqueViolationToAlreadyExists) {
  ConnectionPool pool(Options());
  auto conn = pool.Checkout();
  ASSERT_THAT(conn, IsOk());
  ASSERT_THAT((*conn)->Execute(kCreateTable).status(), IsOk());
  const Params row = Params().Add(int64_t{7}).Add("x").AddTextArray({}).AddNull();
  ASSERT_THAT((*conn)->Execute(kInsert, row).status(), IsOk());
  EXPECT_THAT((*conn)->Execute(kInsert, row).status(),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("test_insert")));
  // The connection is still usable after a failed statement.
  EXPECT_THAT((*conn)->Execute(kCount).status(), IsOk());
}

TEST_F(ConnectionPoolTest, RollsBackATransactionThatIsNotCommitted) {
  ConnectionPool pool(Options());
  {
    auto conn = pool.Checkout();
    ASSERT_THAT(conn, IsOk());
    ASSERT_THAT((*conn)->Execute(kCreateTable).status(), IsOk());
    auto tx = Transaction::Begin(**conn);
    ASSERT_THAT(tx, IsOk());
    ASSERT_THAT(
        tx->Execute(kInsert, Params().Add(int64_t{1}).Add("a").AddTextArray({}).AddNull()).status(),
        IsOk());
  }
  auto conn = pool.Checkout();
  ASSERT_THAT(conn, IsOk());
  EXPECT_EQ(*(*conn)->Execute(kCount)->GetInt64(0, 0), 0);
  {
    auto tx = Transaction::Begin(**conn);
    ASSERT_THAT(tx, IsOk());
    ASSERT_THAT(
        tx->Execute(kInsert, Params().Add(int64_t{2}).Add("b").AddTextArray({}).AddNull()).status(),
        IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  EXPECT_EQ(*(*conn)->Execute(kCount)->GetInt64(0, 0), 1);
}

TEST_F(ConnectionPoolTest, TimesOutWhenEveryConnectionIsInUse) {
  PoolOptions options = Options(/*size=*/1, /*overflow=*/1);
  options.checkout_timeout = absl::Milliseconds(200);
  ConnectionPool pool(options);
  auto first = pool.Checkout();
  auto second = pool.Checkout();
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  const absl::Time start = absl::Now();
  EXPECT_THAT(pool.Checkout().status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no database connection")));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190));
}

TEST_F(ConnectionPoolTest, HandsAReturnedConnectionToAWaitingCaller) {
  ConnectionPool pool(Options(/*size=*/1, /*overflow=*/0));
  auto held = std::make_unique<PooledConnection>(*pool.Checkout());
  std::thread releaser([&] {
    absl::SleepFor(absl::Milliseconds(100));
    held.reset();
  });
  EXPECT_THAT(pool.Checkout().status(), IsOk());
  releaser.join();
}

TEST_F(ConnectionPoolTest, ClosesOverflowConnectionsOnReturnAndKeepsTheCore) {
  ConnectionPool pool(Options(/*size=*/2, /*overflow=*/2));
  {
    std::vector<PooledConnection> held;
    for (int i = 0; i < 4; ++i) {
      auto conn = pool.Checkout();
      ASSERT_THAT(conn, IsOk());
      held.push_back(*std::move(conn));
    }
    EXPECT_EQ(pool.stats().open, 4);
  }
  EXPECT_EQ(pool.stats().open, 2);
  EXPECT_EQ(pool.stats().idle, 2);
}

// Under sustained load more callers wait than the pool holds: a returned
// overflow connection must go to a waiting caller, not be closed only for the
// next caller to open a new one (a Postgres fork per call: 64 clients through
// the gateway opened 879 sessions in 5 s and halved throughput).
TEST_F(ConnectionPoolTest, KeepsOverflowConnectionsWhileCallersWait) {
  ConnectionPool pool(Options(/*size=*/2, /*overflow=*/2));
  absl::Mutex mutex;
  std::set<int64_t> backends;
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int i = 0; i < 16; ++i) {
    callers.emplace_back([&] {
      while (!stop.load()) {
        auto conn = pool.Checkout();
        ASSERT_THAT(conn, IsOk());
        const int64_t pid = *(*conn)->Execute(kBackendPid)->GetInt64(0, 0);
        absl::MutexLock lock(&mutex);
        backends.insert(pid);
      }
    });
  }
  // Counted while all 16 callers are still busy: as they stop one by one the
  // load falls between `size` and the cap, where opening and closing is
  // expected.
  absl::SleepFor(absl::Milliseconds(500));
  size_t seen_under_load = 0;
  {
    absl::MutexLock lock(&mutex);
    seen_under_load = backends.size();
  }
  stop.store(true);
  for (std::thread& caller : callers) caller.join();
  EXPECT_LE(seen_under_load, 4u) << "connections were closed and reopened under load";
  EXPECT_EQ(pool.stats().idle, 2);  // once the load is gone, overflow is closed
  EXPECT_EQ(pool.stats().open, 2);
}

TEST_F(ConnectionPoolTest, RecyclesConnectionsOlderThanTheLimit) {
  PoolOptions options = Options(1, 0);
  options.recycle = absl::Milliseconds(100);
  ConnectionPool pool(options);
  int64_t first_pid = 0;
  {
    auto conn = pool.Checkout();
    first_pid = *(*conn)->Execute(kBackendPid)->GetInt64(0, 0);
  }
  absl::SleepFor(absl::Milliseconds(150));
  auto conn = pool.Checkout();
  EXPECT_NE(*(*conn)->Execute(kBackendPid)->GetInt64(0, 0), first_pid);
}

TEST_F(ConnectionPoolTest, ReplacesAConnectionKilledWhileIdle) {
  ConnectionPool pool(Options(1, 0));
  int64_t pid = 0;
  {
    auto conn = pool.Checkout();
    pid = *(*conn)->Execute(kBackendPid)->GetInt64(0, 0);
  }
  {
    ConnectOptions admin_options;
    admin_options.dsn = dsn_;
    auto admin = Connection::Open(admin_options);
    ASSERT_THAT(admin, IsOk());
    ASSERT_THAT((*admin)
                    ->ExecuteOnce("kill", "SELECT pg_terminate_backend($1)", Params().Add(pid))
                    .status(),
                IsOk());
  }
  absl::SleepFor(absl::Milliseconds(100));
  // The pre-ping notices the dead socket; the caller never sees the failure.
  auto conn = pool.Checkout();
  ASSERT_THAT(conn, IsOk());
  auto new_pid = (*conn)->Execute(kBackendPid);
  ASSERT_THAT(new_pid, IsOk());
  EXPECT_NE(*new_pid->GetInt64(0, 0), pid);
}

TEST_F(ConnectionPoolTest, AnswersUnavailableWhenTheServerIsUnreachable) {
  PoolOptions options;
  options.connect.dsn = "host=127.0.0.1 port=1 user=postgres dbname=postgres";
  options.connect.connect_timeout = absl::Seconds(1);
  ConnectionPool pool(options);
  EXPECT_THAT(pool.Checkout().status(), StatusIs(absl::StatusCode::kUnavailable));
  // While backing off it answers at once instead of dialling again.
  const absl::Time start = absl::Now();
  EXPECT_THAT(pool.Checkout().status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  EXPECT_EQ(pool.stats().open, 0);
}

// Last in this file: it restarts the shared server.
TEST_F(ConnectionPoolTest, CallersGetUnavailableDuringARestartThenRecover) {
  ConnectionPool pool(Options(4, 2));
  {
    auto conn = pool.Checkout();
    ASSERT_THAT((*conn)->Execute(kCreateTable).status(), IsOk());
  }
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> unavailable{0};
  std::atomic<int> other{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&] {
      while (!stop.load()) {
        absl::Status status = [&]() -> absl::Status {
          auto conn = pool.Checkout(absl::Seconds(1));
          if (!conn.ok()) return conn.status();
          return (*conn)->Execute(kCount).status();
        }();
        if (status.ok()) {
          ++ok;
        } else if (status.code() == absl::StatusCode::kUnavailable) {
          ++unavailable;
        } else {
          ++other;
          ADD_FAILURE() << status;
        }
        absl::SleepFor(absl::Milliseconds(5));
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(200));
  ASSERT_THAT(SharedPostgres().Stop(), IsOk());
  absl::SleepFor(absl::Milliseconds(500));
  const int ok_before_restart = ok.load();
  ASSERT_THAT(SharedPostgres().StartAgain(), IsOk());
  // Recovery needs no restart of the pool: within a few backoff periods calls
  // succeed again.
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (ok.load() < ok_before_restart + 20 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  stop.store(true);
  for (std::thread& caller : callers) {
    caller.join();
  }
  EXPECT_GT(unavailable.load(), 0);
  EXPECT_GE(ok.load(), ok_before_restart + 20);
  EXPECT_EQ(other.load(), 0);
}

}  // namespace
}  // namespace todo::common::pg
