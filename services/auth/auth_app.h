#pragma once

// todo-auth assembled from its configuration, the one way: database pool
// and token verifier, store, hasher, token issuer, the purge client, the
// sign-in throttle, service, server on event loops. main runs it until
// SIGTERM; the tests start the same thing on port 0 (with a fake clock).

#include <memory>

#include "absl/status/statusor.h"
#include "common/event_loops/event_loops.h"
#include "common/lifecycle/service_lifecycle.h"
#include "common/rpc/service_server.h"
#include "common/time/clock.h"
#include "services/auth/auth_config.h"
#include "services/auth/auth_service.h"

namespace todo::auth {

class AuthApp {
 public:
  // Serving once this returns (health NOT_SERVING until someone, such as
  // ServeUntilTerminated's database watcher, says otherwise). The schema
  // must be migrated. `clock` must outlive the app.
  static absl::StatusOr<std::unique_ptr<AuthApp>> Start(const AuthConfig& config,
                                                        const common::time::Clock& clock);
  ~AuthApp();
  AuthApp(const AuthApp&) = delete;
  AuthApp& operator=(const AuthApp&) = delete;

  common::rpc::ServiceServer& server() { return *server_; }
  // Keeps health in step with the database until SIGTERM/SIGINT, then stops
  // gracefully; main's exit code.
  int ServeUntilTerminated();
  // The server's graceful stop. Idempotent.
  void Shutdown();

 private:
  AuthApp(const AuthConfig& config, const common::time::Clock& clock);

  AuthConfig config_;
  // In order of construction; each outlives what is declared after it.
  common::lifecycle::ServiceBasics basics_;
  common::event_loops::EventLoops loops_;
  AuthStore store_;
  PasswordHasher hasher_;
  TokenIssuer issuer_;
  UserDataPurger purger_;
  SignInThrottle throttle_;
  AuthServiceImpl service_;
  std::unique_ptr<common::rpc::ServiceServer> server_;
};

}  // namespace todo::auth
