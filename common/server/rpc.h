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

// The status a client sees for a failed `rpc_name` (logged at debug level).
grpc::Status FailedRpcStatus(absl::string_view rpc_name, const absl::Status& status);

template <typename Response, typename Handler>
grpc::Status FinishRpc(absl::string_view rpc_name, grpc::ServerContext* context, Response* response,
                       Handler&& handler) {
  const logging::ScopedRequestId request_id(RequestIdOf(*context));
  absl::StatusOr<Response> result = std::forward<Handler>(handler)();
  if (!result.ok()) {
    return FailedRpcStatus(rpc_name, result.status());
  }
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace todo::common::server
