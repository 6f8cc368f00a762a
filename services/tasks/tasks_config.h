#pragma once

// Configuration of todo-tasks, from environment variables (api.md,
// "Configuration"). Loaded once in main and passed down.

#include <vector>

#include "absl/status/statusor.h"
#include "common/config/environment.h"
#include "common/rpc/service_server.h"
#include "common/settings/service_settings.h"
#include "services/tasks/tasks_service.h"

namespace todo::tasks {

struct TasksConfig {
  common::settings::ServiceSettings common;
  TasksServiceOptions service;
  // DB_WRITE_CONNECTIONS: how many loops' connections take CreateTask's
  // inserts (common/pg/pipeline.h); 0 for all.
  int write_connections = 1;
};

// Every variable todo-tasks reads, for --help.
std::vector<common::config::EnvVar> TasksEnvVars();

// INVALID_ARGUMENT naming the variable when a value is missing or bad.
absl::StatusOr<TasksConfig> LoadTasksConfig(const common::config::Environment& env);

}  // namespace todo::tasks
