#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/event_loops/event_loops.h"
#include "common/pg/loop_pipeline.h"
#include "common/pg/pipeline.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/postgres_instance.h"
#include "tests/harness/status_matchers.h"

namespace todo::common::pg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::todo::testing::IsOk;
using ::todo::testing::PipelineFor;
using ::todo::testing::SharedPostgres;
using ::todo::testing::StatusIs;

constexpr Statement kEcho{"test_echo", "SELECT $1::bigint * 2"};
constexpr Statement kDivide{"test_divide", "SELECT 100 / $1::int"};
constexpr Statement kBroken{"test_broken", "SELECT * FROM no_such_table WHERE id = $1"};
constexpr Statement kSleep{"test_sleep", "SELECT pg_sleep($1)"};
constexpr Statement kRepeat{"test_repeat", "SELECT repeat(md5($1::text), $2::int)"};
// Which backend ran it, as a read and as a write.
constexpr Statement kBackendRead{"test_backend_read", "SELECT pg_backend_pid()"};
constexpr Statement kBackendWrite{"test_backend_write", "SELECT pg_backend_pid()",
                                  /*writes=*/true};
// The transaction it ran in (its virtual transaction id), as a read and as a write.
#define TODO_TRANSACTION_SQL                                                  \
  "SELECT virtualtransaction FROM pg_locks WHERE pid = pg_backend_pid() AND " \
  "locktype = 'virtualxid'"
constexpr Statement kTransactionRead{"test_transaction_read", TODO_TRANSACTION_SQL};
constexpr Statement kTransactionWrite{"test_transaction_write", TODO_TRANSACTION_SQL,
                                      /*writes=*/true};
#undef TODO_TRANSACTION_SQL

// Waits for one statement's outcome.
absl::StatusOr<Result> RunOne(StatementRunner& pipeline, const Statement& statement,
                              Params params) {
  absl::Notification done;
  absl::StatusOr<Result> outcome;
  pipeline.Submit(statement, std::move(params), [&](absl::StatusOr<Result> result) {
    outcome = std::move(result);
    done.Notify();
  });
  done.WaitForNotification();
  return outcome;
}

// Retries until the pipeline's connections are up (they connect in the background).
void AwaitConnected(StatementRunner& pipeline) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!RunOne(pipeline, kEcho, Params().Add(int64_t{1})).ok()) {
    ASSERT_LT(absl::Now(), give_up) << "the pipeline never connected";
    absl::SleepFor(absl::Milliseconds(10));
  }
}

// The pipeline driven by event loops (one connection per loop), submitted
// to from threads that are not loops.

// A pipeline with the loops it runs on.
struct AnyPipeline {
  std::unique_ptr<event_loops::EventLoops> loops;
  std::unique_ptr<StatementRunner> runner;
  ~AnyPipeline() {
    runner.reset();  // before the loops it closes its connections on
    loops.reset();
  }
  StatementRunner& operator*() { return *runner; }
  void Submit(const Statement& statement, Params params, ResultCallback done) {
    runner->Submit(statement, std::move(params), std::move(done));
  }
};

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dsn = SharedPostgres().CreateDatabase();
    ASSERT_THAT(dsn, IsOk());
    connect_.dsn = *dsn;
    connect_.connect_timeout = absl::Seconds(1);
  }

  std::unique_ptr<AnyPipeline> Make(const PipelineOptions& options) {
    auto made = std::make_unique<AnyPipeline>();
    made->loops = std::make_unique<event_loops::EventLoops>(std::max(1, options.connections));
    made->runner = std::make_unique<LoopPipeline>(options, made->loops.get());
    return made;
  }

  ConnectOptions connect_;
};

TEST_F(PipelineTest, AnswersEveryStatementFromManyThreadsWithItsOwnResult) {
  auto made = Make(PipelineFor(connect_));
  AnyPipeline& pipeline = *made;
  AwaitConnected(*pipeline);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::atomic<int> wrong{0};
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int64_t value = t * 100000 + i;
        // Several in flight per thread, so statements really queue up.
        pipeline.Submit(kEcho, Params().Add(value), [&, value](absl::StatusOr<Result> result) {
          if (!result.ok() || result->GetInt64(0, 0).value_or(-1) != value * 2) ++wrong;
          ++answered;
        });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (answered.load() < kThreads * kPerThread && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(answered.load(), kThreads * kPerThread);
  EXPECT_EQ(wrong.load(), 0);
}

// The backends that ran `count` runs of `statement`, submitted one by one.
std::set<int64_t> BackendsRunning(StatementRunner& pipeline, const Statement& statement,
                                  int count) {
  std::set<int64_t> backends;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<Result> ran = RunOne(pipeline, statement, Params());
    EXPECT_THAT(ran, IsOk());
    if (ran.ok()) backends.insert(ran->GetInt64(0, 0).value_or(-1));
  }
  return backends;
}

