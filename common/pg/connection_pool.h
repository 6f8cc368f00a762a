#pragma once

// A bounded pool of Postgres connections, with SQLAlchemy's knobs:
//   size          connections kept open when idle (DB_POOL_SIZE, default 10)
//   max_overflow  extra connections opened under load and closed when returned
//                 (DB_POOL_MAX_OVERFLOW, default 5)
//   checkout_timeout  how long Checkout waits for a free connection
//                 (DB_POOL_TIMEOUT_S, default 30); then UNAVAILABLE
//   recycle       connections older than this are closed instead of reused
//                 (DB_POOL_RECYCLE_S, default 3600)
//   pre-ping      a checked-out connection is verified first: always without a
//                 round trip (socket check), and with one when it sat idle for
//                 longer than pre_ping_after_idle
//
// When the server is away, callers get UNAVAILABLE at once; new connection
// attempts are then spaced by an exponential backoff (capped), so a dead
// database is not hammered and the pool recovers by itself once it is back.
// Thread-safe.

#include <cstdint>
#include <deque>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/pg/connection.h"

namespace todo::common::pg {

struct PoolOptions {
  ConnectOptions connect;
  int size = 10;
  int max_overflow = 5;
  absl::Duration checkout_timeout = absl::Seconds(30);
  absl::Duration recycle = absl::Seconds(3600);
  absl::Duration pre_ping_after_idle = absl::Seconds(1);
  absl::Duration reconnect_backoff_initial = absl::Milliseconds(50);
  absl::Duration reconnect_backoff_max = absl::Seconds(2);
};

class ConnectionPool;

// Exclusive use of one connection; returns it to the pool when destroyed.
class PooledConnection {
 public:
  PooledConnection(PooledConnection&& other) noexcept;
  PooledConnection& operator=(PooledConnection&&) = delete;
  ~PooledConnection();

  Connection* operator->() const { return connection_.get(); }
  Connection& operator*() const { return *connection_; }

 private:
  friend class ConnectionPool;
  PooledConnection(ConnectionPool* pool, std::unique_ptr<Connection> connection);

  ConnectionPool* pool_;
  std::unique_ptr<Connection> connection_;
};

struct PoolStats {
  int open = 0;  // connections that exist (idle + in use + being opened)
  int idle = 0;
  int waiting = 0;  // callers blocked in Checkout
};

class ConnectionPool {
 public:
  explicit ConnectionPool(PoolOptions options);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A live connection, or UNAVAILABLE: the database cannot be reached, or none
  // became free within checkout_timeout.
  absl::StatusOr<PooledConnection> Checkout();
  // Like Checkout, with a deadline of its own.
  absl::StatusOr<PooledConnection> Checkout(absl::Duration timeout);

  PoolStats stats() const;
  const PoolOptions& options() const { return options_; }

 private:
  friend class PooledConnection;
  void Return(std::unique_ptr<Connection> connection);
  // Whether an idle connection may be handed out again.
  bool Validate(Connection& connection);
  absl::StatusOr<std::unique_ptr<Connection>> OpenWithBackoff();

  const PoolOptions options_;
  mutable absl::Mutex mutex_;
  absl::CondVar released_;
  std::deque<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mutex_);
  int open_ ABSL_GUARDED_BY(mutex_) = 0;
  int waiting_ ABSL_GUARDED_BY(mutex_) = 0;
  // Reconnect backoff while the server is unreachable.
  absl::Time next_connect_attempt_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  absl::Duration backoff_ ABSL_GUARDED_BY(mutex_) = absl::ZeroDuration();
  absl::Status last_connect_error_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace todo::common::pg
