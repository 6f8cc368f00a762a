// todo-auth: accounts, sign-in and tokens. Wiring only; see auth_service.h.

#include <cstdio>
#include <memory>

#include "common/config/environment.h"
#include "common/lifecycle/process_setup.h"
#include "common/lifecycle/service_lifecycle.h"
#include "common/logging/log.h"
#include "services/auth/auth_app.h"
#include "services/auth/auth_config.h"
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

  absl::StatusOr<std::unique_ptr<auth::AuthApp>> app =
      auth::AuthApp::Start(*config, common::time::Clock::Real());
  if (!app.ok()) {
    common::logging::Error("server_start_failed", {{"error", app.status().message()}});
    return 1;
  }
  return (*app)->ServeUntilTerminated();
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
