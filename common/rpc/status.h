#pragma once

// Where a call's absl::Status becomes what its client sees: Call::Finish
// passes every outcome through FailedRpcStatus (over
// common::ToClientStatus, which hides internal detail and adds the
// google.rpc details).

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/status/client_status.h"

namespace todo::common::rpc {

using common::ClientStatus;

// The status a client sees for `method` ending with `status` (a failure is
// logged at debug level).
ClientStatus FailedRpcStatus(absl::string_view method, const absl::Status& status);

// The error of work refused because the server has no room for it now (too
// many calls open, or every blocking thread busy and its queue full):
// RESOURCE_EXHAUSTED with a retry delay (the gateway answers 429 and
// Retry-After).
absl::Status ServerBusyError();

}  // namespace todo::common::rpc
