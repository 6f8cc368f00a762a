#pragma once

// What a statement pipeline (loop_pipeline.h) is configured with, and how it
// picks a connection for a statement.
//
// A short query costs Postgres little next to the wake-ups around it: with a
// connection per caller, every query wakes a backend and then the caller.
// In libpq's pipeline mode callers queue statements on a shared connection
// without waiting for it and one backend runs them back to back. The reads
// sent together share a Sync and come back in one write; a write gets a Sync
// of its own, so it is its own transaction; one statement's failure never
// changes another's answer (pipeline_protocol.h). Only for statements that
// stand alone (autocommit); transactions belong on the ConnectionPool.

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

struct PipelineOptions {
  ConnectOptions connect;
  // Connections, each one backend (LoopPipeline: one per event loop, this
  // is unused there).
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

}  // namespace todo::common::pg
