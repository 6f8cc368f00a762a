#pragma once

// The single edge between absl::Status (used everywhere inside a service) and
// what a client is told when its call ends.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace todo::common {

// Longest error message a client is sent; longer ones are cut.
inline constexpr size_t kMaxClientErrorMessageLength = 1024;

// A call's outcome as its client hears it: the grpc-status, grpc-message and
// grpc-status-details-bin of its trailers.
struct ClientStatus {
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;
  // A serialized google.rpc.Status; empty when there are no details.
  std::string details_bin;

  bool ok() const { return code == absl::StatusCode::kOk; }
};

// Marks `status` as carrying internal detail (SQL, statement names, rows,
// addresses): ToClientStatus logs its message and tells the client only what
// its code means. common/pg marks every error it makes.
absl::Status WithInternalDetail(absl::Status status);

// Attaches a machine-readable reason (google.rpc.ErrorInfo, domain
// "todo-grpc") that ToClientStatus sends in grpc-status-details-bin; the
// gateway reads some reasons to pick an HTTP status gRPC codes cannot say
// (kRequestIdReused: 422).
absl::Status WithReason(absl::Status status, absl::string_view reason);
inline constexpr absl::string_view kErrorDomain = "todo-grpc";

// Attaches how long a client should wait before trying again
// (google.rpc.RetryInfo in grpc-status-details-bin; the gateway answers it as
// Retry-After). For RESOURCE_EXHAUSTED and UNAVAILABLE.
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);
inline constexpr absl::string_view kRequestIdReused = "REQUEST_ID_REUSED";

// Marks `status`'s message as written for its client, so it is sent even
// with INTERNAL (the transport's protocol errors, which gRPC reports as
// INTERNAL with a message saying what was wrong).
absl::Status WithClientMessage(absl::Status status);

// Converts `status` for a client. INTERNAL, UNKNOWN and DATA_LOSS messages,
// and any marked WithInternalDetail, are replaced by a generic text for the
// code (the original is logged with `rpc_name`), so SQL, libpq or
// file-system text never leaks. Other messages are capped at
// kMaxClientErrorMessageLength bytes. A reason becomes an ErrorInfo detail.
ClientStatus ToClientStatus(const absl::Status& status, absl::string_view rpc_name = "");

}  // namespace todo::common
