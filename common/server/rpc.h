#pragma once

// The one adapter between a service's transport-free methods (returning
// absl::StatusOr<Response>) and the synchronous gRPC API:
//
//   grpc::Status TasksServiceImpl::GetTask(grpc::ServerContext* context,
//                                          const GetTaskRequest* request, Task* response) {
//     return FinishRpc("GetTask", context, response, [&] { return GetTask(*request); });
//   }
//
// It tags the call's log lines with its x-request-id, runs the handler, and
// converts the status through ToGrpcStatus, the only place that does.

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "common/logging/log.h"
#include "common/status/grpc_status.h"
#include "grpcpp/server_context.h"

namespace todo::common::server {

// The x-request-id metadata of the call, or "".
std::string RequestIdOf(const grpc::ServerContext& context);

template <typename Response, typename Handler>
grpc::Status FinishRpc(absl::string_view rpc_name, grpc::ServerContext* context, Response* response,
                       Handler&& handler) {
  const logging::ScopedRequestId request_id(RequestIdOf(*context));
  absl::StatusOr<Response> result = std::forward<Handler>(handler)();
  if (!result.ok()) {
    if (logging::IsEnabled(logging::Level::kDebug)) {
      logging::Debug("rpc_failed", {{"rpc", rpc_name},
                                    {"code", absl::StatusCodeToString(result.status().code())},
                                    {"error", result.status().message()}});
    }
    return ToGrpcStatus(result.status(), rpc_name);
  }
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace todo::common::server
