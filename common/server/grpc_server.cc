#include "common/server/grpc_server.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/rpc/health_service.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace todo::common::server {

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const ServerOptions& options, const std::vector<grpc::Service*>& services) {
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  int bound_port = 0;
  const std::string address = options.listen_address.find(':') != std::string::npos
                                  ? absl::StrCat("[", options.listen_address, "]:", options.port)
                                  : absl::StrCat(options.listen_address, ":", options.port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &bound_port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.SetMaxSendMessageSize(options.max_send_message_bytes);
  grpc::ResourceQuota quota("todo-server");
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS,
                              options.min_pollers);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              options.max_pollers);
  // Keepalive pings keep idle channels through proxies and let clients that
  // ping every 10 s or more do so without being cut off.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  auto health = std::make_unique<rpc::HealthService>();
  health->SetServingStatus(false);
  builder.RegisterService(health.get());
  for (grpc::Service* service : services) {
    builder.RegisterService(service);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot listen on ", address));
  }
  logging::Info("grpc_server_started", {{"address", address}, {"port", bound_port}});
  return std::unique_ptr<GrpcServer>(
      new GrpcServer(std::move(server), std::move(health), bound_port, options));
}

GrpcServer::GrpcServer(std::unique_ptr<grpc::Server> server,
                       std::unique_ptr<rpc::HealthService> health, int port, ServerOptions options)
    : health_(std::move(health)),
      server_(std::move(server)),
      port_(port),
      options_(std::move(options)) {}

GrpcServer::~GrpcServer() { Shutdown(); }

std::string GrpcServer::local_target() const {
  const bool any = options_.listen_address == "0.0.0.0" || options_.listen_address == "::";
  return any ? absl::StrCat("127.0.0.1:", port_)
             : absl::StrCat(options_.listen_address, ":", port_);
}

grpc::HealthCheckServiceInterface* GrpcServer::health() const { return health_.get(); }

void GrpcServer::Shutdown() {
  if (shut_down_) {
    return;
  }
  shut_down_ = true;
  logging::Info("grpc_server_stopping",
                {{"grace_ms", absl::ToInt64Milliseconds(options_.shutdown_grace)}});
  // Health goes NOT_SERVING first so load balancers stop sending new calls.
  health_->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + options_.shutdown_grace));
  server_->Wait();
  logging::Info("grpc_server_stopped");
}

}  // namespace todo::common::server
