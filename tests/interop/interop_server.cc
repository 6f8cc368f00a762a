// The interop fixture (grpc.testing.TestService on common/rpc) as a process,
// for clients in other languages: serves on 127.0.0.1 and the port given
// (0: a free one), prints "port <n>" once listening, stops on SIGTERM or
// SIGINT.

#include <cstdio>
#include <cstdlib>

#include "common/event_loops/event_loops.h"
#include "common/lifecycle/process_setup.h"
#include "common/lifecycle/termination_signal.h"
#include "common/rpc/service_server.h"
#include "tests/interop/interop_service.h"

int main(int argc, char** argv) {
  using namespace todo;  // NOLINT(google-build-using-namespace): main only wires
  common::lifecycle::PrepareServerProcess();
  common::rpc::ServiceServerOptions options;
  options.server.listen_address = "127.0.0.1";
  options.server.port = argc > 1 ? std::atoi(argv[1]) : 0;
  options.server.shutdown_grace = absl::Seconds(1);
  common::event_loops::EventLoops loops(2);
  auto server = common::rpc::ServiceServer::Start(options, &loops, interop::InteropMethods);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  (*server)->health().SetServingStatus(true);
  std::printf("port %d\n", (*server)->port());
  std::fflush(stdout);
  common::lifecycle::TerminationSignal::Wait();
  (*server)->Shutdown();
  return 0;
}
