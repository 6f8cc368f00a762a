#pragma once

// The statement bookkeeping of one libpq connection in pipeline mode,
// driven by the event loop that owns it (loop_pipeline.h): statements are
// prepared on first use and results are matched to their callbacks in order.
//
// Sync groups. The reads of one batch share a Sync: Postgres runs them as one
// implicit transaction and answers them all in one write (it flushes at each
// Sync), instead of one write, one wake-up of the caller and one recv each.
// An error aborts the reads after it in the group, so those are sent again,
// each with a Sync of its own: every read still gets its own answer, whatever
// the others do. A write always gets a Sync of its own (the group before it
// is closed first), so it is its own transaction and no other statement's
// failure rolls it back after its result reported success. A preparation
// also starts a group, so nothing before it can abort it. Not thread-safe:
// its owner serializes calls.

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

  // Queues `statement`: a read joins the open group, a write is sent with
  // its own Sync (see above). libpq (15) writes to the socket at every Sync,
  // so a caller sending writes among other statements corks the socket
  // around them. False when the connection failed: `done` is then either
  // queued (Detach fails it) or, when it never got queued, left to the
  // caller with `refused` set.
  bool Send(const Statement& statement, Params params, ResultCallback& done, absl::Status& refused);
  // Ends a batch: closes the open group with its Sync and sends what the
  // socket takes. False when the connection failed.
  bool EndBatch();
  // Unsent bytes remain: the socket must be watched for writing.
  bool want_write() const { return want_write_; }

  // Flushes (when writable) and reads (when readable); finished statements'
  // callbacks go to `ready`. False when the connection failed: every other
  // callback is then queued, for Detach to fail.
  bool OnSocketReady(bool readable, bool writable, ReadyCallbacks& ready);

  // Takes every queued callback, failed UNAVAILABLE with `why`, and forgets
  // the connection (the caller closes it).
  ReadyCallbacks Detach(absl::string_view why);

 private:
  enum class Kind { kPrepare, kQuery, kSync };
  // A read in a group, kept until its answer: it is sent again, alone, when
  // an earlier statement's failure aborts it.
  struct Resend {
    Statement statement;
    Params params;
  };
  struct Pending {
    Kind kind;
    const char* label;
    ResultCallback done;  // set for kQuery only
    std::optional<Resend> resend = std::nullopt;
    std::optional<absl::StatusOr<Result>> outcome = std::nullopt;
    bool aborted = false;  // not run: an earlier statement of its group failed
  };

  bool Queue(const Statement& statement, Params params, ResultCallback& done, bool alone,
             absl::Status& refused);
  bool EndGroup();
  // Sends what the socket takes; false when the connection failed.
  bool Flush();
  // A query whose results are all read: its answer goes to `ready`, or the
  // query to `resends` when a failure before it in its group aborted it.
  void Finish(Pending& query, ReadyCallbacks& ready, std::vector<Pending>& resends);
  absl::StatusOr<Result> Evaluate(struct pg_result* result, const char* label);

  pg_conn* conn_ = nullptr;
  std::deque<Pending> pending_;
  absl::flat_hash_set<std::string> prepared_;
  bool want_write_ = false;
  bool group_open_ = false;  // reads queued since the last Sync
};

// Calls each callback with its outcome.
void Deliver(ReadyCallbacks& ready);

}  // namespace todo::common::pg
