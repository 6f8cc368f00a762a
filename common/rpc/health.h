#pragma once

// grpc.health.v1.Health (Check and Watch) for an rpc::Server, with the
// behaviour of grpc++'s built-in service: "" (the whole server) is known from
// the start, Check answers NOT_FOUND for a service never named, Watch sends
// the current status (SERVICE_UNKNOWN for an unknown service) and every
// change, and after Shutdown everything is NOT_SERVING for good; Shutdown
// also ends open Watch streams (OK), so they do not hold up a graceful stop.
//
// A Watch holds no thread: the open calls are kept here and written to when
// a status changes, from whichever thread changed it.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/rpc/server.h"
#include "grpc/health/v1/health.pb.h"

namespace todo::common::rpc {

class HealthService {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  using Listener = std::function<void(const std::string& service, bool serving)>;

  // `listener`, when set, hears every name's status after each change.
  explicit HealthService(Listener listener = nullptr);
  HealthService(const HealthService&) = delete;
  HealthService& operator=(const HealthService&) = delete;

  void SetServingStatus(const std::string& service_name, bool serving);
  // Every service named so far, "" included.
  void SetServingStatus(bool serving);
  void Shutdown();

  // What Check answers: NOT_FOUND for a service never named.
  absl::StatusOr<ServingStatus> CheckStatus(const std::string& service) const;

  // Adds Check and Watch to `methods`; the service must outlive the server.
  void AddMethods(MethodTable* methods);

 private:
  struct Watcher {
    std::shared_ptr<Call> call;
    std::string service;
    ServingStatus last_sent;
  };

  ServingStatus StatusOfLocked(const std::string& service) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void Watch(std::shared_ptr<Call> call, const std::string& service);
  // Sends each open Watch its service's status if it changed; forgets the
  // calls that are over.
  void NotifyWatchersLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Listener listener_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Watcher> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace todo::common::rpc
