#include "common/rpc/status.h"

#include "absl/time/time.h"
#include "common/logging/log.h"

namespace todo::common::rpc {

ClientStatus FailedRpcStatus(absl::string_view method, const absl::Status& status) {
  if (!status.ok() && logging::IsEnabled(logging::Level::kDebug)) {
    logging::Debug("rpc_failed", {{"rpc", method},
                                  {"code", absl::StatusCodeToString(status.code())},
                                  {"error", status.message()}});
  }
  return ToClientStatus(status, method);
}

absl::Status ServerBusyError() {
  return WithRetryDelay(absl::ResourceExhaustedError("the server is busy; retry shortly"),
                        absl::Seconds(1));
}

}  // namespace todo::common::rpc
