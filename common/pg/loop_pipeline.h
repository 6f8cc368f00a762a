#pragma once

// Pipelined statements (see pipeline.h) on one connection per event loop,
// sent and read by the loop itself: a call served on a loop has its
// statement sent from that loop's thread and its result read by the same
// thread, which answers the call at once. No thread hand-off, no lock; the
// loop wakes once for whatever arrived together (calls and results).
//
// Connections are opened without blocking the loop (PQconnectStart), kept
// through losses like pipeline.h's: statements submitted while an attempt is
// under way wait for it, a failed attempt is retried after a growing delay
// while statements fail UNAVAILABLE at once, a lost working connection is
// reopened at once. Callbacks run on the loop and must not block.

#include <cstdint>
#include <memory>
#include <vector>

#include "common/event_loops/event_loops.h"
#include "common/pg/pipeline.h"
#include "common/pg/statement_runner.h"

namespace todo::common::pg {

class LoopConnection;

// What the pipeline's connections are doing, read from any thread.
struct LoopPipelineStats {
  int connections = 0;  // one per loop
  int up = 0;           // connected
  // Submitted and not answered yet: waiting for a connection attempt, to be
  // sent this turn, or sent and awaiting their result.
  int64_t statements = 0;
};

class LoopPipeline final : public StatementRunner {
 public:
  // One connection per loop of `loops` (`options.connections` is not used),
  // opened in the background. `loops` must outlive the pipeline.
  LoopPipeline(const PipelineOptions& options, event_loops::EventLoops* loops);
  // Fails what is queued with UNAVAILABLE and closes the connections, on
  // their loops (which must still run); returns once that is done.
  ~LoopPipeline() override;
  LoopPipeline(const LoopPipeline&) = delete;
  LoopPipeline& operator=(const LoopPipeline&) = delete;

  // On a loop's thread: on that loop's connection, sent before returning;
  // a write (Statement::writes) from a loop whose connection takes none is
  // handed to one that does, and answered on that loop. From any other
  // thread: handed to a loop that takes it, in turn.
  void Submit(const Statement& statement, Params params, ResultCallback done) override;

  LoopPipelineStats stats() const;

 private:
  event_loops::EventLoops* const loops_;
  std::vector<std::shared_ptr<LoopConnection>> connections_;  // one per loop, in order
  ConnectionChoice choice_;
};

}  // namespace todo::common::pg
