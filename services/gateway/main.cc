// todo-gateway: REST+JSON in, gRPC to the services out, as Envoy's
// grpc_json_transcoder. Wiring only; see gateway_handler.h.

#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/config/environment.h"
#include "common/lifecycle/process_setup.h"
#include "common/lifecycle/termination_signal.h"
#include "common/logging/log.h"
#include "common/metrics/service_metrics.h"
#include "services/gateway/gateway_config.h"
#include "services/gateway/gateway_workers.h"

namespace {

using namespace todo;  // NOLINT(google-build-using-namespace): main only wires

int Run() {
  common::logging::SetServiceName("gateway");
  absl::StatusOr<gateway::GatewayConfig> config =
      gateway::LoadGatewayConfig(common::config::Environment::FromProcess());
  if (!config.ok()) {
    common::logging::Error("invalid_configuration", {{"error", config.status().message()}});
    return 2;
  }
  common::logging::SetMinLevel(config->log_level);
  std::ifstream file(config->descriptor_set_path, std::ios::binary);
  std::stringstream descriptor;
  descriptor << file.rdbuf();
  if (!file) {
    common::logging::Error("invalid_configuration", {{"error", "cannot read the descriptor set"},
                                                     {"path", config->descriptor_set_path}});
    return 2;
  }
  absl::StatusOr<std::unique_ptr<gateway::transcoding::TranscoderConfig>> routes =
      gateway::transcoding::TranscoderConfig::Create(descriptor.str(), config->routes);
  if (!routes.ok()) {
    common::logging::Error("invalid_configuration", {{"error", routes.status().message()}});
    return 2;
  }
  std::unique_ptr<common::metrics::ServiceMetrics> metrics;
  if (config->metrics_port > 0) {
    absl::StatusOr<std::unique_ptr<common::metrics::ServiceMetrics>> started =
        common::metrics::ServiceMetrics::Start(
            {config->http.listen_address, config->metrics_port, "todo-gateway"});
    if (!started.ok()) {
      common::logging::Error("server_start_failed", {{"error", started.status().message()}});
      return 1;
    }
    metrics = *std::move(started);
    config->gateway.on_response = [m = metrics.get()](absl::string_view route, int status,
                                                      absl::Duration elapsed) {
      m->ObserveHttp(route, status, elapsed);
    };
  }
  absl::StatusOr<std::unique_ptr<gateway::HttpServer>> server = gateway::HttpServer::Start(
      config->http, gateway::GatewayWorkers(routes->get(), config->upstreams, config->gateway));
  if (!server.ok()) {
    common::logging::Error("server_start_failed", {{"error", server.status().message()}});
    return 1;
  }
  const int signal = common::lifecycle::TerminationSignal::Wait();
  common::logging::Info("termination_requested", {{"signal", signal}});
  (*server)->Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  todo::common::lifecycle::PrepareServerProcess();
  if (todo::common::config::WantsHelp(argc, argv)) {
    std::fputs(todo::common::config::FormatHelp("todo-gateway",
                                                "REST+JSON gateway to the todo-grpc services.",
                                                todo::gateway::GatewayEnvVars())
                   .c_str(),
               stdout);
    return 0;
  }
  return Run();
}
