#include "common/lifecycle/service_lifecycle.h"

#include "common/health/database_health_watcher.h"
#include "common/lifecycle/termination_signal.h"
#include "common/logging/log.h"

namespace todo::common::lifecycle {

std::optional<int> ApplyMigrations(const pg::ConnectOptions& connect, const std::string& schema,
                                   const std::vector<pg::Migration>& migrations) {
  pg::MigratorOptions options{connect, schema};
  options.should_stop = &lifecycle::TerminationSignal::Pending;
  absl::StatusOr<pg::MigrationReport> migrated = pg::Migrate(options, migrations);
  if (migrated.ok()) {
    return std::nullopt;
  }
  const bool stopped = migrated.status().code() == absl::StatusCode::kCancelled;
  logging::Log(stopped ? logging::Level::kInfo : logging::Level::kError, "migration_failed",
               {{"schema", schema}, {"error", migrated.status().message()}});
  return stopped ? 0 : 1;
}

int ServeUntilTerminated(rpc::ServiceServer& server, const pg::ConnectOptions& database,
                         const std::string& service_name,
                         const std::function<void()>& before_shutdown) {
  health::DatabaseHealthWatcher watcher({database, {service_name}}, &server.health());
  watcher.Start();
  const int signal = lifecycle::TerminationSignal::Wait();
  logging::Info("termination_requested", {{"signal", signal}});
  if (before_shutdown) {
    before_shutdown();
  }
  server.Shutdown();
  return 0;
}

ServiceBasics::ServiceBasics(const settings::ServiceSettings& settings, const time::Clock& clock)
    : pool_(settings.pool) {
  if (settings.metrics != nullptr) pool_watch_ = settings.metrics->WatchPool(&pool_);
  if (!settings.jwks_url.empty()) {
    jwks_ = std::make_unique<jwt::JwksCache>(settings.jwks_url, http_, clock);
  }
  verifier_ = std::make_unique<jwt::JwtVerifier>(settings.jwt, &clock, jwks_.get());
}

}  // namespace todo::common::lifecycle
