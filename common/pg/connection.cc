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

struct ParamArrays {
  std::vector<const char*> values;
  explicit ParamArrays(const Params& params) {
    values.reserve(params.values().size());
    for (const auto& value : params.values()) {
      values.push_back(value.has_value() ? value->c_str() : nullptr);
    }
  }
  int count() const { return static_cast<int>(values.size()); }
  const char* const* data() const { return values.empty() ? nullptr : values.data(); }
};

}  // namespace

absl::StatusOr<pg_conn*> ConnectLibpq(const ConnectOptions& options) {
  const std::string timeout =
      absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(options.connect_timeout)));
  std::string server_options = "-c TimeZone=UTC";
  if (options.statement_timeout > absl::ZeroDuration()) {
    absl::StrAppend(&server_options,
                    " -c statement_timeout=", absl::ToInt64Milliseconds(options.statement_timeout));
  }
  // Later keywords win over what the DSN says, so these settings always hold.
  const char* keywords[] = {"dbname",     "connect_timeout", "application_name",    "options",
                            "keepalives", "keepalives_idle", "keepalives_interval", nullptr};
  const char* values[] = {options.dsn.c_str(),
                          timeout.c_str(),
                          options.application_name.c_str(),
                          server_options.c_str(),
                          "1",
                          "30",
                          "10",
                          nullptr};
  pg_conn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("out of memory opening a database connection");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat("cannot connect to the database: ", PQerrorMessage(conn)));
    PQfinish(conn);
    return status;
  }
  // libpq prints server notices on stderr by default; keep logs JSON.
  PQsetNoticeProcessor(
      conn,
      [](void*, const char* message) {
        logging::Debug("postgres_notice",
                       {{"message", absl::StripTrailingAsciiWhitespace(message)}});
      },
      nullptr);
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
  const ParamArrays arrays(params);
  if (!prepared_.contains(statement.name)) {
    pg_result* prepared = PQprepare(conn_, statement.name, statement.sql, 0, nullptr);
    absl::StatusOr<Result> outcome = Finish(prepared, statement.name);
    if (!outcome.ok()) {
      return outcome.status();
    }
    prepared_.insert(statement.name);
  }
  pg_result* result = PQexecPrepared(conn_, statement.name, arrays.count(), arrays.data(), nullptr,
                                     nullptr, /*resultFormat=*/0);
  return Finish(result, statement.name);
}

absl::StatusOr<Result> Connection::ExecuteOnce(absl::string_view label, absl::string_view sql,
                                               const Params& params) {
  const ParamArrays arrays(params);
  const std::string text(sql);
  pg_result* result = PQexecParams(conn_, text.c_str(), arrays.count(), nullptr, arrays.data(),
                                   nullptr, nullptr, /*resultFormat=*/0);
  return Finish(result, label);
}

absl::Status Connection::ExecuteScript(absl::string_view label, absl::string_view sql) {
  const std::string text(sql);
  return Finish(PQexec(conn_, text.c_str()), label).status();
}

absl::Status Connection::Ping() {
  return ExecuteScript("ping", "").ok() ? absl::OkStatus()
                                        : absl::UnavailableError("database ping failed");
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
