#pragma once

// Runs single statements that stand alone (autocommit) and answers through
// callbacks: what a store needs for its hottest calls, whichever pipeline
// runs them (pipeline.h from any thread, loop_pipeline.h from event loops).

#include "common/pg/pipeline_protocol.h"
#include "common/pg/statement.h"

namespace todo::common::pg {

class StatementRunner {
 public:
  virtual ~StatementRunner() = default;
  // Runs `statement` and calls `done` with its result, or with the status
  // sql_error.h maps its failure to. `done` must not block.
  virtual void Submit(const Statement& statement, Params params, ResultCallback done) = 0;
};

}  // namespace todo::common::pg
