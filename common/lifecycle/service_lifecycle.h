#pragma once

// The start and stop sequence every gRPC service's main runs:
//   1. ApplyMigrations: the schema's migrations, waiting for the database
//      with backoff (SIGTERM/SIGINT during the wait ends it cleanly);
//   2. ServeUntilTerminated: the database health watcher on the server's
//      grpc.health.v1, then wait for SIGTERM/SIGINT and stop gracefully.
// main must have called TerminationSignal::BlockInThisThread first.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/http_client/curl_client.h"
#include "common/jwt/jwks.h"
#include "common/jwt/jwt_verifier.h"
#include "common/metrics/service_metrics.h"
#include "common/pg/connection.h"
#include "common/pg/connection_pool.h"
#include "common/pg/migrator.h"
#include "common/rpc/service_server.h"
#include "common/settings/service_settings.h"

namespace todo::common::lifecycle {

// nullopt when the schema is up to date; otherwise the exit code main should
// return: 0 when a stop signal came while waiting, 1 when migrating failed.
std::optional<int> ApplyMigrations(const pg::ConnectOptions& connect, const std::string& schema,
                                   const std::vector<pg::Migration>& migrations);

// Keeps `server`'s health in step with the database until a stop signal, then
// runs `before_shutdown` (e.g. ending open streams) and shuts the server down
// gracefully. Returns main's exit code (0).
int ServeUntilTerminated(rpc::ServiceServer& server, const pg::ConnectOptions& database,
                         const std::string& service_name,
                         const std::function<void()>& before_shutdown = {});

// What every service builds from its settings the same way: the database
// pool, and token verification (HS256, plus a JWKS cache when JWKS_URL is
// set). Owns them; lives as long as main's Run.
class ServiceBasics {
 public:
  ServiceBasics(const settings::ServiceSettings& settings, const time::Clock& clock);

  pg::ConnectionPool& pool() { return pool_; }
  const jwt::JwtVerifier& verifier() const { return *verifier_; }

 private:
  pg::ConnectionPool pool_;
  // Declared after the pool: stops reporting it before it goes.
  std::unique_ptr<metrics::Watch> pool_watch_;
  http_client::CurlClient http_;
  std::unique_ptr<jwt::JwksCache> jwks_;
  std::unique_ptr<jwt::JwtVerifier> verifier_;
};

}  // namespace todo::common::lifecycle
