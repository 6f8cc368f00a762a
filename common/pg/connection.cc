#include "common/pg/connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/pg/sql_error.h"
#include "common/status/status_macros.h"

namespace todo::common::pg {
namespace {

// What every connection asks for, whatever the DSN says: later keywords win.
class ConnectParams {
 public:
  explicit ConnectParams(const ConnectOptions& options)
      : timeout_(absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(options.connect_timeout)))),
        server_options_("-c TimeZone=UTC") {
    if (options.statement_timeout > absl::ZeroDuration()) {
      absl::StrAppend(&server_options_, " -c statement_timeout=",
                      absl::ToInt64Milliseconds(options.statement_timeout));
    }
    values_ = {options.dsn.c_str(),
               timeout_.c_str(),
               options.application_name.c_str(),
               server_options_.c_str(),
               "1",
               "30",
               "10",
               nullptr};
  }
  const char* const* keywords() const { return kKeywords; }
  const char* const* values() const { return values_.data(); }

 private:
  static constexpr const char* kKeywords[] = {
      "dbname",     "connect_timeout", "application_name",    "options",
      "keepalives", "keepalives_idle", "keepalives_interval", nullptr};
  std::string timeout_;
  std::string server_options_;
  std::vector<const char*> values_;
};

}  // namespace

void QuietNotices(pg_conn* conn) {
  // libpq prints server notices on stderr by default; keep logs JSON.
  PQsetNoticeProcessor(
      conn,
      [](void*, const char* message) {
        logging::Debug("postgres_notice",
                       {{"message", absl::StripTrailingAsciiWhitespace(message)}});
      },
      nullptr);
}

absl::StatusOr<pg_conn*> ConnectLibpq(const ConnectOptions& options) {
  const ConnectParams params(options);
  pg_conn* conn = PQconnectdbParams(params.keywords(), params.values(), /*expand_dbname=*/1);
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("out of memory opening a database connection");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    absl::Status status =
        DatabaseUnavailable(absl::StrCat("cannot connect to the database: ", PQerrorMessage(conn)));
    PQfinish(conn);
    return status;
  }
  QuietNotices(conn);
  return conn;
}

absl::StatusOr<pg_conn*> StartConnectLibpq(const ConnectOptions& options) {
  const ConnectParams params(options);
  pg_conn* conn = PQconnectStartParams(params.keywords(), params.values(), /*expand_dbname=*/1);
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("out of memory opening a database connection");
  }
  if (PQstatus(conn) == CONNECTION_BAD) {
    absl::Status status =
        DatabaseUnavailable(absl::StrCat("cannot connect to the database: ", PQerrorMessage(conn)));
    PQfinish(conn);
    return status;
  }
  return conn;
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const ConnectOptions& options) {
  ASSIGN_OR_RETURN(pg_conn * conn, ConnectLibpq(options));
  return std::unique_ptr<Connection>(new Connection(conn));
}

Connection::Connection(pg_conn* conn)
    : conn_(conn), opened_at_(absl::Now()), last_used_at_(opened_at_) {}

Connection::~Connection() { PQfinish(conn_); }

absl::StatusOr<Result> Connection::Finish(pg_result* result, absl::string_view label) {
  last_used_at_ = absl::Now();
  const ExecStatusType state = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (state == PGRES_COMMAND_OK || state == PGRES_TUPLES_OK || state == PGRES_EMPTY_QUERY) {
    return Result(result);
  }
  absl::Status status = StatusFromFailure(conn_, result, label);
  PQclear(result);
  return status;
}

absl::StatusOr<Result> Connection::Execute(const Statement& statement, const Params& params) {
  RETURN_IF_ERROR(params.CheckSendable());
  const std::vector<const char*> values = params.Pointers();
  if (!prepared_.contains(statement.name)) {
    pg_result* prepared = PQprepare(conn_, statement.name, statement.sql, 0, nullptr);
    absl::StatusOr<Result> outcome = Finish(prepared, statement.name);
    if (!outcome.ok()) {
      return outcome.status();
    }
    prepared_.insert(statement.name);
  }
  pg_result* result = PQexecPrepared(conn_, statement.name, static_cast<int>(values.size()),
                                     values.data(), nullptr, nullptr, /*resultFormat=*/0);
  return Finish(result, statement.name);
}

absl::StatusOr<Result> Connection::ExecuteOnce(absl::string_view label, absl::string_view sql,
                                               const Params& params) {
  RETURN_IF_ERROR(params.CheckSendable());
  const std::vector<const char*> values = params.Pointers();
  const std::string text(sql);
  pg_result* result = PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                                   values.data(), nullptr, nullptr, /*resultFormat=*/0);
  return Finish(result, label);
}

absl::Status Connection::ExecuteScript(absl::string_view label, absl::string_view sql) {
  const std::string text(sql);
  return Finish(PQexec(conn_, text.c_str()), label).status();
}

absl::Status Connection::Ping() {
  return ExecuteScript("ping", "").ok() ? absl::OkStatus()
                                        : DatabaseUnavailable("database ping failed");
}

bool Connection::LooksAlive() {
  if (PQstatus(conn_) != CONNECTION_OK) {
    return false;
  }
  pollfd descriptor{PQsocket(conn_), POLLIN | POLLRDHUP, 0};
  const int ready = poll(&descriptor, 1, 0);
  if (ready == 0) {
    return true;  // nothing pending: the usual case for an idle connection
  }
  // The server closed its end (restart, pg_terminate_backend, idle timeout):
  // its farewell message may still be buffered, but the link is gone.
  if ((descriptor.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) {
    return false;
  }
  // Something else arrived while idle (a notice); consuming it keeps the
  // socket quiet for the next check.
  return PQconsumeInput(conn_) != 0 && PQstatus(conn_) == CONNECTION_OK;
}

bool Connection::IsReusable() const {
  return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

}  // namespace todo::common::pg
