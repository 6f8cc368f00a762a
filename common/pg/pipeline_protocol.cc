#include "common/pg/pipeline_protocol.h"

#include <libpq-fe.h>

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/pg/sql_error.h"

namespace todo::common::pg {

void PipelineProtocol::Attach(pg_conn* conn) {
  conn_ = conn;
  pending_.clear();
  prepared_.clear();
  want_write_ = false;
}

bool PipelineProtocol::Send(const Statement& statement, const Params& params, ResultCallback& done,
                            absl::Status& refused) {
  const std::vector<const char*> values = params.Pointers();
  bool sent = true;
  if (!prepared_.contains(statement.name)) {
    sent = PQsendPrepare(conn_, statement.name, statement.sql, 0, nullptr) == 1;
    if (sent) {
      pending_.push_back({Kind::kPrepare, statement.name, nullptr});
      prepared_.insert(statement.name);
    }
  }
  sent = sent && PQsendQueryPrepared(conn_, statement.name, static_cast<int>(values.size()),
                                     values.data(), nullptr, nullptr, /*resultFormat=*/0) == 1;
  bool queued = false;
  if (sent) {
    pending_.push_back({Kind::kQuery, statement.name, std::move(done)});
    queued = true;
    sent = PQpipelineSync(conn_) == 1;
  }
  if (sent) {
    pending_.push_back({Kind::kSync, "sync", nullptr});
    sent = Flush();  // PQpipelineSync flushed; this learns whether bytes are left
  }
  if (!sent && !queued) {
    refused = StatusFromFailure(conn_, nullptr, statement.name);
  }
  return sent;
}

bool PipelineProtocol::Flush() {
  const int flushed = PQflush(conn_);
  want_write_ = flushed == 1;
  return flushed >= 0;
}

bool PipelineProtocol::OnSocketReady(bool readable, bool writable, ReadyCallbacks& ready) {
  if ((writable || want_write_) && !Flush()) return false;
  if (!readable) return true;
  if (PQconsumeInput(conn_) != 1) return false;
  while (!pending_.empty() && PQisBusy(conn_) == 0) {
    Pending& head = pending_.front();
    pg_result* result = PQgetResult(conn_);
    if (head.kind == Kind::kSync) {
      if (result == nullptr) {
        break;  // not expected: a Sync answers with a result of its own
      }
      PQclear(result);
      pending_.pop_front();
      continue;
    }
    if (result != nullptr) {
      if (!head.outcome.has_value()) {
        head.outcome = Evaluate(result, head.label);
      } else {
        PQclear(result);
      }
      continue;
    }
    // A null result closes the head statement's results.
    if (head.kind == Kind::kQuery) {
      ready.emplace_back(std::move(head.done),
                         head.outcome.has_value()
                             ? *std::move(head.outcome)
                             : absl::InternalError(absl::StrCat(head.label, ": no result")));
    } else if (!head.outcome.has_value() || !head.outcome->ok()) {
      prepared_.erase(head.label);
      logging::Error(
          "database_prepare_failed",
          {{"statement", head.label},
           {"error", head.outcome.has_value() ? head.outcome->status().message() : "no result"}});
    }
    pending_.pop_front();
  }
  return PQstatus(conn_) == CONNECTION_OK;
}

absl::StatusOr<Result> PipelineProtocol::Evaluate(pg_result* result, const char* label) {
  switch (PQresultStatus(result)) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
      return Result(result);
    case PGRES_PIPELINE_ABORTED:
      PQclear(result);
      return absl::InternalError(absl::StrCat(label, ": not run because its preparation failed"));
    default: {
      absl::Status status = StatusFromFailure(conn_, result, label);
      PQclear(result);
      return status;
    }
  }
}

ReadyCallbacks PipelineProtocol::Detach(absl::string_view why) {
  ReadyCallbacks failed;
  for (Pending& pending : pending_) {
    if (pending.kind == Kind::kQuery) {
      failed.emplace_back(std::move(pending.done),
                          DatabaseUnavailable(absl::StrCat(pending.label, ": ", why)));
    }
  }
  pending_.clear();
  prepared_.clear();
  want_write_ = false;
  conn_ = nullptr;
  return failed;
}

void Deliver(ReadyCallbacks& ready) {
  for (auto& [done, outcome] : ready) {
    std::move(done)(std::move(outcome));
  }
  ready.clear();
}

}  // namespace todo::common::pg
