#include "tests/harness/in_process_server.h"

#include <cstdio>
#include <cstdlib>

namespace todo::testing {

InProcessServer::InProcessServer(const std::vector<grpc::Service*>& services,
                                 common::server::ServerOptions options) {
  auto started = common::server::GrpcServer::Start(options, services);
  if (!started.ok()) {
    std::fprintf(stderr, "in-process server failed: %s\n",
                 std::string(started.status().message()).c_str());
    std::abort();
  }
  server_ = *std::move(started);
}

}  // namespace todo::testing
