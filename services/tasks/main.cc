// todo-tasks: the tasks service. Wiring only; see tasks_service.h.

#include <cstdio>
#include <memory>

#include "common/config/environment.h"
#include "common/lifecycle/process_setup.h"
#include "common/lifecycle/service_lifecycle.h"
#include "common/logging/log.h"
#include "common/pg/loop_pipeline.h"
#include "common/rpc/service_server.h"
#include "services/tasks/migrations.h"
#include "services/tasks/tasks_config.h"
#include "todo/tasks/v1/tasks.grpc.pb.h"

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

  const common::time::Clock& clock = common::time::Clock::Real();
  common::lifecycle::ServiceBasics basics(config->common, clock);
  // Calls, and the statements GetTask and CreateTask send, are served by
  // the same loops (declared first: they outlive what runs on them).
  common::event_loops::EventLoops loops(config->event_loops);
  common::pg::PipelineOptions pipeline_options;
  pipeline_options.connect = config->common.pool.connect;
  pipeline_options.write_connections = config->write_connections;
  common::pg::LoopPipeline pipeline(pipeline_options, &loops);
  tasks::TasksStore store(&basics.pool(), &pipeline, &clock);
  common::tombstones::DeletedUsers deleted_users(&basics.pool(), tasks::kSchema, absl::Seconds(1));
  config->service.deleted_users = &deleted_users;
  tasks::TasksServiceImpl service(&store, &basics.verifier(), config->service);

  absl::StatusOr<std::unique_ptr<common::rpc::ServiceServer>> server =
      common::rpc::ServiceServer::Start(
          config->server, &loops,
          [&](common::rpc::StreamThreads* streams) { return service.Methods(streams); });
  if (!server.ok()) {
    common::logging::Error("server_start_failed", {{"error", server.status().message()}});
    return 1;
  }
  return common::lifecycle::ServeUntilTerminated(**server, config->common.pool.connect,
                                                 tasks::v1::TasksService::service_full_name(),
                                                 [&] { service.StopStreams(); });
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
