#pragma once

// A service's rpc::Server with what every service serves beside its own
// methods: grpc.health.v1 (starting NOT_SERVING, but for kLivenessService),
// server reflection, and the threads its blocking handlers and blocking
// streams run on.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/rpc/blocking_executor.h"
#include "common/rpc/health.h"
#include "common/rpc/methods.h"
#include "common/rpc/server.h"

namespace todo::common::rpc {

// The health name that reports only that the process serves calls: SERVING
// from the start until Shutdown, whatever the database does, so a liveness
// probe never restarts a pod for an outage it cannot fix (api.md).
inline constexpr char kLivenessService[] = "liveness";

struct ServiceServerOptions {
  ServerOptions server;
  // Threads for handlers that block (transactions, password hashes) and the
  // calls that may wait for one; a call past that is RESOURCE_EXHAUSTED.
  BlockingExecutorOptions blocking;
  // Server streams that hold a thread each (BlockingServerStream).
  int max_stream_threads = 256;
  // Told the status of each health name whenever one changes (for metrics).
  std::function<void(const std::string& service, bool serving)> on_health_change;
};

// What a service's methods may run on besides the event loops.
struct ServerResources {
  BlockingExecutor* blocking = nullptr;
  StreamThreads* streams = nullptr;
};

class ServiceServer final {
 public:
  using MethodsFactory = std::function<MethodTable(const ServerResources&)>;

  // `service_methods` returns the service's methods, given what they may
  // run on. FAILED_PRECONDITION when the address cannot be bound, or when
  // the methods do not match the services' descriptors (a service missing a
  // handler, or bound in the wrong shape, does not start). `loops` must
  // outlive the server.
  static absl::StatusOr<std::unique_ptr<ServiceServer>> Start(
      const ServiceServerOptions& options, event_loops::EventLoops* loops,
      const MethodsFactory& service_methods);
  ~ServiceServer();

  int port() const { return server_->port(); }
  std::string local_target() const { return server_->local_target(); }
  HealthService& health() const { return *health_; }
  // Every service NOT_SERVING (open Watch streams end), then the server's
  // graceful stop. Idempotent.
  void Shutdown();

 private:
  explicit ServiceServer(const ServiceServerOptions& options);

  std::unique_ptr<HealthService> health_;
  // Declared before server_: they run what the server's calls handed over,
  // so they are joined after the server stopped and every call is done.
  StreamThreads streams_;
  BlockingExecutor blocking_;
  std::unique_ptr<Server> server_;
};

// Starts a ServiceServer for `service` (anything with
// `MethodTable Methods(const ServerResources&)`), which must outlive it.
template <typename Service>
absl::StatusOr<std::unique_ptr<ServiceServer>> ServeService(const ServiceServerOptions& options,
                                                            event_loops::EventLoops* loops,
                                                            Service& service) {
  return ServiceServer::Start(options, loops, [&service](const ServerResources& resources) {
    return service.Methods(resources);
  });
}

}  // namespace todo::common::rpc
