#pragma once

// grpc.testing.TestService on grpc++'s own server: the reference peer our
// client's interop cases run against (grpc++ serves here only as the
// implementation we did not write).

#include <memory>
#include <string>

#include "grpcpp/server.h"

namespace todo::interop {

class GrpcppTestServer {
 public:
  // Serves on 127.0.0.1 and a free port.
  GrpcppTestServer();
  ~GrpcppTestServer();
  std::string target() const;

  struct Service;

 private:
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace todo::interop
