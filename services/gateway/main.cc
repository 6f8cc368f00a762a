// todo-gateway: REST+JSON in, gRPC to the services out, as Envoy's
// grpc_json_transcoder. Wiring only; see gateway_handler.h.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "common/config/environment.h"
#include "common/lifecycle/process_setup.h"
#include "common/lifecycle/termination_signal.h"
#include "common/logging/log.h"
#include "common/metrics/service_metrics.h"
#include "services/gateway/gateway_config.h"
#include "services/gateway/gateway_workers.h"
#include "services/gateway/openapi/openapi_document.h"
#include "services/gateway/web/static_files.h"
#include "todo/auth/v1/auth.pb.h"
#include "todo/chat/v1/chat.pb.h"
#include "todo/tasks/v1/tasks.pb.h"

#ifndef TODO_VERSION
#define TODO_VERSION "0"
#endif

namespace {

using namespace todo;  // NOLINT(google-build-using-namespace): main only wires

// WEB_ROOT, or the app installed beside the binary: web/ next to it (the
// build tree, the image), else ../share/todo-grpc/web (an install prefix).
std::string WebRoot(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::error_code error;
  const std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return "";
  for (const auto& candidate : {binary.parent_path() / "web",
                                binary.parent_path() / ".." / "share" / "todo-grpc" / "web"}) {
    if (std::filesystem::is_directory(candidate, error)) return candidate.string();
  }
  return "";
}

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
  // The web app and the API's description: read and made once, shared by
  // every worker.
  const std::string web_root = WebRoot(config->web_root);
  absl::StatusOr<gateway::web::StaticFiles> web = gateway::web::StaticFiles::Load(web_root);
  if (!web.ok()) {
    common::logging::Error("invalid_configuration", {{"error", web.status().message()}});
    return 2;
  }
  common::logging::Info("web_app",
                        {{"root", web_root}, {"files", static_cast<int64_t>(web->size())}});
  config->gateway.web = std::make_shared<const gateway::web::StaticFiles>(*std::move(web));
  config->gateway.openapi_json = std::make_shared<const std::string>(
      gateway::openapi::OpenApiDocument(**routes, {config->gateway.print, TODO_VERSION}));
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

// The API's messages are compiled in so that the response printer parses
// answers of these types with their generated code when the descriptor set
// describes them alike (fast_json_printer.h). Naming one message of each
// file keeps the linker from dropping them.
void LinkApiMessages() {
  (void)todo::tasks::v1::Task::descriptor();
  (void)todo::auth::v1::User::descriptor();
  (void)todo::chat::v1::Conversation::descriptor();
}

}  // namespace

int main(int argc, char** argv) {
  todo::common::lifecycle::PrepareServerProcess();
  LinkApiMessages();
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
