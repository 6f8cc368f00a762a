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
constexpr EnvVar kMaxThreads{"GRPC_MAX_THREADS", "256",
                             "calls served at once, open streams included; more get "
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
          kStatementTimeout, kMaxThreads,       kShutdownGraceVar,
          kLogLevelVar};
}

absl::StatusOr<ServiceSettings> LoadServiceSettings(const config::Environment& env,
                                                    const ServiceIdentity& identity) {
  ServiceSettings settings;
  ASSIGN_OR_RETURN(settings.server.listen_address, env.GetString(kListenAddressVar));
  ASSIGN_OR_RETURN(const int64_t port, env.GetInt(PortVar(identity), 0, 65535));
  settings.server.port = static_cast<int>(port);
  settings.server.max_receive_message_bytes = identity.max_request_bytes;
  ASSIGN_OR_RETURN(const int64_t threads, env.GetInt(kMaxThreads, 4, 10000));
  settings.server.max_threads = static_cast<int>(threads);
  ASSIGN_OR_RETURN(settings.server.shutdown_grace,
                   env.GetSeconds(kShutdownGraceVar, absl::ZeroDuration(), absl::Minutes(10)));

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

  ASSIGN_OR_RETURN(settings.jwt.hs256_secret, env.GetSecret(kSecret, 32));
  ASSIGN_OR_RETURN(settings.jwks_url, env.GetString(kJwksUrl));
  ASSIGN_OR_RETURN(settings.jwt.issuer, env.GetString(kJwtIssuer));
  ASSIGN_OR_RETURN(settings.jwt.audience, env.GetString(kJwtAudience));

  ASSIGN_OR_RETURN(settings.log_level, LoadLogLevel(env));
  return settings;
}

}  // namespace todo::common::settings