// Waits until reads reach `connections` backends: every connection is up
// (until then, statements go to those that are).
void AwaitEveryConnection(StatementRunner& pipeline, size_t connections) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (BackendsRunning(pipeline, kBackendRead, 3 * static_cast<int>(connections)).size() <
         connections) {
    ASSERT_LT(absl::Now(), give_up) << "not every connection came up";
    absl::SleepFor(absl::Milliseconds(10));
  }
}

TEST_F(PipelineTest, WritesGoToTheirConnectionsAndReadsToEveryOne) {
  PipelineOptions options = PipelineFor(connect_);
  options.connections = 3;
  for (const auto& [write_connections, writing_backends] :
       std::vector<std::pair<int, size_t>>{{1, 1}, {2, 2}, {0, 3}}) {
    SCOPED_TRACE(absl::StrCat("write_connections ", write_connections));
    options.write_connections = write_connections;
    auto made = Make(options);
    AwaitEveryConnection(**made, 3);
    EXPECT_EQ(BackendsRunning(**made, kBackendWrite, 12).size(), writing_backends);
  }
}

TEST_F(PipelineTest, AnswersLargerThanLibpqsBufferArriveWhole) {
  // Answers of 320 kB, several in flight: libpq reads them in many pieces,
  // leaving bytes in the socket after a wake-up.
  auto made = Make(PipelineFor(connect_));
  AnyPipeline& pipeline = *made;
  AwaitConnected(*pipeline);
  constexpr int kStatements = 40;
  constexpr int kRepeats = 10000;  // of a 32-character md5
  std::atomic<int> whole{0};
  std::atomic<int> answered{0};
  for (int i = 0; i < kStatements; ++i) {
    pipeline.Submit(kRepeat, Params().Add(int64_t{i}).Add(int64_t{kRepeats}),
                    [&](absl::StatusOr<Result> result) {
                      if (result.ok() && result->GetText(0, 0).size() == 32 * kRepeats) ++whole;
                      ++answered;
                    });
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (answered.load() < kStatements && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(answered.load(), kStatements);
  EXPECT_EQ(whole.load(), kStatements);
}

TEST_F(PipelineTest, StatementsSubmittedWhileItConnectsWaitForTheConnection) {
  auto made = Make(PipelineFor(connect_));
  AnyPipeline& pipeline = *made;
  // No waiting for the connection first: these go in while it is being made.
  for (int64_t i = 0; i < 3; ++i) {
    auto echoed = RunOne(*pipeline, kEcho, Params().Add(i));
    ASSERT_THAT(echoed, IsOk());
    EXPECT_EQ(echoed->GetInt64(0, 0).value_or(-1), 2 * i);
  }
}

TEST_F(PipelineTest, AFailingStatementFailsAloneAndTheNextOnesStillRun) {
  PipelineOptions options = PipelineFor(connect_);
  options.connections = 1;  // all three on one connection, back to back
  auto made = Make(options);
  AnyPipeline& pipeline = *made;
  AwaitConnected(*pipeline);
  absl::Mutex mu;
  std::vector<absl::StatusOr<Result>> outcomes(3);
  std::atomic<int> answered{0};
  const auto keep = [&](int index) {
    return [&, index](absl::StatusOr<Result> result) {
      absl::MutexLock lock(&mu);
      outcomes[index] = std::move(result);
      ++answered;
    };
  };
  pipeline.Submit(kDivide, Params().Add(4), keep(0));
  pipeline.Submit(kDivide, Params().Add(0), keep(1));
  pipeline.Submit(kDivide, Params().Add(5), keep(2));
  while (answered.load() < 3) absl::SleepFor(absl::Milliseconds(1));
  absl::MutexLock lock(&mu);
  ASSERT_THAT(outcomes[0], IsOk());
  EXPECT_EQ(outcomes[0]->GetInt64(0, 0).value_or(-1), 25);
  // 22012 division_by_zero: class 22 maps to INVALID_ARGUMENT.
  EXPECT_THAT(outcomes[1], StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(outcomes[2], IsOk());
  EXPECT_EQ(outcomes[2]->GetInt64(0, 0).value_or(-1), 20);
}

TEST_F(PipelineTest, AStatementThatCannotBePreparedFailsEveryTimeWithoutHarmingOthers) {
  auto made = Make(PipelineFor(connect_));
  AnyPipeline& pipeline = *made;
  AwaitConnected(*pipeline);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(RunOne(*pipeline, kBroken, Params().Add(1)), StatusIs(absl::StatusCode::kInternal));
    EXPECT_THAT(RunOne(*pipeline, kEcho, Params().Add(int64_t{21})), IsOk());
  }
}

TEST_F(PipelineTest, FailsFastWhileTheDatabaseIsDownAndRecoversWhenItIsBack) {
  auto made = Make(PipelineFor(connect_));
  AnyPipeline& pipeline = *made;
  AwaitConnected(*pipeline);

  // A statement in flight when the server goes away fails instead of hanging.
  absl::Notification sleeper_done;
  absl::StatusOr<Result> sleeper;
  pipeline.Submit(kSleep, Params().Add(int64_t{30}), [&](absl::StatusOr<Result> result) {
    sleeper = std::move(result);
    sleeper_done.Notify();
  });
  absl::SleepFor(absl::Milliseconds(100));
  ASSERT_THAT(SharedPostgres().Stop(), IsOk());
  ASSERT_TRUE(sleeper_done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_THAT(sleeper, StatusIs(absl::StatusCode::kUnavailable));

  const absl::Time start = absl::Now();
  EXPECT_THAT(RunOne(*pipeline, kEcho, Params().Add(int64_t{1})),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("test_echo")));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));

  ASSERT_THAT(SharedPostgres().StartAgain(), IsOk());
  AwaitConnected(*pipeline);
  auto echoed = RunOne(*pipeline, kEcho, Params().Add(int64_t{8}));
  ASSERT_THAT(echoed, IsOk());
  EXPECT_EQ(echoed->GetInt64(0, 0).value_or(-1), 16);
}

