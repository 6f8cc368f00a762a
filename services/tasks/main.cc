// todo-tasks: the tasks service. Wiring only; see tasks_service.h.

#include <cstdio>
#include <memory>

#include "common/config/environment.h"
#include "common/lifecycle/process_setup.h"
#include "common/lifecycle/service_lifecycle.h"
#include "common/logging/log.h"
#include "services/tasks/migrations.h"
#include "services/tasks/tasks_app.h"
#include "services/tasks/tasks_config.h"

namespace {

using namespace todo;  // NOLINT(google-build-using-namespace): main only wires

int Run() {
  common::logging::SetServiceName("tasks");
  absl::StatusOr<tasks::TasksConfig> config =
      tasks::LoadTasksConfig(common::config::Environment::FromProcess());
  if (!config.ok()) {
    common::logging::Error("invalid_configuration", {{"error", config.status().message()}});
    return 2;
  }
  common::logging::SetMinLevel(config->common.log_level);

  if (std::optional<int> exit_code = common::lifecycle::ApplyMigrations(
          config->common.pool.connect, tasks::kSchema, tasks::TasksMigrations())) {
    return *exit_code;
  }

  absl::StatusOr<std::unique_ptr<tasks::TasksApp>> app =
      tasks::TasksApp::Start(*config, common::time::Clock::Real());
  if (!app.ok()) {
    common::logging::Error("server_start_failed", {{"error", app.status().message()}});
    return 1;
  }
  return (*app)->ServeUntilTerminated();
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the blocked mask.
  todo::common::lifecycle::PrepareServerProcess();
  if (todo::common::config::WantsHelp(argc, argv)) {
    std::fputs(todo::common::config::FormatHelp(
                   "todo-tasks", "The tasks service (todo.tasks.v1.TasksService) over gRPC.",
                   todo::tasks::TasksEnvVars())
                   .c_str(),
               stdout);
    return 0;
  }
  return Run();
}
