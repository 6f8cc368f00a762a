#include "services/tasks/tasks_config.h"

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/tasks/limits.h"

namespace todo::tasks {
namespace {

using common::config::EnvVar;

constexpr EnvVar kListenAddress{"LISTEN_ADDRESS", "0.0.0.0", "interface to listen on"};
constexpr EnvVar kGrpcPort{"GRPC_PORT", "50052", "gRPC port (0 picks a free one)"};
constexpr EnvVar kTasksDatabaseUrl{"TASKS_DATABASE_URL", nullptr,
                                   "Postgres URL of this service (wins over DATABASE_URL)"};
constexpr EnvVar kDatabaseUrl{"DATABASE_URL", nullptr, "Postgres URL shared by the services"};
constexpr EnvVar kSecret{"BETTER_AUTH_SECRET", nullptr,
                         "HS256 token secret, at least 32 characters", true};
constexpr EnvVar kJwksUrl{"JWKS_URL", "", "key set for EdDSA/RS256 tokens (optional)"};
constexpr EnvVar kJwtIssuer{"JWT_ISSUER", "", "required `iss` of tokens (optional)"};
constexpr EnvVar kJwtAudience{"JWT_AUDIENCE", "", "required `aud` of tokens (optional)"};
constexpr EnvVar kPoolSize{"DB_POOL_SIZE", "10", "database connections kept open"};
constexpr EnvVar kPoolOverflow{"DB_POOL_MAX_OVERFLOW", "5", "extra connections under load"};
constexpr EnvVar kPoolTimeout{"DB_POOL_TIMEOUT_S", "30", "seconds to wait for a connection"};
constexpr EnvVar kPoolRecycle{"DB_POOL_RECYCLE_S", "3600",
                              "seconds before a connection is renewed"};
constexpr EnvVar kStatementTimeout{"DB_STATEMENT_TIMEOUT_S", "30",
                                   "server-side limit per SQL statement, seconds"};
constexpr EnvVar kReminderPoll{"REMINDER_POLL_INTERVAL_S", "1",
                               "how often reminder streams look for due reminders"};
constexpr EnvVar kShutdownGrace{"SHUTDOWN_GRACE_S", "10",
                                "seconds in-flight calls get after SIGTERM"};
constexpr EnvVar kLogLevel{"LOG_LEVEL", "info", "debug, info, warning or error"};

constexpr EnvVar kAllVars[] = {kListenAddress,    kGrpcPort,     kTasksDatabaseUrl, kDatabaseUrl,
                               kSecret,           kJwksUrl,      kJwtIssuer,        kJwtAudience,
                               kPoolSize,         kPoolOverflow, kPoolTimeout,      kPoolRecycle,
                               kStatementTimeout, kReminderPoll, kShutdownGrace,    kLogLevel};

}  // namespace

absl::Span<const EnvVar> TasksEnvVars() { return kAllVars; }

absl::StatusOr<TasksConfig> LoadTasksConfig(const common::config::Environment& env) {
  TasksConfig config;
  ASSIGN_OR_RETURN(config.server.listen_address, env.GetString(kListenAddress));
  ASSIGN_OR_RETURN(const int64_t port, env.GetInt(kGrpcPort, 0, 65535));
  config.server.port = static_cast<int>(port);
  config.server.max_receive_message_bytes = kMaxRequestBytes;
  ASSIGN_OR_RETURN(config.server.shutdown_grace,
                   env.GetSeconds(kShutdownGrace, absl::ZeroDuration(), absl::Minutes(10)));

  const EnvVar database_order[] = {kTasksDatabaseUrl, kDatabaseUrl};
  ASSIGN_OR_RETURN(config.pool.connect.dsn, env.GetFirstOf(database_order));
  config.pool.connect.application_name = "todo-tasks";
  ASSIGN_OR_RETURN(config.pool.connect.statement_timeout,
                   env.GetSeconds(kStatementTimeout, absl::ZeroDuration(), absl::Hours(1)));
  ASSIGN_OR_RETURN(const int64_t size, env.GetInt(kPoolSize, 1, 1000));
  ASSIGN_OR_RETURN(const int64_t overflow, env.GetInt(kPoolOverflow, 0, 1000));
  config.pool.size = static_cast<int>(size);
  config.pool.max_overflow = static_cast<int>(overflow);
  ASSIGN_OR_RETURN(config.pool.checkout_timeout,
                   env.GetSeconds(kPoolTimeout, absl::Milliseconds(1), absl::Hours(1)));
  ASSIGN_OR_RETURN(config.pool.recycle,
                   env.GetSeconds(kPoolRecycle, absl::Seconds(1), absl::Hours(24 * 7)));

  ASSIGN_OR_RETURN(config.jwt.hs256_secret, env.GetSecret(kSecret, 32));
  ASSIGN_OR_RETURN(config.jwks_url, env.GetString(kJwksUrl));
  ASSIGN_OR_RETURN(config.jwt.issuer, env.GetString(kJwtIssuer));
  ASSIGN_OR_RETURN(config.jwt.audience, env.GetString(kJwtAudience));

  ASSIGN_OR_RETURN(config.service.reminder_poll_interval,
                   env.GetSeconds(kReminderPoll, absl::Milliseconds(10), absl::Minutes(10)));
  ASSIGN_OR_RETURN(const std::string level, env.GetString(kLogLevel));
  absl::StatusOr<common::logging::Level> parsed_level = common::logging::ParseLevel(level);
  if (!parsed_level.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("LOG_LEVEL: ", parsed_level.status().message()));
  }
  config.log_level = *parsed_level;
  return config;
}

}  // namespace todo::tasks
