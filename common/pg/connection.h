#pragma once

// One libpq connection. Not thread-safe: a connection is used by one thread
// at a time (the pool hands it out exclusively).

#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/pg/result.h"
#include "common/pg/statement.h"

struct pg_conn;

namespace todo::common::pg {

struct ConnectOptions {
  // libpq connection string or postgresql:// URL.
  std::string dsn;
  absl::Duration connect_timeout = absl::Seconds(5);
  std::string application_name = "todo-grpc";
  // Server-side limit for each statement; zero means none.
  absl::Duration statement_timeout = absl::ZeroDuration();
};

// A new libpq connection with the settings every connection here has
// (TimeZone=UTC, statement_timeout, keepalives, notices to the log). The caller
// owns it (PQfinish). UNAVAILABLE when the server cannot be reached.
absl::StatusOr<pg_conn*> ConnectLibpq(const ConnectOptions& options);

// The same without waiting: the attempt is under way (drive it with
// PQconnectPoll, then call QuietNotices once connected).
absl::StatusOr<pg_conn*> StartConnectLibpq(const ConnectOptions& options);
void QuietNotices(pg_conn* conn);

class Connection {
 public:
  // Connects with TimeZone=UTC so timestamptz text is always in UTC.
  // UNAVAILABLE when the server cannot be reached.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `statement`, preparing it on first use on this connection. Errors are
  // mapped by sql_error.h.
  absl::StatusOr<Result> Execute(const Statement& statement, const Params& params = Params());
  // Runs one unprepared statement with parameters (for one-off SQL).
  absl::StatusOr<Result> ExecuteOnce(absl::string_view label, absl::string_view sql,
                                     const Params& params = Params());
  // Runs SQL text that may hold several statements and no parameters
  // (migrations, BEGIN/COMMIT).
  absl::Status ExecuteScript(absl::string_view label, absl::string_view sql);

  // A round trip to the server.
  absl::Status Ping();
  // Without a round trip: false when the server has closed the link (a
  // restart or an administrator's kill leaves the socket readable at EOF).
  bool LooksAlive();
  // False after a lost link or while a transaction is open or failed.
  bool IsReusable() const;

  absl::Time opened_at() const { return opened_at_; }
  absl::Time last_used_at() const { return last_used_at_; }

 private:
  explicit Connection(pg_conn* conn);
  absl::StatusOr<Result> Finish(pg_result* result, absl::string_view label);

  pg_conn* conn_;
  absl::flat_hash_set<std::string> prepared_;
  absl::Time opened_at_;
  absl::Time last_used_at_;
};

}  // namespace todo::common::pg
