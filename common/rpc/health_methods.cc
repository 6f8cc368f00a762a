#include "common/rpc/health_methods.h"

#include "grpc/health/v1/health.pb.h"

namespace todo::common::rpc {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

void AddHealthMethods(rpc::HealthService* health, StreamThreads* streams, MethodTable* methods) {
  MethodHandler check;
  check.on_request = [health](std::shared_ptr<Call> call, std::string bytes) {
    std::optional<HealthCheckRequest> request = ParseRequest<HealthCheckRequest>(*call, bytes);
    if (!request) return;
    absl::StatusOr<rpc::HealthService::ServingStatus> status =
        health->CheckStatus(request->service());
    if (!status.ok()) {
      call->Finish(
          grpc::Status(grpc::StatusCode::NOT_FOUND, std::string(status.status().message())));
      return;
    }
    HealthCheckResponse response;
    response.set_status(*status);
    call->Reply(response.SerializeAsString());
  };
  (*methods)["/grpc.health.v1.Health/Check"] = std::move(check);
  (*methods)["/grpc.health.v1.Health/Watch"] =
      BlockingServerStream<HealthCheckRequest, HealthCheckResponse>(
          "Health.Watch", streams,
          [health](const Call& call, const HealthCheckRequest& request,
                   const std::function<bool(const HealthCheckResponse&)>& write) {
            return health->WatchStatus(
                request.service(), [&call] { return call.done(); },
                [&write](rpc::HealthService::ServingStatus now) {
                  HealthCheckResponse response;
                  response.set_status(now);
                  return write(response);
                });
          });
}

}  // namespace todo::common::rpc
