#include "common/rpc/service_server.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/rpc/reflection.h"
#include "google/protobuf/descriptor.h"

namespace todo::common::rpc {
namespace {

// Every service the table names must be a service compiled into the binary,
// its every RPC bound in the right shape (on_request for unary and
// server-streaming, on_message for client-streaming and bidi), and nothing
// bound that the service does not declare: a service missing a handler
// does not start.
absl::Status CheckAgainstDescriptors(const MethodTable& methods) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  absl::flat_hash_set<std::string> services;
  for (const auto& [path, handler] : methods) {
    const size_t slash = path.find('/', 1);
    if (path.empty() || path[0] != '/' || slash == std::string::npos) {
      return absl::FailedPreconditionError(absl::StrCat("\"", path, "\" is not /Service/Method"));
    }
    const std::string service_name = path.substr(1, slash - 1);
    const auto* service = pool->FindServiceByName(service_name);
    if (service == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("service ", service_name, " is not compiled into this binary"));
    }
    const auto* method = service->FindMethodByName(path.substr(slash + 1));
    if (method == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(path, " is not an RPC of ", service_name));
    }
    const bool streams_in = method->client_streaming();
    if (streams_in ? !handler.on_message : !handler.on_request) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is bound in the wrong shape (client streaming: ", streams_in, ")"));
    }
    services.insert(service_name);
  }
  for (const std::string& name : services) {
    const auto* service = pool->FindServiceByName(name);
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string path = absl::StrCat("/", name, "/", service->method(i)->name());
      if (!methods.contains(path)) {
        return absl::FailedPreconditionError(absl::StrCat(path, " has no handler"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

ServiceServer::ServiceServer(const ServiceServerOptions& options)
    : health_(std::make_unique<HealthService>(options.on_health_change)),
      streams_(options.max_stream_threads),
      blocking_(options.blocking) {
  health_->SetServingStatus(false);
  health_->SetServingStatus(kLivenessService, true);
}

absl::StatusOr<std::unique_ptr<ServiceServer>> ServiceServer::Start(
    const ServiceServerOptions& options, event_loops::EventLoops* loops,
    const MethodsFactory& service_methods) {
  std::unique_ptr<ServiceServer> started(new ServiceServer(options));
  MethodTable methods = service_methods({&started->blocking_, &started->streams_});
  if (absl::Status checked = CheckAgainstDescriptors(methods); !checked.ok()) return checked;
  started->health_->AddMethods(&methods);
  AddReflectionMethods(&methods);
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start(options.server, std::move(methods), loops);
  if (!server.ok()) return server.status();
  started->server_ = *std::move(server);
  return started;
}

ServiceServer::~ServiceServer() { Shutdown(); }

void ServiceServer::Shutdown() {
  // Health goes NOT_SERVING first so load balancers stop sending new calls.
  health_->Shutdown();
  if (server_ != nullptr) server_->Shutdown();  // null when Start failed
}

}  // namespace todo::common::rpc
