#include "common/rpc/service_server.h"

#include "common/rpc/reflection.h"

namespace todo::common::rpc {

ServiceServer::ServiceServer(const ServiceServerOptions& options)
    : health_(std::make_unique<HealthService>()),
      streams_(options.max_stream_threads),
      blocking_(options.blocking) {
  health_->SetServingStatus(false);
}

absl::StatusOr<std::unique_ptr<ServiceServer>> ServiceServer::Start(
    const ServiceServerOptions& options, event_loops::EventLoops* loops,
    const MethodsFactory& service_methods) {
  std::unique_ptr<ServiceServer> started(new ServiceServer(options));
  MethodTable methods = service_methods({&started->blocking_, &started->streams_});
  started->health_->AddMethods(&methods);
  AddReflectionMethods(&methods);
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start(options.server, std::move(methods), loops);
  if (!server.ok()) return server.status();
  started->server_ = *std::move(server);
  return started;
}

ServiceServer::~ServiceServer() { Shutdown(); }

void ServiceServer::Shutdown() {
  // Health goes NOT_SERVING first so load balancers stop sending new calls.
  health_->Shutdown();
  server_->Shutdown();
}

}  // namespace todo::common::rpc
