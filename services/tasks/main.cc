// todo-tasks: the tasks service. Wiring only; see tasks_service.h.

#include "common/lifecycle/service_main.h"
#include "services/tasks/migrations.h"
#include "services/tasks/tasks_app.h"
#include "services/tasks/tasks_config.h"

int main(int argc, char** argv) {
  using namespace todo;  // NOLINT(google-build-using-namespace): main only wires
  return common::lifecycle::ServiceMain<tasks::TasksApp>(
      argc, argv,
      common::lifecycle::ServiceMainSpec<tasks::TasksConfig>{
          .binary = "todo-tasks",
          .summary = "The tasks service (todo.tasks.v1.TasksService) over gRPC.",
          .service_name = "tasks",
          .env_vars = tasks::TasksEnvVars(),
          .load_config = &tasks::LoadTasksConfig,
          .schema = tasks::kSchema,
          .migrations = tasks::TasksMigrations()});
}
