#pragma once

// Configuration of todo-tasks, from environment variables (api.md,
// "Configuration"). Loaded once in main and passed down.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/config/environment.h"
#include "common/jwt/jwt_verifier.h"
#include "common/logging/log.h"
#include "common/pg/connection_pool.h"
#include "common/server/grpc_server.h"
#include "services/tasks/tasks_service.h"

namespace todo::tasks {

struct TasksConfig {
  common::server::ServerOptions server;
  common::pg::PoolOptions pool;
  common::jwt::JwtVerifierOptions jwt;
  // Empty: only HS256 tokens are accepted.
  std::string jwks_url;
  TasksServiceOptions service;
  absl::Duration health_interval = absl::Seconds(1);
  common::logging::Level log_level = common::logging::Level::kInfo;
};

// Every variable todo-tasks reads, for --help.
absl::Span<const common::config::EnvVar> TasksEnvVars();

// INVALID_ARGUMENT naming the variable when a value is missing or bad.
absl::StatusOr<TasksConfig> LoadTasksConfig(const common::config::Environment& env);

}  // namespace todo::tasks
