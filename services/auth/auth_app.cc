#include "services/auth/auth_app.h"

#include "todo/auth/v1/auth.pb.h"

namespace todo::auth {

AuthApp::AuthApp(const AuthConfig& config, const common::time::Clock& clock)
    : config_(config),
      basics_(config_.common, clock),
      loops_(config_.common.event_loops),
      store_(&basics_.pool(), &clock),
      hasher_(config_.argon2),
      issuer_(config_.tokens, &clock),
      purger_(loops_.loop(0), config_.tasks_address, config_.chat_address),
      throttle_(&basics_.pool(), &clock, config_.throttle),
      service_(&store_, &hasher_, &issuer_, &basics_.verifier(), &purger_, &clock, &throttle_) {}

absl::StatusOr<std::unique_ptr<AuthApp>> AuthApp::Start(const AuthConfig& config,
                                                        const common::time::Clock& clock) {
  std::unique_ptr<AuthApp> app(new AuthApp(config, clock));
  absl::StatusOr<std::unique_ptr<common::rpc::ServiceServer>> server =
      common::rpc::ServeService(app->config_.common.server, &app->loops_, app->service_);
  if (!server.ok()) return server.status();
  app->server_ = *std::move(server);
  return app;
}

AuthApp::~AuthApp() { Shutdown(); }

int AuthApp::ServeUntilTerminated() {
  return common::lifecycle::ServeUntilTerminated(*server_, config_.common.pool.connect,
                                                 AuthServiceImpl::kServiceName);
}

void AuthApp::Shutdown() {
  if (server_ != nullptr) server_->Shutdown();
}

}  // namespace todo::auth
