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
#include "common/pg/pipeline_protocol.h"
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
      if (protocol_.conn() == nullptr && connecting_ && !stopping_) {
        // Held until the attempt under way ends, as a pool caller would wait
        // for its connection: sent if it succeeds, failed if not.
        waiting_.push_back({statement, std::move(params), std::move(done)});
        return;
      }
      if (protocol_.conn() == nullptr || broken_) {
        refused =
            DatabaseUnavailable(absl::StrCat(statement.name, ": the database is not reachable"));
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
    const bool was_writing = protocol_.want_write();
    if (!protocol_.Send(statement, params, done, refused)) {
      // The reader fails everything queued, this statement included once
      // it is queued; one that never got queued fails at once.
      broken_ = true;
      return true;
    }
    return protocol_.want_write() && !was_writing;
  }

  using Ready = ReadyCallbacks;
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
        if (protocol_.conn() != nullptr) {
          fds[1] = {PQsocket(protocol_.conn()),
                    static_cast<short>(POLLIN | (protocol_.want_write() ? POLLOUT : 0)), 0};
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
    protocol_.Attach(*conn);
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
        absl::Status refused = DatabaseUnavailable(
            absl::StrCat(waiting.statement.name, ": the database is not reachable"));
        if (protocol_.conn() != nullptr && !broken_) {
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
    if (!protocol_.OnSocketReady((revents & (POLLIN | POLLHUP | POLLERR)) != 0,
                                 (revents & POLLOUT) != 0, ready)) {
      broken_ = true;
    }
  }

  // Closes the connection and takes every queued callback, to be failed.
  Ready CloseLocked(absl::string_view why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    pg_conn* conn = protocol_.conn();
    Ready failed = protocol_.Detach(why);
    for (Waiting& waiting : waiting_) {
      failed.emplace_back(std::move(waiting.done),
                          DatabaseUnavailable(absl::StrCat(waiting.statement.name, ": ", why)));
    }
    waiting_.clear();
    // A lost link is retried at once, so new statements wait for that attempt.
    connecting_ = !stopping_;
    if (conn != nullptr) {
      if (!stopping_) {
        logging::Warning("database_pipeline_lost",
                         {{"connection", index_},
                          {"error", absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn))}});
      }
      PQfinish(conn);
    }
    connected_ = false;
    broken_ = false;
    return failed;
  }

  const PipelineOptions options_;
  const int index_;
  const int wake_fd_;
  std::atomic<bool> connected_{false};
  bool reported_down_ = false;  // reader thread only
  absl::Mutex mu_;
  PipelineProtocol protocol_ ABSL_GUARDED_BY(mu_);
  // A connection attempt is under way (or about to start): statements wait.
  bool connecting_ ABSL_GUARDED_BY(mu_) = true;
  std::vector<Waiting> waiting_ ABSL_GUARDED_BY(mu_);
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;
};

ConnectionChoice::ConnectionChoice(const PipelineOptions& options, size_t connections)
    : connections_(connections),
      writers_(options.write_connections <= 0
                   ? connections
                   : std::min(static_cast<size_t>(options.write_connections), connections)) {}

Pipeline::Pipeline(PipelineOptions options)
    : choice_(options, static_cast<size_t>(std::max(1, options.connections))) {
  const int count = std::max(1, options.connections);
  for (int i = 0; i < count; ++i) {
    connections_.push_back(std::make_unique<PipelinedConnection>(options, i));
  }
}

Pipeline::~Pipeline() = default;

void Pipeline::Submit(const Statement& statement, Params params, ResultCallback done) {
  if (absl::Status sendable = params.CheckSendable(); !sendable.ok()) {
    std::move(done)(std::move(sendable));
    return;
  }
  const size_t chosen =
      choice_.Next(statement, [this](size_t i) { return connections_[i]->connected(); });
  connections_[chosen]->Submit(statement, std::move(params), std::move(done));
}

}  // namespace todo::common::pg