TEST_F(PipelineTest, DestroyingThePipelineAnswersWhatIsStillQueued) {
  absl::Notification done;
  absl::StatusOr<Result> outcome;
  {
    auto made = Make(PipelineFor(connect_));
    AnyPipeline& pipeline = *made;
    AwaitConnected(*pipeline);
    pipeline.Submit(kSleep, Params().Add(int64_t{30}), [&](absl::StatusOr<Result> result) {
      outcome = std::move(result);
      done.Notify();
    });
  }
  ASSERT_TRUE(done.HasBeenNotified());
  EXPECT_THAT(outcome, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
}

// A statement submitted on a loop's thread: its outcome, and the loop that
// answered it.
struct RunOnLoop {
  absl::StatusOr<Result> outcome;
  int answered_on = -2;
};

RunOnLoop SubmitOnLoop(LoopPipeline& pipeline, event_loops::EventLoops& loops, int loop,
                       const Statement& statement, Params params) {
  absl::Notification done;
  RunOnLoop run;
  boost::asio::post(loops.loop(loop), [&] {
    pipeline.Submit(statement, std::move(params), [&](absl::StatusOr<Result> result) {
      run.answered_on = event_loops::EventLoops::Current();
      run.outcome = std::move(result);
      done.Notify();
    });
  });
  if (!done.WaitForNotificationWithTimeout(absl::Seconds(10))) {
    run.outcome = absl::DeadlineExceededError("no answer in 10 s");
  }
  return run;
}

// The backend that ran a kBackendRead or kBackendWrite.
int64_t Backend(const RunOnLoop& run) {
  return run.outcome.ok() ? run.outcome->GetInt64(0, 0).value_or(-1) : -1;
}

// Two loops, and a database of the test's own.
class LoopPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dsn = SharedPostgres().CreateDatabase();
    ASSERT_THAT(dsn, IsOk());
    connect_.dsn = *dsn;
  }

  ConnectOptions connect_;
  event_loops::EventLoops loops_{2};
};

