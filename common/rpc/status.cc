#include "common/rpc/status.h"

#include "absl/time/time.h"
#include "common/logging/log.h"
#include "common/status/grpc_status.h"

namespace todo::common::rpc {

grpc::Status FailedRpcStatus(absl::string_view rpc_name, const absl::Status& status) {
  if (logging::IsEnabled(logging::Level::kDebug)) {
    logging::Debug("rpc_failed", {{"rpc", rpc_name},
                                  {"code", absl::StatusCodeToString(status.code())},
                                  {"error", status.message()}});
  }
  return ToGrpcStatus(status, rpc_name);
}

absl::Status ServerBusyError() {
  return WithRetryDelay(absl::ResourceExhaustedError("the server is busy; retry shortly"),
                        absl::Seconds(1));
}

grpc::Status ServerBusyStatus(absl::string_view rpc_name) {
  return FailedRpcStatus(rpc_name, ServerBusyError());
}

}  // namespace todo::common::rpc
