#pragma once

// The single edge between absl::Status (used everywhere inside a service) and
// grpc::Status (what a client sees).

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace todo::common {

// Longest error message a client is sent; longer ones are cut.
inline constexpr size_t kMaxClientErrorMessageLength = 1024;

// Converts `status` for a client. INTERNAL, UNKNOWN and DATA_LOSS messages are
// replaced by a generic text (the original is logged with `rpc_name`), so SQL,
// libpq or file-system text never leaks. Other messages are capped at
// kMaxClientErrorMessageLength bytes.
grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view rpc_name = "");

// The reverse, for clients of other services: keeps code and message.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace todo::common
