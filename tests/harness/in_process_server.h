#pragma once

// A real gRPC server on 127.0.0.1:0 in the test process, built with the same
// bootstrap as the binaries (health, reflection, limits), reached through a
// real channel.

#include <memory>
#include <vector>

#include "common/server/grpc_server.h"
#include "grpcpp/channel.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace todo::testing {

class InProcessServer {
 public:
  explicit InProcessServer(const std::vector<grpc::Service*>& services,
                           common::server::ServerOptions options = DefaultOptions());

  static common::server::ServerOptions DefaultOptions() {
    common::server::ServerOptions options;
    options.listen_address = "127.0.0.1";
    options.port = 0;
    options.shutdown_grace = absl::Seconds(2);
    return options;
  }

  std::shared_ptr<grpc::Channel> NewChannel() const {
    return grpc::CreateChannel(server_->local_target(), grpc::InsecureChannelCredentials());
  }
  common::server::GrpcServer& server() { return *server_; }
  void Shutdown() { server_->Shutdown(); }

 private:
  std::unique_ptr<common::server::GrpcServer> server_;
};

}  // namespace todo::testing
