#include "tests/harness/in_process_loop_server.h"

#include <cstdio>
#include <cstdlib>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace todo::testing {

InProcessLoopServer::InProcessLoopServer(const Methods& methods,
                                         common::rpc::ServiceServerOptions options) {
  auto started = common::rpc::ServiceServer::Start(options, &loops_, methods);
  if (!started.ok()) {
    std::fprintf(stderr, "in-process server failed: %s\n",
                 std::string(started.status().message()).c_str());
    std::abort();
  }
  server_ = *std::move(started);
}

std::shared_ptr<grpc::Channel> InProcessLoopServer::NewChannel() const {
  return grpc::CreateChannel(server_->local_target(), grpc::InsecureChannelCredentials());
}

}  // namespace todo::testing
