#include "common/rpc/service_server.h"

#include "common/rpc/health_methods.h"
#include "common/rpc/reflection.h"

namespace todo::common::rpc {

ServiceServer::ServiceServer(int max_streams)
    : health_(std::make_unique<rpc::HealthService>()), streams_(max_streams) {
  health_->SetServingStatus(false);
}

absl::StatusOr<std::unique_ptr<ServiceServer>> ServiceServer::Start(
    const ServiceServerOptions& options, event_loops::EventLoops* loops,
    const std::function<MethodTable(StreamThreads*)>& service_methods) {
  std::unique_ptr<ServiceServer> started(new ServiceServer(options.max_streams));
  MethodTable methods = service_methods(&started->streams_);
  AddHealthMethods(started->health_.get(), &started->streams_, &methods);
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
