#pragma once

// A real common/rpc ServiceServer on 127.0.0.1:0 in the test
// process, with its own event loops, built with the same bootstrap as the
// binary (health, reflection, limits), reached through a real channel.

#include <functional>
#include <memory>
#include <string>

#include "common/event_loops/event_loops.h"
#include "common/rpc/service_server.h"
#include "grpcpp/channel.h"

namespace todo::testing {

class InProcessLoopServer {
 public:
  using Methods = common::rpc::ServiceServer::MethodsFactory;

  explicit InProcessLoopServer(const Methods& methods,
                               common::rpc::ServiceServerOptions options = DefaultOptions());

  static common::rpc::ServiceServerOptions DefaultOptions() {
    common::rpc::ServiceServerOptions options;
    options.server.listen_address = "127.0.0.1";
    options.server.port = 0;
    options.server.shutdown_grace = absl::Seconds(2);
    return options;
  }

  // The loops the server runs on, for what should share them (a pipeline).
  common::event_loops::EventLoops& loops() { return loops_; }
  std::shared_ptr<grpc::Channel> NewChannel() const;
  std::string local_target() const { return server_->local_target(); }
  common::rpc::ServiceServer& server() { return *server_; }
  void Shutdown() { server_->Shutdown(); }

 private:
  // Declared first: outlives the server.
  common::event_loops::EventLoops loops_{2};
  std::unique_ptr<common::rpc::ServiceServer> server_;
};

}  // namespace todo::testing
