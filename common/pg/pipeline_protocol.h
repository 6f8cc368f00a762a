#pragma once

// The statement bookkeeping of one libpq connection in pipeline mode,
// driven by the event loop that owns it (loop_pipeline.h): statements are prepared on first use,
// each is followed by its own Sync (so it is its own transaction and one failure never touches
// another), and results are matched to their callbacks in order. Not thread-safe: its owner
// serializes calls.

#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "common/pg/result.h"
#include "common/pg/statement.h"

struct pg_conn;

namespace todo::common::pg {

using ResultCallback = absl::AnyInvocable<void(absl::StatusOr<Result>) &&>;
// Callbacks with their outcomes, to be run once no lock is held.
using ReadyCallbacks = std::vector<std::pair<ResultCallback, absl::StatusOr<Result>>>;

class PipelineProtocol {
 public:
  // A new connection, already in pipeline mode and non-blocking: nothing
  // prepared or pending on it.
  void Attach(pg_conn* conn);
  pg_conn* conn() const { return conn_; }

  // Queues `statement` and its Sync, and sends what the socket takes: libpq
  // (15) writes at every Sync, so a caller that wants several statements in
  // one segment corks the socket around them. False when the connection
  // failed: `done` is then either queued (Detach fails it) or, when it never
  // got queued, left to the caller with `refused` set.
  bool Send(const Statement& statement, const Params& params, ResultCallback& done,
            absl::Status& refused);
  // Sends what the socket takes; false when the connection failed.
  bool Flush();
  // Unsent bytes remain: the socket must be watched for writing.
  bool want_write() const { return want_write_; }

  // Flushes (when writable) and reads (when readable); finished statements'
  // callbacks go to `ready`. False when the connection failed.
  bool OnSocketReady(bool readable, bool writable, ReadyCallbacks& ready);

  // Takes every queued callback, failed UNAVAILABLE with `why`, and forgets
  // the connection (the caller closes it).
  ReadyCallbacks Detach(absl::string_view why);

 private:
  enum class Kind { kPrepare, kQuery, kSync };
  struct Pending {
    Kind kind;
    const char* label;
    ResultCallback done;  // set for kQuery only
    std::optional<absl::StatusOr<Result>> outcome = std::nullopt;
  };

  absl::StatusOr<Result> Evaluate(struct pg_result* result, const char* label);

  pg_conn* conn_ = nullptr;
  std::deque<Pending> pending_;
  absl::flat_hash_set<std::string> prepared_;
  bool want_write_ = false;
};

// Calls each callback with its outcome.
void Deliver(ReadyCallbacks& ready);

}  // namespace todo::common::pg
