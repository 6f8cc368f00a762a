#pragma once

// todo-tasks assembled from its configuration, the one way: database pool
// and token verifier, event loops, the pipeline on those loops, store,
// service, server. main runs it until SIGTERM; the tests start the same
// thing on port 0 (with a fake clock), so they exercise what ships.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/event_loops/event_loops.h"
#include "common/lifecycle/service_lifecycle.h"
#include "common/pg/loop_pipeline.h"
#include "common/rpc/service_server.h"
#include "common/time/clock.h"
#include "common/tombstones/deleted_users.h"
#include "services/tasks/tasks_config.h"
#include "services/tasks/tasks_service.h"
#include "services/tasks/tasks_store.h"

namespace todo::tasks {

class TasksApp {
 public:
  // Serving once this returns (health NOT_SERVING until someone, such as
  // ServeUntilTerminated's database watcher, says otherwise). The schema
  // must be migrated. `clock` must outlive the app.
  static absl::StatusOr<std::unique_ptr<TasksApp>> Start(const TasksConfig& config,
                                                         const common::time::Clock& clock);
  ~TasksApp();
  TasksApp(const TasksApp&) = delete;
  TasksApp& operator=(const TasksApp&) = delete;

  common::rpc::ServiceServer& server() { return *server_; }
  // Keeps health in step with the database until SIGTERM/SIGINT, then stops
  // gracefully; main's exit code.
  int ServeUntilTerminated();
  // Ends open reminder streams (OK), then the server's graceful stop.
  // Idempotent.
  void Shutdown();

 private:
  TasksApp(const TasksConfig& config, const common::time::Clock& clock);

  TasksConfig config_;
  // In order of construction; each outlives what is declared after it.
  common::lifecycle::ServiceBasics basics_;
  common::event_loops::EventLoops loops_;
  common::pg::LoopPipeline pipeline_;
  std::unique_ptr<common::metrics::Watch> pipeline_watch_;  // when metrics are served
  TasksStore store_;
  common::tombstones::DeletedUsers deleted_users_;
  TasksServiceImpl service_;
  std::unique_ptr<common::rpc::ServiceServer> server_;
};

}  // namespace todo::tasks
