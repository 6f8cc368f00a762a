#pragma once

// Where a service's absl::Status becomes what its client sees: every
// handler's failure passes through FailedRpcStatus (over
// common::ToGrpcStatus, which hides internal detail and adds the
// google.rpc details).

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace todo::common::rpc {

// The status a client sees for a failed `rpc_name` (logged at debug level).
grpc::Status FailedRpcStatus(absl::string_view rpc_name, const absl::Status& status);

// The error of work refused because the server has no room for it now:
// RESOURCE_EXHAUSTED with a retry delay.
absl::Status ServerBusyError();

// A call refused because the server has no room for it now (too many calls
// open, or every blocking thread busy and its queue full):
// RESOURCE_EXHAUSTED with a retry delay (the gateway answers 429 and
// Retry-After).
grpc::Status ServerBusyStatus(absl::string_view rpc_name);

}  // namespace todo::common::rpc
