#include "common/pg/sql_error.h"

#include <libpq-fe.h>

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/client_status.h"

namespace todo::common::pg {
namespace {

constexpr char kSqlStatePayload[] = "todo.pg/sqlstate";

}  // namespace

absl::StatusCode StatusCodeForSqlState(absl::string_view sqlstate) {
  if (sqlstate == "23505") return absl::StatusCode::kAlreadyExists;
  if (sqlstate == "23503") return absl::StatusCode::kFailedPrecondition;
  if (sqlstate == "23514" || sqlstate == "23502" || absl::StartsWith(sqlstate, "22")) {
    return absl::StatusCode::kInvalidArgument;
  }
  if (sqlstate == "40001" || sqlstate == "40P01") return absl::StatusCode::kAborted;
  if (sqlstate == "57014") return absl::StatusCode::kDeadlineExceeded;
  if (absl::StartsWith(sqlstate, "08") || absl::StartsWith(sqlstate, "57P") ||
      sqlstate == "53300") {
    return absl::StatusCode::kUnavailable;
  }
  return absl::StatusCode::kInternal;
}

absl::Status StatusFromFailure(pg_conn* conn, const pg_result* result,
                               absl::string_view statement) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = result != nullptr ? PQresultErrorMessage(result) : "";
  if (message.empty() && conn != nullptr) {
    message = PQerrorMessage(conn);
  }
  const absl::string_view trimmed = absl::StripTrailingAsciiWhitespace(message);
  absl::StatusCode code;
  if (state != nullptr) {
    code = StatusCodeForSqlState(state);
  } else {
    // No SQLSTATE: the link to the server is gone (or never came up).
    code = absl::StatusCode::kUnavailable;
  }
  if (conn != nullptr && PQstatus(conn) == CONNECTION_BAD) {
    code = absl::StatusCode::kUnavailable;
  }
  absl::Status status(code, absl::StrCat(statement, ": ", trimmed));
  if (state != nullptr) {
    status.SetPayload(kSqlStatePayload, absl::Cord(state));
  }
  return WithInternalDetail(std::move(status));
}

absl::Status DatabaseUnavailable(absl::string_view message) {
  return WithInternalDetail(absl::UnavailableError(message));
}

std::string SqlStateOf(const absl::Status& status) {
  auto payload = status.GetPayload(kSqlStatePayload);
  return payload.has_value() ? std::string(*payload) : "";
}

}  // namespace todo::common::pg
