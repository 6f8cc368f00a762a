#pragma once

// Single statements from many threads over a few shared connections in
// libpq's pipeline mode, answered through callbacks.
//
// A short query costs Postgres little next to the wake-ups around it: with a
// connection per caller, every query wakes a backend and then the caller.
// Here callers queue statements on a shared connection without waiting for
// it, one backend runs them back to back, and a reader thread per connection
// hands each result to its callback in order. Each statement gets its own
// Sync, so it is its own transaction and one failure never touches another.
//
//   pipeline.Submit(kSelectTask, Params().Add(user).Add(id),
//                   [](absl::StatusOr<Result> rows) { ... });
//
// Only for statements that stand alone (autocommit); transactions belong on
// the ConnectionPool. Callbacks run on a reader thread (or on the caller's
// thread when the database is unreachable) and must not block.

#include <atomic>
#include <memory>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "common/pg/connection.h"
#include "common/pg/pipeline_protocol.h"
#include "common/pg/result.h"
#include "common/pg/statement.h"
#include "common/pg/statement_runner.h"

namespace todo::common::pg {

class PipelinedConnection;

struct PipelineOptions {
  ConnectOptions connect;
  // Connections, each one backend and one reader thread. One is fastest for
  // short reads (tasks_bench GetTask: ~20% more calls per second than with
  // two, as statements then share one backend's wake-ups); more spread heavy
  // statements over more cores.
  int connections = 1;
  // How many of the connections take statements that write
  // (Statement::writes); reads go to every one; 0 lets writes go to every one
  // as well. An insert costs Postgres several times what a read does (WAL,
  // every index, the count trigger), so a backend on every connection kept
  // busy by writes takes the CPUs that the callers and the reads need when
  // Postgres shares the machine: in one tasks_bench run on 2 CPUs, CreateTask
  // made 0.72 of pgbench's rate with writes on one of two connections and
  // 0.58 with writes on both, GetTask 0.53 either way. More suit a database
  // with cores of its own and many writers.
  int write_connections = 1;
  // Statements submitted while a connection attempt is under way (at start,
  // or right after a lost link) wait for it. When an attempt fails, the next
  // comes after this delay, doubling up to max_reconnect_delay, and statements
  // submitted in between fail UNAVAILABLE at once.
  absl::Duration min_reconnect_delay = absl::Milliseconds(50);
  absl::Duration max_reconnect_delay = absl::Seconds(2);
};

// Which of a pipeline's connections takes a statement: a write one of the
// first write_connections, a read any; among those, the next that is up, in
// turn. Shared by both pipelines; safe from any thread.
class ConnectionChoice {
 public:
  ConnectionChoice(const PipelineOptions& options, size_t connections);

  // How many connections, from the first, may take `statement`.
  size_t Candidates(const Statement& statement) const {
    return statement.writes ? writers_ : connections_;
  }

  // The index of the next candidate for which `is_up(index)` holds; when
  // none does, of the next candidate, which then answers (UNAVAILABLE, or
  // once its connection attempt ends).
  template <typename IsUp>
  size_t Next(const Statement& statement, IsUp is_up) {
    const size_t count = Candidates(statement);
    const size_t start = next_.fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 0; i < count; ++i) {
      if (is_up((start + i) % count)) return (start + i) % count;
    }
    return start % count;
  }

 private:
  const size_t connections_;
  const size_t writers_;
  std::atomic<unsigned> next_{0};
};

class Pipeline final : public StatementRunner {
 public:
  // Connects in the background; does not wait for the database.
  explicit Pipeline(PipelineOptions options);
  // Fails what is still queued with UNAVAILABLE and stops the readers.
  ~Pipeline() override;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Runs `statement` (prepared on first use on each connection) and calls
  // `done` with its result, or with the status sql_error.h maps its failure to.
  void Submit(const Statement& statement, Params params, ResultCallback done) override;

 private:
  std::vector<std::unique_ptr<PipelinedConnection>> connections_;
  ConnectionChoice choice_;
};

}  // namespace todo::common::pg
