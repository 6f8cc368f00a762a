#include "common/pg/connection_pool.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/pg/sql_error.h"

namespace todo::common::pg {

PooledConnection::PooledConnection(ConnectionPool* pool, std::unique_ptr<Connection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)) {}

PooledConnection::~PooledConnection() {
  if (connection_ != nullptr) {
    pool_->Return(std::move(connection_));
  }
}

ConnectionPool::ConnectionPool(PoolOptions options) : options_(std::move(options)) {}

ConnectionPool::~ConnectionPool() {
  absl::MutexLock lock(&mutex_);
  idle_.clear();
}

absl::StatusOr<PooledConnection> ConnectionPool::Checkout() {
  return Checkout(options_.checkout_timeout);
}

absl::StatusOr<PooledConnection> ConnectionPool::Checkout(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  const int capacity = options_.size + options_.max_overflow;
  while (true) {
    std::unique_ptr<Connection> candidate;
    bool may_open = false;
    {
      absl::MutexLock lock(&mutex_);
      ++waiting_;
      while (idle_.empty() && open_ >= capacity) {
        if (released_.WaitWithDeadline(&mutex_, deadline) && absl::Now() >= deadline) {
          if (idle_.empty() && open_ >= capacity) {
            --waiting_;
            return DatabaseUnavailable(absl::StrCat("no database connection became free within ",
                                                    absl::FormatDuration(timeout), " (pool of ",
                                                    capacity, ")"));
          }
        }
      }
      --waiting_;
      if (!idle_.empty()) {
        // Most recently used first: it is the likeliest to be warm and alive.
        candidate = std::move(idle_.back());
        idle_.pop_back();
      } else {
        ++open_;
        may_open = true;
      }
    }
    if (may_open) {
      absl::StatusOr<std::unique_ptr<Connection>> opened = OpenWithBackoff();
      if (!opened.ok()) {
        absl::MutexLock lock(&mutex_);
        --open_;
        released_.Signal();
        return opened.status();
      }
      return PooledConnection(this, *std::move(opened));
    }
    if (Validate(*candidate)) {
      return PooledConnection(this, std::move(candidate));
    }
    // A dead or stale connection: drop it and try again.
    candidate.reset();
    absl::MutexLock lock(&mutex_);
    --open_;
  }
}

bool ConnectionPool::Validate(Connection& connection) {
  const absl::Time now = absl::Now();
  if (now - connection.opened_at() > options_.recycle) {
    return false;
  }
  if (!connection.LooksAlive()) {
    return false;
  }
  if (now - connection.last_used_at() > options_.pre_ping_after_idle) {
    return connection.Ping().ok();
  }
  return true;
}

absl::StatusOr<std::unique_ptr<Connection>> ConnectionPool::OpenWithBackoff() {
  {
    absl::MutexLock lock(&mutex_);
    if (absl::Now() < next_connect_attempt_) {
      return DatabaseUnavailable(
          absl::StrCat("database unreachable (retrying shortly): ", last_connect_error_.message()));
    }
  }
  absl::StatusOr<std::unique_ptr<Connection>> opened = Connection::Open(options_.connect);
  absl::MutexLock lock(&mutex_);
  if (opened.ok()) {
    if (backoff_ > absl::ZeroDuration()) {
      logging::Info("database_reconnected");
    }
    backoff_ = absl::ZeroDuration();
    next_connect_attempt_ = absl::InfinitePast();
    return opened;
  }
  backoff_ = std::min(options_.reconnect_backoff_max, backoff_ == absl::ZeroDuration()
                                                          ? options_.reconnect_backoff_initial
                                                          : backoff_ * 2);
  next_connect_attempt_ = absl::Now() + backoff_;
  last_connect_error_ = opened.status();
  logging::Warning("database_connect_failed",
                   {{"error", std::string(opened.status().message())},
                    {"retry_in_ms", absl::ToInt64Milliseconds(backoff_)}});
  return opened.status();
}

void ConnectionPool::Return(std::unique_ptr<Connection> connection) {
  const bool reusable =
      connection->IsReusable() && absl::Now() - connection->opened_at() <= options_.recycle;
  std::unique_ptr<Connection> to_close;
  {
    absl::MutexLock lock(&mutex_);
    // Overflow connections (beyond `size` kept idle) are closed on return,
    // unless callers are waiting: closing one then only makes a waiter open
    // a new one (a Postgres fork) a moment later.
    const int idle = static_cast<int>(idle_.size());
    if (reusable && (idle < options_.size || idle < waiting_)) {
      idle_.push_back(std::move(connection));
    } else {
      --open_;
      to_close = std::move(connection);
    }
    released_.Signal();
  }
  // Closing talks to the server; never under the lock.
  to_close.reset();
}

PoolStats ConnectionPool::stats() const {
  absl::MutexLock lock(&mutex_);
  return PoolStats{open_, static_cast<int>(idle_.size()), waiting_};
}

}  // namespace todo::common::pg
