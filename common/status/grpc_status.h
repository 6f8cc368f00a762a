#pragma once

// The single edge between absl::Status (used everywhere inside a service) and
// grpc::Status (what a client sees).

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace todo::common {

// Longest error message a client is sent; longer ones are cut.
inline constexpr size_t kMaxClientErrorMessageLength = 1024;

// Marks `status` as carrying internal detail (SQL, statement names, rows,
// addresses): ToGrpcStatus logs its message and tells the client only what
// its code means. common/pg marks every error it makes.
absl::Status WithInternalDetail(absl::Status status);

// Attaches a machine-readable reason (google.rpc.ErrorInfo, domain
// "todo-grpc") that ToGrpcStatus sends in grpc-status-details-bin; the
// gateway reads some reasons to pick an HTTP status gRPC codes cannot say
// (kRequestIdReused: 422).
absl::Status WithReason(absl::Status status, absl::string_view reason);
inline constexpr absl::string_view kErrorDomain = "todo-grpc";

// Attaches how long a client should wait before trying again
// (google.rpc.RetryInfo in grpc-status-details-bin; the gateway answers it as
// Retry-After). For RESOURCE_EXHAUSTED and UNAVAILABLE.
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);
inline constexpr absl::string_view kRequestIdReused = "REQUEST_ID_REUSED";

// Converts `status` for a client. INTERNAL, UNKNOWN and DATA_LOSS messages,
// and any marked WithInternalDetail, are replaced by a generic text for the
// code (the original is logged with `rpc_name`), so SQL, libpq or
// file-system text never leaks. Other messages are capped at
// kMaxClientErrorMessageLength bytes. A reason becomes an ErrorInfo detail.
grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view rpc_name = "");

// The reverse, for clients of other services: keeps code and message.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace todo::common
