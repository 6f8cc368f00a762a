#include "common/settings/service_settings.h"

#include <deque>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace todo::common::settings {
namespace {

using config::EnvVar;

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
constexpr EnvVar kMaxCalls{"GRPC_MAX_CONCURRENT_CALLS", "2000",
                           "calls open at once, streams included; one more gets "
                           "RESOURCE_EXHAUSTED (GRPC_MAX_THREADS is read as an old name)"};
constexpr EnvVar kMaxCallsOldName{"GRPC_MAX_THREADS", "2000",
                                  "old name of GRPC_MAX_CONCURRENT_CALLS"};
constexpr EnvVar kWorkers{"GRPC_WORKERS", "0", "event loops serving calls (0: one per usable CPU)"};
constexpr EnvVar kBlockingThreads{
    "GRPC_BLOCKING_THREADS", "0",
    "threads for calls that block on a transaction or a hash (0: DB_POOL_SIZE)"};
constexpr EnvVar kBlockingQueue{"GRPC_BLOCKING_QUEUE", "1000",
                                "calls waiting for a blocking thread; one more gets "
                                "RESOURCE_EXHAUSTED"};
constexpr EnvVar kStatementTimeout{"DB_STATEMENT_TIMEOUT_S", "30",
                                   "server-side limit per SQL statement, seconds"};

// EnvVar holds C strings; the per-service names live here for the process.
const char* Keep(std::string text) {
  static auto* const strings = new std::deque<std::string>();
  strings->push_back(std::move(text));
  return strings->back().c_str();
}

EnvVar PortVar(const ServiceIdentity& identity) {
  return EnvVar{"GRPC_PORT", Keep(absl::StrCat(identity.default_port)),
                "gRPC port (0 picks a free one)"};
}

EnvVar OwnDatabaseVar(const ServiceIdentity& identity) {
  return EnvVar{Keep(absl::StrCat(absl::AsciiStrToUpper(identity.name), "_DATABASE_URL")), nullptr,
                "Postgres URL of this service (wins over DATABASE_URL)"};
}

}  // namespace

absl::StatusOr<logging::Level> LoadLogLevel(const config::Environment& env) {
  ASSIGN_OR_RETURN(const std::string level, env.GetString(kLogLevelVar));
  absl::StatusOr<logging::Level> parsed = logging::ParseLevel(level);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("LOG_LEVEL: ", parsed.status().message()));
  }
  return parsed;
}

std::vector<EnvVar> ServiceEnvVars(const ServiceIdentity& identity) {
  return {kListenAddressVar, PortVar(identity), OwnDatabaseVar(identity),
          kDatabaseUrl,      kSecret,           kJwksUrl,
          kJwtIssuer,        kJwtAudience,      kPoolSize,
          kPoolOverflow,     kPoolTimeout,      kPoolRecycle,
          kStatementTimeout, kMaxCalls,         kWorkers,
          kBlockingThreads,  kBlockingQueue,    kShutdownGraceVar,
          kLogLevelVar,      kMetricsPortVar};
}

absl::StatusOr<ServiceSettings> LoadServiceSettings(const config::Environment& env,
                                                    const ServiceIdentity& identity) {
  ServiceSettings settings;
  rpc::ServerOptions& server = settings.server.server;
  ASSIGN_OR_RETURN(server.listen_address, env.GetString(kListenAddressVar));
  ASSIGN_OR_RETURN(const int64_t port, env.GetInt(PortVar(identity), 0, 65535));
  server.port = static_cast<int>(port);
  server.max_receive_message_bytes = static_cast<size_t>(identity.max_request_bytes);
  const EnvVar call_cap_names[] = {kMaxCalls, kMaxCallsOldName};
  ASSIGN_OR_RETURN(const int64_t calls, env.GetIntFirstOf(call_cap_names, 4, 1'000'000));
  server.max_concurrent_calls = static_cast<int>(calls);
  settings.server.max_stream_threads = static_cast<int>(calls);
  ASSIGN_OR_RETURN(server.shutdown_grace,
                   env.GetSeconds(kShutdownGraceVar, absl::ZeroDuration(), absl::Minutes(10)));
  ASSIGN_OR_RETURN(const int64_t metrics_port, env.GetInt(kMetricsPortVar, 0, 65535));
  settings.metrics_port = static_cast<int>(metrics_port);
  ASSIGN_OR_RETURN(const int64_t workers, env.GetInt(kWorkers, 0, 256));
  settings.event_loops = static_cast<int>(workers);
  ASSIGN_OR_RETURN(const int64_t queue, env.GetInt(kBlockingQueue, 1, 1'000'000));
  settings.server.blocking.max_queued = static_cast<int>(queue);

  const EnvVar database_order[] = {OwnDatabaseVar(identity), kDatabaseUrl};
  ASSIGN_OR_RETURN(settings.pool.connect.dsn, env.GetFirstOf(database_order));
  settings.pool.connect.application_name = absl::StrCat("todo-", identity.name);
  ASSIGN_OR_RETURN(settings.pool.connect.statement_timeout,
                   env.GetSeconds(kStatementTimeout, absl::ZeroDuration(), absl::Hours(1)));
  ASSIGN_OR_RETURN(const int64_t size, env.GetInt(kPoolSize, 1, 1000));
  ASSIGN_OR_RETURN(const int64_t overflow, env.GetInt(kPoolOverflow, 0, 1000));
  settings.pool.size = static_cast<int>(size);
  settings.pool.max_overflow = static_cast<int>(overflow);
  ASSIGN_OR_RETURN(settings.pool.checkout_timeout,
                   env.GetSeconds(kPoolTimeout, absl::Milliseconds(1), absl::Hours(1)));
  ASSIGN_OR_RETURN(settings.pool.recycle,
                   env.GetSeconds(kPoolRecycle, absl::Seconds(1), absl::Hours(24 * 7)));
  // A blocking handler holds a pool connection while it works: more threads
  // than connections would only queue for them.
  ASSIGN_OR_RETURN(const int64_t blocking, env.GetInt(kBlockingThreads, 0, 1000));
  settings.server.blocking.threads = blocking > 0 ? static_cast<int>(blocking) : settings.pool.size;

  ASSIGN_OR_RETURN(settings.jwt.hs256_secret, env.GetSecret(kSecret, 32));
  ASSIGN_OR_RETURN(settings.jwks_url, env.GetString(kJwksUrl));
  ASSIGN_OR_RETURN(settings.jwt.issuer, env.GetString(kJwtIssuer));
  ASSIGN_OR_RETURN(settings.jwt.audience, env.GetString(kJwtAudience));

  ASSIGN_OR_RETURN(settings.log_level, LoadLogLevel(env));
  return settings;
}

}  // namespace todo::common::settings
