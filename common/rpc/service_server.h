#pragma once

// A service's Server with what every service serves beside its own
// methods, as common/server/grpc_server.h does for grpc++: grpc.health.v1
// (starting NOT_SERVING), server reflection, and the threads its streams
// run on.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/rpc/health_service.h"
#include "common/rpc/methods.h"
#include "common/rpc/server.h"
#include "common/server/grpc_server.h"

namespace todo::common::rpc {

struct ServiceServerOptions {
  ServerOptions server;
  // Open server streams (Watch included) at once; each holds a thread.
  int max_streams = 256;
};

class ServiceServer final : public server::ServingServer {
 public:
  // `service_methods` returns the service's methods, given the threads for
  // its streams. FAILED_PRECONDITION when the address cannot be bound.
  // `loops` must outlive the server.
  static absl::StatusOr<std::unique_ptr<ServiceServer>> Start(
      const ServiceServerOptions& options, event_loops::EventLoops* loops,
      const std::function<MethodTable(StreamThreads*)>& service_methods);
  ~ServiceServer() override;

  int port() const { return server_->port(); }
  std::string local_target() const { return server_->local_target(); }
  grpc::HealthCheckServiceInterface* health() const override { return health_.get(); }
  // Every service NOT_SERVING (open Watch streams end), then the server's
  // graceful stop. Idempotent.
  void Shutdown() override;

 private:
  explicit ServiceServer(int max_streams);

  std::unique_ptr<rpc::HealthService> health_;
  // Declared before server_: joined after the server stopped and every
  // stream's call is done.
  StreamThreads streams_;
  std::unique_ptr<Server> server_;
};

}  // namespace todo::common::rpc
