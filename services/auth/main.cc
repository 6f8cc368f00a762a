// todo-auth: accounts, sign-in and tokens. Wiring only; see auth_service.h.

#include "common/lifecycle/service_main.h"
#include "services/auth/auth_app.h"
#include "services/auth/auth_config.h"
#include "services/auth/migrations.h"

int main(int argc, char** argv) {
  using namespace todo;  // NOLINT(google-build-using-namespace): main only wires
  return common::lifecycle::ServiceMain<auth::AuthApp>(
      argc, argv,
      common::lifecycle::ServiceMainSpec<auth::AuthConfig>{
          .binary = "todo-auth",
          .summary = "Accounts, sign-in and tokens (todo.auth.v1.AuthService).",
          .service_name = "auth",
          .env_vars = auth::AuthEnvVars(),
          .load_config = &auth::LoadAuthConfig,
          .schema = auth::kSchema,
          .migrations = auth::AuthMigrations()});
}
