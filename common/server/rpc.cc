#include "common/server/rpc.h"

namespace todo::common::server {

std::string RequestIdOf(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("x-request-id");
  if (it == metadata.end()) {
    return "";
  }
  return std::string(it->second.data(), it->second.size());
}

grpc::Status FailedRpcStatus(absl::string_view rpc_name, const absl::Status& status) {
  if (logging::IsEnabled(logging::Level::kDebug)) {
    logging::Debug("rpc_failed", {{"rpc", rpc_name},
                                  {"code", absl::StatusCodeToString(status.code())},
                                  {"error", status.message()}});
  }
  return ToGrpcStatus(status, rpc_name);
}

}  // namespace todo::common::server
