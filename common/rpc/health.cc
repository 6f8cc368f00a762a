#include "common/rpc/health.h"

#include <algorithm>
#include <utility>

#include "common/rpc/methods.h"

namespace todo::common::rpc {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

std::string StatusMessage(HealthService::ServingStatus status) {
  HealthCheckResponse response;
  response.set_status(status);
  return response.SerializeAsString();
}

}  // namespace

HealthService::HealthService(Listener listener) : listener_(std::move(listener)) {
  serving_[""] = true;
}

void HealthService::SetServingStatus(const std::string& service_name, bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;  // NOT_SERVING for good, as with the built-in service
  serving_[service_name] = serving;
  NotifyWatchersLocked();
}

void HealthService::SetServingStatus(bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  for (auto& [name, value] : serving_) value = serving;
  NotifyWatchersLocked();
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& [name, value] : serving_) value = false;
  NotifyWatchersLocked();
  for (Watcher& watcher : watchers_) watcher.call->Finish(absl::OkStatus());
  watchers_.clear();
}

HealthService::ServingStatus HealthService::StatusOfLocked(const std::string& service) const {
  auto it = serving_.find(service);
  if (it == serving_.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
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

void HealthService::NotifyWatchersLocked() {
  if (listener_) {
    for (const auto& [name, serving] : serving_) listener_(name, serving);
  }
  for (Watcher& watcher : watchers_) {
    const ServingStatus now = StatusOfLocked(watcher.service);
    if (now == watcher.last_sent || watcher.call->done()) continue;
    watcher.call->Write(StatusMessage(now));
    watcher.last_sent = now;
  }
  watchers_.erase(std::remove_if(watchers_.begin(), watchers_.end(),
                                 [](const Watcher& watcher) { return watcher.call->done(); }),
                  watchers_.end());
}

void HealthService::Watch(std::shared_ptr<Call> call, const std::string& service) {
  absl::MutexLock lock(&mu_);
  const ServingStatus now = StatusOfLocked(service);
  call->Write(StatusMessage(now));
  if (shut_down_) {
    call->Finish(absl::OkStatus());
    return;
  }
  watchers_.erase(std::remove_if(watchers_.begin(), watchers_.end(),
                                 [](const Watcher& watcher) { return watcher.call->done(); }),
                  watchers_.end());
  watchers_.push_back({std::move(call), service, now});
}

void HealthService::AddMethods(MethodTable* methods) {
  MethodHandler check;
  check.on_request = [this](std::shared_ptr<Call> call, std::string bytes) {
    std::optional<HealthCheckRequest> request = ParseRequest<HealthCheckRequest>(*call, bytes);
    if (!request) return;
    absl::StatusOr<ServingStatus> status = CheckStatus(request->service());
    if (!status.ok()) {
      call->Finish(absl::NotFoundError(std::string(status.status().message())));
      return;
    }
    call->Reply(StatusMessage(*status));
  };
  (*methods)["/grpc.health.v1.Health/Check"] = std::move(check);
  MethodHandler watch;
  watch.on_request = [this](std::shared_ptr<Call> call, std::string bytes) {
    std::optional<HealthCheckRequest> request = ParseRequest<HealthCheckRequest>(*call, bytes);
    if (request) Watch(std::move(call), request->service());
  };
  (*methods)["/grpc.health.v1.Health/Watch"] = std::move(watch);
}

}  // namespace todo::common::rpc
