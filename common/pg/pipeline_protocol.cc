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
  group_open_ = false;
}

bool PipelineProtocol::Send(const Statement& statement, Params params, ResultCallback& done,
                            absl::Status& refused) {
  return Queue(statement, std::move(params), done, /*alone=*/statement.writes, refused);
}

bool PipelineProtocol::Queue(const Statement& statement, Params params, ResultCallback& done,
                             bool alone, absl::Status& refused) {
  const bool needs_prepare = !prepared_.contains(statement.name);
  // A write or a preparation starts a group: nothing before it can abort it.
  bool sent = !(group_open_ && (alone || needs_prepare)) || EndGroup();
  if (sent && needs_prepare) {
    sent = PQsendPrepare(conn_, statement.name, statement.sql, 0, nullptr) == 1;
    if (sent) {
      pending_.push_back({Kind::kPrepare, statement.name, nullptr});
      prepared_.insert(statement.name);
    }
  }
  if (sent) {
    const std::vector<const char*> values = params.Pointers();
    sent = PQsendQueryPrepared(conn_, statement.name, static_cast<int>(values.size()),
                               values.data(), nullptr, nullptr, /*resultFormat=*/0) == 1;
  }
  if (!sent) {
    refused = StatusFromFailure(conn_, nullptr, statement.name);
    return false;
  }
  if (alone) {
    pending_.push_back({Kind::kQuery, statement.name, std::move(done)});
    return EndGroup();
  }
  pending_.push_back(
      {Kind::kQuery, statement.name, std::move(done), Resend{statement, std::move(params)}});
  group_open_ = true;
  return true;
}

bool PipelineProtocol::EndBatch() { return group_open_ ? EndGroup() : Flush(); }

bool PipelineProtocol::EndGroup() {
  group_open_ = false;
  if (PQpipelineSync(conn_) != 1) return false;
  pending_.push_back({Kind::kSync, "sync", nullptr});
  return Flush();  // PQpipelineSync flushed; this learns whether bytes are left
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
  std::vector<Pending> resends;
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
      if (head.outcome.has_value() || head.aborted) {
        PQclear(result);
      } else if (PQresultStatus(result) == PGRES_PIPELINE_ABORTED) {
        head.aborted = true;
        PQclear(result);
      } else {
        head.outcome = Evaluate(result, head.label);
      }
      continue;
    }
    // A null result closes the head statement's results.
    if (head.kind == Kind::kQuery) {
      Finish(head, ready, resends);
    } else if (head.aborted || !head.outcome.has_value() || !head.outcome->ok()) {
      prepared_.erase(head.label);
      logging::Error("database_prepare_failed",
                     {{"statement", head.label},
                      {"error", head.aborted               ? "not run"
                                : head.outcome.has_value() ? head.outcome->status().message()
                                                           : "no result"}});
    }
    pending_.pop_front();
  }
  // Sent again, each alone: this time only its own failure can stop it.
  for (size_t i = 0; i < resends.size(); ++i) {
    absl::Status refused;
    Pending& aborted = resends[i];
    if (Queue(aborted.resend->statement, std::move(aborted.resend->params), aborted.done,
              /*alone=*/true, refused)) {
      continue;
    }
    // The connection failed. The rest join the queue that Detach, the
    // caller's next step, fails with its reason.
    if (!refused.ok()) ready.emplace_back(std::move(aborted.done), std::move(refused));
    for (++i; i < resends.size(); ++i) pending_.push_back(std::move(resends[i]));
    return false;
  }
  return PQstatus(conn_) == CONNECTION_OK;
}

void PipelineProtocol::Finish(Pending& query, ReadyCallbacks& ready,
                              std::vector<Pending>& resends) {
  if (!query.aborted) {
    ready.emplace_back(std::move(query.done),
                       query.outcome.has_value()
                           ? *std::move(query.outcome)
                           : absl::InternalError(absl::StrCat(query.label, ": no result")));
    return;
  }
  // Its own preparation failed just before it (that erased it): sending it
  // again would fail the same way.
  if (query.resend.has_value() && prepared_.contains(query.label)) {
    resends.push_back(std::move(query));
    return;
  }
  ready.emplace_back(
      std::move(query.done),
      absl::InternalError(absl::StrCat(query.label, ": not run because its preparation failed")));
}

absl::StatusOr<Result> PipelineProtocol::Evaluate(pg_result* result, const char* label) {
  switch (PQresultStatus(result)) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
      return Result(result);
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
  group_open_ = false;
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
