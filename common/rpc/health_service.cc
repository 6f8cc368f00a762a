#include "common/rpc/health_service.h"

#include "absl/time/time.h"

namespace todo::common::rpc {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

HealthService::HealthService() { serving_[""] = true; }

void HealthService::SetServingStatus(const std::string& service_name, bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) {
    return;  // NOT_SERVING for good, as with the built-in service
  }
  serving_[service_name] = serving;
  ++generation_;
}

void HealthService::SetServingStatus(bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) {
    return;
  }
  for (auto& [name, value] : serving_) {
    value = serving;
  }
  ++generation_;
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
  for (auto& [name, value] : serving_) {
    value = false;
  }
  ++generation_;
}

HealthService::ServingStatus HealthService::StatusOfLocked(const std::string& service) const {
  auto it = serving_.find(service);
  if (it == serving_.end()) {
    return HealthCheckResponse::SERVICE_UNKNOWN;
  }
  return it->second ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

absl::StatusOr<HealthService::ServingStatus> HealthService::CheckStatus(
    const std::string& service) const {
  absl::ReaderMutexLock lock(&mu_);
  const ServingStatus status = StatusOfLocked(service);
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    return absl::NotFoundError("unknown service");
  }
  return status;
}

absl::Status HealthService::WatchStatus(const std::string& service,
                                        const std::function<bool()>& gone,
                                        const std::function<bool(ServingStatus)>& send) {
  uint64_t seen = 0;
  bool first = true;
  ServingStatus last = HealthCheckResponse::UNKNOWN;
  for (;;) {
    ServingStatus now;
    bool ending;
    {
      absl::MutexLock lock(&mu_);
      // Wakes on a change, and at least every 200 ms to notice a client
      // that hung up.
      const auto changed = [this, seen, first]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return first || generation_ != seen;
      };
      mu_.AwaitWithTimeout(absl::Condition(&changed), absl::Milliseconds(200));
      seen = generation_;
      now = StatusOfLocked(service);
      ending = shut_down_;
    }
    if (gone()) {
      return absl::CancelledError("the client went away");
    }
    if (first || now != last) {
      if (!send(now)) {
        return absl::CancelledError("the client went away");
      }
      last = now;
      first = false;
    }
    if (ending) {
      return absl::OkStatus();
    }
  }
}

grpc::Status HealthService::Check(grpc::ServerContext*, const HealthCheckRequest* request,
                                  HealthCheckResponse* response) {
  absl::StatusOr<ServingStatus> status = CheckStatus(request->service());
  if (!status.ok()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, std::string(status.status().message()));
  }
  response->set_status(*status);
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(grpc::ServerContext* context, const HealthCheckRequest* request,
                                  grpc::ServerWriter<HealthCheckResponse>* writer) {
  const absl::Status status = WatchStatus(
      request->service(), [context] { return context->IsCancelled(); },
      [writer](ServingStatus now) {
        HealthCheckResponse response;
        response.set_status(now);
        return writer->Write(response);
      });
  return status.ok() ? grpc::Status::OK
                     : grpc::Status(grpc::StatusCode::CANCELLED, std::string(status.message()));
}

}  // namespace todo::common::rpc
