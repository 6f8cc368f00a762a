#pragma once

// The settings every gRPC service reads the same way (api.md,
// "Configuration"): listen address and port, its Postgres pool, token
// verification and log level. A service's own config adds its knobs on top.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config/environment.h"
#include "common/jwt/jwt_verifier.h"
#include "common/logging/log.h"
#include "common/pg/connection_pool.h"
#include "common/rpc/service_server.h"

namespace todo::common::metrics {
class ServiceMetrics;
}  // namespace todo::common::metrics

namespace todo::common::settings {

struct ServiceSettings {
  // Listen address and port, receive limit, call cap, blocking threads and
  // their queue, shutdown grace (the one list of gRPC knobs: README,
  // "Configuration").
  rpc::ServiceServerOptions server;
  // GRPC_WORKERS: event loops serving calls (and a service's pipelined
  // statements); 0 for one per usable CPU.
  int event_loops = 0;
  pg::PoolOptions pool;
  jwt::JwtVerifierOptions jwt;
  // Empty: only HS256 tokens are accepted.
  std::string jwks_url;
  logging::Level log_level = logging::Level::kInfo;
  // METRICS_PORT: Prometheus /metrics on LISTEN_ADDRESS; 0 serves none.
  int metrics_port = 0;
  // Set by ServiceMain when metrics are served (what the pool reports to).
  metrics::ServiceMetrics* metrics = nullptr;
};

// Names and defaults that differ per service.
struct ServiceIdentity {
  // e.g. "tasks": reads TASKS_DATABASE_URL before DATABASE_URL and names its
  // connections todo-tasks.
  std::string name;
  int default_port = 0;
  int max_request_bytes = 4 * 1024 * 1024;
};

// Read the same way by every binary, the gateway included.
inline constexpr config::EnvVar kListenAddressVar{"LISTEN_ADDRESS", "0.0.0.0",
                                                  "interface to listen on"};
inline constexpr config::EnvVar kShutdownGraceVar{"SHUTDOWN_GRACE_S", "10",
                                                  "seconds calls in progress get after SIGTERM"};
inline constexpr config::EnvVar kLogLevelVar{"LOG_LEVEL", "info", "debug, info, warning or error"};
inline constexpr config::EnvVar kMetricsPortVar{
    "METRICS_PORT", "0", "port of the Prometheus /metrics endpoint (0: not served)"};
// LOG_LEVEL, INVALID_ARGUMENT naming it when the word is not a level.
absl::StatusOr<logging::Level> LoadLogLevel(const config::Environment& env);

// The variables read by LoadServiceSettings, for --help.
std::vector<config::EnvVar> ServiceEnvVars(const ServiceIdentity& identity);

// INVALID_ARGUMENT naming the variable when a value is missing or bad.
absl::StatusOr<ServiceSettings> LoadServiceSettings(const config::Environment& env,
                                                    const ServiceIdentity& identity);

}  // namespace todo::common::settings
