// todo-auth: accounts, sign-in and tokens. Wiring only; see auth_service.h.

#include <cstdio>
#include <memory>

#include "common/config/environment.h"
#include "common/lifecycle/process_setup.h"
#include "common/lifecycle/service_lifecycle.h"
#include "common/logging/log.h"
#include "services/auth/auth_config.h"
#include "services/auth/auth_service.h"
#include "services/auth/migrations.h"

namespace {

using namespace todo;  // NOLINT(google-build-using-namespace): main only wires

int Run() {
  common::logging::SetServiceName("auth");
  absl::StatusOr<auth::AuthConfig> config =
      auth::LoadAuthConfig(common::config::Environment::FromProcess());
  if (!config.ok()) {
    common::logging::Error("invalid_configuration", {{"error", config.status().message()}});
    return 2;
  }
  common::logging::SetMinLevel(config->common.log_level);

  if (std::optional<int> exit_code = common::lifecycle::ApplyMigrations(
          config->common.pool.connect, auth::kSchema, auth::AuthMigrations())) {
    return *exit_code;
  }

  const common::time::Clock& clock = common::time::Clock::Real();
  common::lifecycle::ServiceBasics basics(config->common, clock);
  auth::AuthStore store(&basics.pool(), &clock);
  auth::PasswordHasher hasher(config->argon2);
  const auth::TokenIssuer issuer(config->tokens, &clock);
  const auth::UserDataPurger purger(config->tasks_address, config->chat_address);
  auth::SignInThrottle throttle(&basics.pool(), &clock);
  auth::AuthServiceImpl service(&store, &hasher, &issuer, &basics.verifier(), &purger, &clock,
                                &throttle);

  absl::StatusOr<std::unique_ptr<common::server::GrpcServer>> server =
      common::server::GrpcServer::Start(config->common.server, {&service});
  if (!server.ok()) {
    common::logging::Error("server_start_failed", {{"error", server.status().message()}});
    return 1;
  }
  return common::lifecycle::ServeUntilTerminated(**server, config->common.pool.connect,
                                                 auth::v1::AuthService::service_full_name());
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the blocked mask.
  todo::common::lifecycle::PrepareServerProcess();
  if (todo::common::config::WantsHelp(argc, argv)) {
    std::fputs(todo::common::config::FormatHelp(
                   "todo-auth", "Accounts, sign-in and tokens (todo.auth.v1.AuthService).",
                   todo::auth::AuthEnvVars())
                   .c_str(),
               stdout);
    return 0;
  }
  return Run();
}