TEST_F(LoopPipelineTest, AStatementSubmittedOnALoopIsSentAndAnsweredByThatLoop) {
  {
    LoopPipeline pipeline(PipelineFor(connect_), &loops_);
    AwaitConnected(pipeline);
    for (int loop = 0; loop < loops_.size(); ++loop) {
      const RunOnLoop run =
          SubmitOnLoop(pipeline, loops_, loop, kEcho, Params().Add(int64_t{loop}));
      ASSERT_THAT(run.outcome, IsOk());
      EXPECT_EQ(run.outcome->GetInt64(0, 0).value_or(-1), 2 * loop);
      EXPECT_EQ(run.answered_on, loop);
    }
  }
}

TEST_F(LoopPipelineTest, AWriteFromALoopWithoutAWritingConnectionIsRunByOneThatHasIt) {
  PipelineOptions options = PipelineFor(connect_);
  options.write_connections = 1;
  {
    LoopPipeline pipeline(options, &loops_);
    AwaitEveryConnection(pipeline, 2);
    const RunOnLoop read0 = SubmitOnLoop(pipeline, loops_, 0, kBackendRead, Params());
    const RunOnLoop read1 = SubmitOnLoop(pipeline, loops_, 1, kBackendRead, Params());
    const RunOnLoop write0 = SubmitOnLoop(pipeline, loops_, 0, kBackendWrite, Params());
    const RunOnLoop write1 = SubmitOnLoop(pipeline, loops_, 1, kBackendWrite, Params());
    ASSERT_THAT(read0.outcome, IsOk());
    EXPECT_NE(Backend(read0), Backend(read1));
    EXPECT_EQ(read1.answered_on, 1);
    EXPECT_EQ(Backend(write0), Backend(read0));
    EXPECT_EQ(write0.answered_on, 0);
    EXPECT_EQ(Backend(write1), Backend(read0));  // loop 0's connection
    EXPECT_EQ(write1.answered_on, 0);
  }
}

TEST_F(LoopPipelineTest, ItsStatsCountConnectionsUpAndStatementsNotAnsweredYet) {
  LoopPipeline pipeline(PipelineFor(connect_), &loops_);
  AwaitEveryConnection(pipeline, 2);
  EXPECT_EQ(pipeline.stats().connections, 2);
  EXPECT_EQ(pipeline.stats().up, 2);
  EXPECT_EQ(pipeline.stats().statements, 0);

  absl::Notification slept;
  pipeline.Submit(kSleep, Params().Add(int64_t{1}), [&](absl::StatusOr<Result> result) {
    EXPECT_THAT(result, IsOk());
    slept.Notify();
  });
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(pipeline.stats().statements, 1);  // sent, its answer not back
  ASSERT_TRUE(slept.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(pipeline.stats().statements, 0);
  // A statement refused at once (the database is fine; its parameters are
  // not) was never taken.
  EXPECT_THAT(SubmitOnLoop(pipeline, loops_, 0, kEcho, Params().Add("not a number")).outcome,
              Not(IsOk()));
  EXPECT_EQ(pipeline.stats().statements, 0);
}

// Statements submitted on loop 0 in one turn of it (so they are sent as one
// batch), and their outcomes once all are answered.
std::vector<absl::StatusOr<Result>> SubmitInOneTurn(
    LoopPipeline& pipeline, event_loops::EventLoops& loops,
    std::vector<std::pair<Statement, Params>> statements) {
  absl::Mutex mu;
  std::vector<absl::StatusOr<Result>> outcomes(statements.size());
  size_t answered = 0;
  bool all_answered = false;
  boost::asio::post(loops.loop(0), [&] {
    for (size_t i = 0; i < statements.size(); ++i) {
      pipeline.Submit(statements[i].first, std::move(statements[i].second),
                      [&, i](absl::StatusOr<Result> result) {
                        absl::MutexLock lock(&mu);
                        outcomes[i] = std::move(result);
                        all_answered = ++answered == outcomes.size();
                      });
    }
  });
  // No timeout: the callbacks hold references to this frame (ctest's
  // timeout ends a hang).
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(&all_answered));
  return outcomes;
}

std::string Transaction(const absl::StatusOr<Result>& outcome) {
  return outcome.ok() ? std::string(outcome->GetText(0, 0)) : "failed";
}

class SyncGroupTest : public LoopPipelineTest {
 protected:
  void SetUp() override {
    LoopPipelineTest::SetUp();
    options_ = PipelineFor(connect_);
    options_.write_connections = 0;  // loop 0's connection takes writes too
  }
  PipelineOptions options_;
};

