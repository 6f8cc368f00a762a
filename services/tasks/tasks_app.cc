#include "services/tasks/tasks_app.h"

#include "services/tasks/migrations.h"
#include "todo/tasks/v1/tasks.pb.h"

namespace todo::tasks {
namespace {

common::pg::PipelineOptions PipelineOptionsOf(const TasksConfig& config) {
  common::pg::PipelineOptions options;
  options.connect = config.common.pool.connect;
  options.write_connections = config.write_connections;
  return options;
}

TasksServiceOptions ServiceOptionsOf(const TasksConfig& config,
                                     common::tombstones::DeletedUsers* deleted_users) {
  TasksServiceOptions options = config.service;
  options.deleted_users = deleted_users;
  return options;
}

}  // namespace

TasksApp::TasksApp(const TasksConfig& config, const common::time::Clock& clock)
    : config_(config),
      basics_(config_.common, clock),
      // Calls, and the statements GetTask and CreateTask send, are served by
      // the same loops.
      loops_(config_.common.event_loops),
      pipeline_(PipelineOptionsOf(config_), &loops_),
      store_(&basics_.pool(), &pipeline_, &clock),
      deleted_users_(&basics_.pool(), kSchema, absl::Seconds(1)),
      service_(&store_, &basics_.verifier(), ServiceOptionsOf(config_, &deleted_users_)) {
  if (config_.common.metrics != nullptr) {
    pipeline_watch_ = config_.common.metrics->WatchPipeline(&pipeline_);
  }
}

absl::StatusOr<std::unique_ptr<TasksApp>> TasksApp::Start(const TasksConfig& config,
                                                          const common::time::Clock& clock) {
  std::unique_ptr<TasksApp> app(new TasksApp(config, clock));
  absl::StatusOr<std::unique_ptr<common::rpc::ServiceServer>> server =
      common::rpc::ServeService(app->config_.common.server, &app->loops_, app->service_);
  if (!server.ok()) return server.status();
  app->server_ = *std::move(server);
  return app;
}

TasksApp::~TasksApp() { Shutdown(); }

int TasksApp::ServeUntilTerminated() {
  return common::lifecycle::ServeUntilTerminated(*server_, config_.common.pool.connect,
                                                 TasksServiceImpl::kServiceName,
                                                 [this] { service_.StopStreams(); });
}

void TasksApp::Shutdown() {
  if (server_ == nullptr) return;
  service_.StopStreams();
  server_->Shutdown();
}

}  // namespace todo::tasks
