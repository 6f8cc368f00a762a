#pragma once

// gRPC server bootstrap shared by every service: the standard health service
// (grpc.health.v1 from health_service.h, starting NOT_SERVING), server reflection, message-size
// limits, keepalive, port 0, and a graceful stop.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/rpc/health_service.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server.h"

namespace todo::common::server {

struct ServerOptions {
  std::string listen_address = "0.0.0.0";
  // 0 picks a free port; port() tells which.
  int port = 0;
  int max_receive_message_bytes = 4 * 1024 * 1024;
  int max_send_message_bytes = 16 * 1024 * 1024;
  // Threads serving synchronous RPCs (libpq blocks, so RPCs run on these);
  // each open server stream holds one. A call beyond the cap is refused with
  // RESOURCE_EXHAUSTED, so it sits well above what the database pool can
  // take at once: excess calls then wait for a connection instead.
  int max_threads = 256;
  // Idle threads kept polling for new calls. gRPC's default (at most 2) makes
  // the sync server create and destroy a thread for nearly every call under
  // concurrent load; keeping more costs only their stacks.
  int min_pollers = 2;
  int max_pollers = 16;
  // How long in-flight RPCs may run after a stop request before being cancelled.
  absl::Duration shutdown_grace = absl::Seconds(10);
};

// What the shared start/stop sequence (common/lifecycle) needs of a
// server, whichever way it serves gRPC.
class ServingServer {
 public:
  virtual ~ServingServer() = default;
  virtual grpc::HealthCheckServiceInterface* health() const = 0;
  // Marks every service NOT_SERVING, then stops gracefully. Idempotent.
  virtual void Shutdown() = 0;
};

class GrpcServer final : public ServingServer {
 public:
  // Starts serving `services` (not owned; they must outlive the server).
  // FAILED_PRECONDITION when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const ServerOptions& options, const std::vector<grpc::Service*>& services);
  ~GrpcServer() override;

  int port() const { return port_; }
  // "127.0.0.1:<port>" when listening on every interface, for local clients.
  std::string local_target() const;
  grpc::HealthCheckServiceInterface* health() const override;
  grpc::Server& server() { return *server_; }

  // Marks every service NOT_SERVING, stops accepting calls, lets in-flight ones
  // finish within the grace period, then cancels the rest. Idempotent.
  void Shutdown() override;

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, std::unique_ptr<rpc::HealthService> health,
             int port, ServerOptions options);

  // Declared before server_ so that it outlives it.
  std::unique_ptr<rpc::HealthService> health_;
  std::unique_ptr<grpc::Server> server_;
  int port_;
  ServerOptions options_;
  bool shut_down_ = false;
};

}  // namespace todo::common::server