TEST_F(SyncGroupTest, ReadsSentTogetherShareOneTransactionAndAWriteHasItsOwn) {
  LoopPipeline pipeline(options_, &loops_);
  AwaitEveryConnection(pipeline, 2);
  // Prepared first, so that no preparation starts a group of its own below.
  SubmitInOneTurn(pipeline, loops_, {{kTransactionRead, Params()}, {kTransactionWrite, Params()}});
  const std::vector<absl::StatusOr<Result>> outcomes =
      SubmitInOneTurn(pipeline, loops_,
                      {{kTransactionRead, Params()},
                       {kTransactionRead, Params()},
                       {kTransactionWrite, Params()},
                       {kTransactionRead, Params()},
                       {kTransactionRead, Params()}});
  for (const auto& outcome : outcomes) ASSERT_THAT(outcome, IsOk());
  EXPECT_EQ(Transaction(outcomes[0]), Transaction(outcomes[1]));
  EXPECT_NE(Transaction(outcomes[1]), Transaction(outcomes[2]));
  EXPECT_NE(Transaction(outcomes[2]), Transaction(outcomes[3]));
  EXPECT_EQ(Transaction(outcomes[3]), Transaction(outcomes[4]));
  EXPECT_NE(Transaction(outcomes[0]), Transaction(outcomes[3]));
}

TEST_F(SyncGroupTest, AFailingReadLeavesTheOthersInItsGroupTheirOwnAnswers) {
  LoopPipeline pipeline(options_, &loops_);
  AwaitEveryConnection(pipeline, 2);
  SubmitInOneTurn(pipeline, loops_, {{kDivide, Params().Add(1)}});  // prepared
  const std::vector<absl::StatusOr<Result>> outcomes =
      SubmitInOneTurn(pipeline, loops_,
                      {{kDivide, Params().Add(4)},
                       {kDivide, Params().Add(0)},
                       {kDivide, Params().Add(5)},
                       {kEcho, Params().Add("not a number")},
                       {kDivide, Params().Add(10)},
                       {kEcho, Params().Add(int64_t{21})}});
  ASSERT_THAT(outcomes[0], IsOk());
  EXPECT_EQ(outcomes[0]->GetInt64(0, 0).value_or(-1), 25);
  EXPECT_THAT(outcomes[1], StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(outcomes[2], IsOk());  // aborted by the division by zero, sent again
  EXPECT_EQ(outcomes[2]->GetInt64(0, 0).value_or(-1), 20);
  EXPECT_THAT(outcomes[3], StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(outcomes[4], IsOk());
  EXPECT_EQ(outcomes[4]->GetInt64(0, 0).value_or(-1), 10);
  ASSERT_THAT(outcomes[5], IsOk());
  EXPECT_EQ(outcomes[5]->GetInt64(0, 0).value_or(-1), 42);
  EXPECT_EQ(pipeline.stats().statements, 0);  // each answered once
}

TEST_F(SyncGroupTest, AReadThatCannotBePreparedFailsWithoutHarmingItsGroup) {
  LoopPipeline pipeline(options_, &loops_);
  AwaitEveryConnection(pipeline, 2);
  for (int i = 0; i < 2; ++i) {
    const std::vector<absl::StatusOr<Result>> outcomes =
        SubmitInOneTurn(pipeline, loops_,
                        {{kEcho, Params().Add(int64_t{1})},
                         {kBroken, Params().Add(1)},
                         {kEcho, Params().Add(int64_t{2})},
                         {kBroken, Params().Add(2)},
                         {kDivide, Params().Add(50)}});
    EXPECT_THAT(outcomes[0], IsOk());
    EXPECT_THAT(outcomes[1], StatusIs(absl::StatusCode::kInternal));
    ASSERT_THAT(outcomes[2], IsOk());
    EXPECT_EQ(outcomes[2]->GetInt64(0, 0).value_or(-1), 4);
    EXPECT_THAT(outcomes[3], StatusIs(absl::StatusCode::kInternal));
    ASSERT_THAT(outcomes[4], IsOk());
    EXPECT_EQ(outcomes[4]->GetInt64(0, 0).value_or(-1), 2);
  }
}

}  // namespace
}  // namespace todo::common::pg
