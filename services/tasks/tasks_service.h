#pragma once

// TasksServiceImpl: the gRPC face of the tasks service. Each RPC
// authenticates the caller from the `authorization` metadata, then runs a
// transport-free method; FinishRpc converts the outcome. Thread-safe.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/jwt/jwt_verifier.h"
#include "common/server/async_unary.h"
#include "common/server/blocking_executor.h"
#include "services/tasks/tasks_store.h"
#include "todo/tasks/v1/tasks.grpc.pb.h"

namespace todo::tasks {

struct TasksServiceOptions {
  // How often an open reminders stream looks for due reminders.
  absl::Duration reminder_poll_interval = absl::Seconds(1);
  // Threads for async calls that need a transaction (CreateTask with an
  // x-request-id); each holds a pool connection while it works.
  int blocking_threads = 8;
};

// GetTask and CreateTask, the hottest calls, are served asynchronously (a
// pipelined statement, no thread waiting on the database; a create with a
// request key needs a transaction and goes to a blocking thread); the rest
// run on gRPC's sync threads.
class TasksServiceImpl final
    : public v1::TasksService::WithAsyncMethod_GetTask<
          v1::TasksService::WithAsyncMethod_CreateTask<v1::TasksService::Service>>,
      public common::server::ServesAsyncMethods {
 public:
  // `store` and `verifier` must outlive the service.
  TasksServiceImpl(TasksStore* store, const common::jwt::JwtVerifier* verifier,
                   TasksServiceOptions options = {});

  // Ends open reminder streams (OK) so a graceful shutdown need not wait for
  // clients to hang up. Call before the server's Shutdown.
  void StopStreams() { stopping_.Notify(); }

  std::vector<common::server::AsyncMethod*> async_methods() override {
    return {&get_task_, &create_task_};
  }
  grpc::Status ListTasks(grpc::ServerContext* context, const v1::ListTasksRequest* request,
                         v1::ListTasksResponse* response) override;
  grpc::Status UpdateTask(grpc::ServerContext* context, const v1::UpdateTaskRequest* request,
                          v1::Task* response) override;
  grpc::Status ReplaceTask(grpc::ServerContext* context, const v1::ReplaceTaskRequest* request,
                           v1::Task* response) override;
  grpc::Status DeleteTask(grpc::ServerContext* context, const v1::DeleteTaskRequest* request,
                          google::protobuf::Empty* response) override;
  grpc::Status CompleteTask(grpc::ServerContext* context, const v1::CompleteTaskRequest* request,
                            v1::Task* response) override;
  grpc::Status ReopenTask(grpc::ServerContext* context, const v1::ReopenTaskRequest* request,
                          v1::Task* response) override;
  grpc::Status ToggleTaskCompletion(grpc::ServerContext* context,
                                    const v1::ToggleTaskCompletionRequest* request,
                                    v1::Task* response) override;
  grpc::Status StreamReminders(grpc::ServerContext* context,
                               const v1::StreamRemindersRequest* request,
                               grpc::ServerWriter<v1::Reminder>* writer) override;
  grpc::Status PurgeUserTasks(grpc::ServerContext* context,
                              const v1::PurgeUserTasksRequest* request,
                              v1::PurgeUserTasksResponse* response) override;

 private:
  // The verified user of the call; with a non-empty `path_user_id` (the
  // /api/{user_id}/... bindings) it must be the same user, or NOT_FOUND.
  absl::StatusOr<std::string> Caller(const grpc::ServerContext& context,
                                     absl::string_view path_user_id = "") const;
  // The retry key of a call that carries x-request-id.
  absl::StatusOr<std::optional<RequestKey>> KeyOf(const grpc::ServerContext& context,
                                                  absl::string_view operation) const;

  void CreateAsync(const grpc::ServerContext& context, const v1::CreateTaskRequest& request,
                   common::server::Reply<v1::Task> reply);
  void GetAsync(const grpc::ServerContext& context, const v1::GetTaskRequest& request,
                common::server::Reply<v1::Task> reply);
  absl::StatusOr<v1::ListTasksResponse> List(const grpc::ServerContext& context,
                                             const v1::ListTasksRequest& request);
  absl::StatusOr<v1::Task> Update(const grpc::ServerContext& context,
                                  const v1::UpdateTaskRequest& request);
  absl::StatusOr<v1::Task> Replace(const grpc::ServerContext& context,
                                   const v1::ReplaceTaskRequest& request);
  absl::StatusOr<google::protobuf::Empty> Delete(const grpc::ServerContext& context,
                                                 absl::string_view path_user, int64_t id);
  // Sets the status of a task (complete, reopen, toggle).
  absl::StatusOr<v1::Task> SetCompletion(const grpc::ServerContext& context,
                                         absl::string_view path_user, int64_t id,
                                         std::optional<bool> completed,
                                         absl::string_view operation);
  absl::StatusOr<v1::PurgeUserTasksResponse> Purge(const grpc::ServerContext& context);

  TasksStore* const store_;
  const common::jwt::JwtVerifier* const verifier_;
  const TasksServiceOptions options_;
  absl::Notification stopping_;
  common::server::BlockingExecutor blocking_{options_.blocking_threads};
  common::server::AsyncUnaryMethod<v1::GetTaskRequest, v1::Task> get_task_ =
      common::server::BindAsyncMethod("GetTask", this, &TasksServiceImpl::RequestGetTask,
                                      &TasksServiceImpl::GetAsync);
  common::server::AsyncUnaryMethod<v1::CreateTaskRequest, v1::Task> create_task_ =
      common::server::BindAsyncMethod("CreateTask", this, &TasksServiceImpl::RequestCreateTask,
                                      &TasksServiceImpl::CreateAsync);
};

}  // namespace todo::tasks
