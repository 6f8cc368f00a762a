#pragma once

// The one place that maps Postgres failures to canonical status codes, so
// stores only ever return these:
//   23505 unique_violation             -> ALREADY_EXISTS
//   23503 foreign_key_violation        -> FAILED_PRECONDITION
//   23514 check_violation, class 22    -> INVALID_ARGUMENT
//   40001 serialization, 40P01 deadlock-> ABORTED
//   57014 query_canceled               -> DEADLINE_EXCEEDED
//   class 08, class 57P, lost link     -> UNAVAILABLE
//   anything else                      -> INTERNAL
// Messages name the statement and keep Postgres' text for the logs; every
// status made here is marked WithInternalDetail, so the gRPC edge
// (ToGrpcStatus) logs it and tells a client only what the code means.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

struct pg_conn;
struct pg_result;

namespace todo::common::pg {

absl::StatusCode StatusCodeForSqlState(absl::string_view sqlstate);

// Status for a failed `result` (may be null) of `statement` on `conn`.
absl::Status StatusFromFailure(pg_conn* conn, const pg_result* result, absl::string_view statement);

// UNAVAILABLE with `message` (a statement name, libpq's words, an address),
// marked as internal detail.
absl::Status DatabaseUnavailable(absl::string_view message);

// The SQLSTATE carried by a status made by StatusFromFailure, or "".
std::string SqlStateOf(const absl::Status& status);

}  // namespace todo::common::pg
