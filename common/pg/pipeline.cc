#include "common/pg/pipeline.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/logging/log.h"
#include "common/pg/sql_error.h"

namespace todo::common::pg {

// One connection in pipeline mode. Submitters send under the mutex; the
// reader thread alone connects, reads results and closes, so the socket it
// polls never changes under it.
class PipelinedConnection {
 public:
  PipelinedConnection(const PipelineOptions& options, int index)
      : options_(options), index_(index), wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    reader_ = std::thread([this] { Run(); });
  }

  ~PipelinedConnection() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    Wake();
    reader_.join();
    close(wake_fd_);
  }

  bool connected() const { return connected_.load(std::memory_order_relaxed); }

  void Submit(const Statement& statement, Params params, ResultCallback done) {
    bool wake = false;
    absl::Status refused;  // for a statement that never got queued
    {
      absl::MutexLock lock(&mu_);
      if (conn_ == nullptr && connecting_ && !stopping_) {
        // Held until the attempt under way ends, as a pool caller would wait
        // for its connection: sent if it succeeds, failed if not.
        waiting_.push_back({statement, std::move(params), std::move(done)});
        return;
      }
      if (conn_ == nullptr || broken_) {
        refused =
            absl::UnavailableError(absl::StrCat(statement.name, ": the database is not reachable"));
      } else {
        wake = SendLocked(statement, params, done, refused);
      }
    }
    if (wake) {
      Wake();
    }
    if (!refused.ok()) {
      std::move(done)(std::move(refused));
    }
  }

 private:
  // Queues the statement and its Sync; true when the reader must wake (to
  // flush, or to close a connection that failed).
  bool SendLocked(const Statement& statement, const Params& params, ResultCallback& done,
                  absl::Status& refused) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<const char*> values;
    values.reserve(params.values().size());
    for (const auto& value : params.values()) {
      values.push_back(value.has_value() ? value->c_str() : nullptr);
    }
    bool wake = false;
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
      const int flushed = PQflush(conn_);
      sent = flushed >= 0;
      if (flushed == 1 && !want_write_) {
        want_write_ = true;
        wake = true;
      }
    }
    if (!sent) {
      // The reader fails everything queued, this statement included once
      // it is queued; one that never got queued fails at once.
      broken_ = true;
      wake = true;
      if (!queued) {
        refused = StatusFromFailure(conn_, nullptr, statement.name);
      }
    }
    return wake;
  }

  enum class Kind { kPrepare, kQuery, kSync };
  struct Pending {
    Kind kind;
    const char* label;
    ResultCallback done;  // set for kQuery only
    std::optional<absl::StatusOr<Result>> outcome = std::nullopt;
  };
  using Ready = std::vector<std::pair<ResultCallback, absl::StatusOr<Result>>>;
  struct Waiting {
    Statement statement;
    Params params;
    ResultCallback done;
  };

  void Wake() {
    const uint64_t one = 1;
    // A full counter already means "wake up"; nothing else can fail here.
    [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof one);
  }

  void DrainWakeups() {
    uint64_t count = 0;
    [[maybe_unused]] ssize_t got = read(wake_fd_, &count, sizeof count);
  }

  // Waits for a wake-up or `timeout`; false when stopping.
  bool Sleep(absl::Duration timeout) {
    pollfd wake{wake_fd_, POLLIN, 0};
    poll(&wake, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
    DrainWakeups();
    absl::MutexLock lock(&mu_);
    return !stopping_;
  }

  void Run() {
    absl::Duration delay = options_.min_reconnect_delay;
    for (;;) {
      pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {-1, 0, 0}};
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) {
          break;
        }
        if (broken_) {
          Ready failed = CloseLocked("the database connection was lost");
          mu_.Unlock();
          Deliver(failed);
          mu_.Lock();
          continue;
        }
        if (conn_ != nullptr) {
          fds[1] = {PQsocket(conn_), static_cast<short>(POLLIN | (want_write_ ? POLLOUT : 0)), 0};
        }
      }
      if (fds[1].fd < 0) {
        const bool connected = Connect();
        Ready settled = SettleWaiting();
        Deliver(settled);
        if (connected) {
          delay = options_.min_reconnect_delay;
          continue;
        }
        if (!Sleep(delay)) {
          break;
        }
        delay = std::min(delay * 2, options_.max_reconnect_delay);
        absl::MutexLock lock(&mu_);
        connecting_ = true;  // the next attempt starts now
        continue;
      }
      if (poll(fds, 2, -1) < 0 && errno != EINTR) {
        logging::Error("database_pipeline_poll_failed", {{"errno", errno}});
      }
      if (fds[0].revents != 0) {
        DrainWakeups();
      }
      if (fds[1].revents != 0) {
        Ready ready;
        {
          absl::MutexLock lock(&mu_);
          ReadLocked(fds[1].revents, ready);
        }
        Deliver(ready);
      }
    }
    Ready failed;
    {
      absl::MutexLock lock(&mu_);
      failed = CloseLocked("the service is shutting down");
    }
    Deliver(failed);
  }

  // True once connected and in pipeline mode.
  bool Connect() {
    absl::StatusOr<pg_conn*> conn = ConnectLibpq(options_.connect);
    if (conn.ok() && (PQenterPipelineMode(*conn) != 1 || PQsetnonblocking(*conn, 1) != 0)) {
      const std::string error(absl::StripTrailingAsciiWhitespace(PQerrorMessage(*conn)));
      PQfinish(*conn);
      conn = absl::InternalError(absl::StrCat("cannot enter pipeline mode: ", error));
    }
    if (!conn.ok()) {
      if (!reported_down_) {
        logging::Warning("database_pipeline_down",
                         {{"connection", index_}, {"error", conn.status().message()}});
        reported_down_ = true;
      }
      return false;
    }
    absl::MutexLock lock(&mu_);
    conn_ = *conn;
    prepared_.clear();
    want_write_ = false;
    connected_ = true;
    reported_down_ = false;
    logging::Debug("database_pipeline_connected", {{"connection", index_}});
    return true;
  }

  // Ends a connection attempt: what waited for it is sent now, or, when the
  // attempt failed, returned to be failed.
  Ready SettleWaiting() {
    Ready failed;
    bool wake = false;
    {
      absl::MutexLock lock(&mu_);
      connecting_ = false;
      for (Waiting& waiting : waiting_) {
        absl::Status refused = absl::UnavailableError(
            absl::StrCat(waiting.statement.name, ": the database is not reachable"));
        if (conn_ != nullptr && !broken_) {
          refused = absl::OkStatus();
          wake = SendLocked(waiting.statement, waiting.params, waiting.done, refused) || wake;
        }
        if (!refused.ok()) {
          failed.emplace_back(std::move(waiting.done), std::move(refused));
        }
      }
      waiting_.clear();
    }
    if (wake) {
      Wake();
    }
    return failed;
  }

  void ReadLocked(short revents, Ready& ready) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if ((revents & POLLOUT) != 0 || want_write_) {
      const int flushed = PQflush(conn_);
      if (flushed < 0) {
        broken_ = true;
        return;
      }
      want_write_ = flushed == 1;
    }
    if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
      return;
    }
    if (PQconsumeInput(conn_) != 1) {
      broken_ = true;
      return;
    }
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
    if (PQstatus(conn_) != CONNECTION_OK) {
      broken_ = true;
    }
  }

  absl::StatusOr<Result> Evaluate(pg_result* result, const char* label) {
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

  // Closes the connection and takes every queued callback, to be failed.
  Ready CloseLocked(absl::string_view why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Ready failed;
    for (Pending& pending : pending_) {
      if (pending.kind == Kind::kQuery) {
        failed.emplace_back(std::move(pending.done),
                            absl::UnavailableError(absl::StrCat(pending.label, ": ", why)));
      }
    }
    pending_.clear();
    for (Waiting& waiting : waiting_) {
      failed.emplace_back(std::move(waiting.done),
                          absl::UnavailableError(absl::StrCat(waiting.statement.name, ": ", why)));
    }
    waiting_.clear();
    // A lost link is retried at once, so new statements wait for that attempt.
    connecting_ = !stopping_;
    if (conn_ != nullptr) {
      if (!stopping_) {
        logging::Warning("database_pipeline_lost",
                         {{"connection", index_},
                          {"error", absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn_))}});
      }
      PQfinish(conn_);
      conn_ = nullptr;
    }
    connected_ = false;
    broken_ = false;
    want_write_ = false;
    return failed;
  }

  static void Deliver(Ready& ready) {
    for (auto& [done, outcome] : ready) {
      std::move(done)(std::move(outcome));
    }
    ready.clear();
  }

  const PipelineOptions options_;
  const int index_;
  const int wake_fd_;
  std::atomic<bool> connected_{false};
  bool reported_down_ = false;  // reader thread only
  absl::Mutex mu_;
  pg_conn* conn_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::deque<Pending> pending_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> prepared_ ABSL_GUARDED_BY(mu_);
  bool want_write_ ABSL_GUARDED_BY(mu_) = false;
  // A connection attempt is under way (or about to start): statements wait.
  bool connecting_ ABSL_GUARDED_BY(mu_) = true;
  std::vector<Waiting> waiting_ ABSL_GUARDED_BY(mu_);
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;
};

Pipeline::Pipeline(PipelineOptions options) {
  const int count = std::max(1, options.connections);
  for (int i = 0; i < count; ++i) {
    connections_.push_back(std::make_unique<PipelinedConnection>(options, i));
  }
}

Pipeline::~Pipeline() = default;

void Pipeline::Submit(const Statement& statement, Params params, ResultCallback done) {
  // Round robin over the connections that are up; when none is, the first
  // one answers UNAVAILABLE at once.
  const size_t count = connections_.size();
  const size_t start = next_.fetch_add(1, std::memory_order_relaxed);
  PipelinedConnection* chosen = connections_[start % count].get();
  for (size_t i = 0; i < count && !chosen->connected(); ++i) {
    chosen = connections_[(start + i) % count].get();
  }
  chosen->Submit(statement, std::move(params), std::move(done));
}

}  // namespace todo::common::pg
