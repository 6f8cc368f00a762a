#pragma once

// TasksServiceImpl: the gRPC face of the tasks service. Each RPC
// authenticates the caller from the `authorization` metadata, then runs a
// method that knows nothing of the wire; rpc/methods.h converts the
// outcome. Thread-safe.

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/identity/caller_identity.h"
#include "common/jwt/jwt_verifier.h"
#include "common/rpc/blocking_executor.h"
#include "common/rpc/methods.h"
#include "common/rpc/reply.h"
#include "common/rpc/server.h"
#include "common/rpc/service_server.h"
#include "common/rpc/status.h"
#include "common/tombstones/deleted_users.h"
#include "google/protobuf/empty.pb.h"
#include "services/tasks/reminder_hub.h"
#include "services/tasks/tasks_store.h"
#include "todo/tasks/v1/tasks.pb.h"

namespace todo::tasks {

using common::rpc::Call;

struct TasksServiceOptions {
  // StreamReminders: how often due reminders are looked for, and the caps on
  // open streams.
  ReminderHubOptions reminders;
  // Deleted accounts, whose tokens are refused (nullptr: none are); Purge
  // adds its user. Must outlive the service.
  common::tombstones::DeletedUsers* deleted_users = nullptr;
};

// Every method is served from common/rpc's event loops. GetTask and
// CreateTask, the hottest calls, answer asynchronously: their one statement
// goes on the pipeline and the answer is handed back to the loop, so no
// thread waits on the database (a create with a request key needs a
// transaction and goes to a blocking thread). The others need transactions
// and run on the blocking threads. StreamReminders calls are handed to a
// ReminderHub: no thread of their own, one poller for all.
class TasksServiceImpl final {
 public:
  // The gRPC service it serves (methods are bound by name and checked
  // against the descriptor at start).
  static constexpr char kServiceName[] = "todo.tasks.v1.TasksService";

  // `store` and `verifier` must outlive the service.
  TasksServiceImpl(TasksStore* store, const common::jwt::JwtVerifier* verifier,
                   TasksServiceOptions options = {});

  // Every RPC of todo.tasks.v1.TasksService, by path; calls that need a
  // transaction (every RPC but GetTask and a CreateTask without
  // x-request-id) run on the server's blocking threads. Called once; the
  // service must outlive the server.
  common::rpc::MethodTable Methods(const common::rpc::ServerResources& resources);

  // Ends open reminder streams (OK) so a graceful shutdown need not wait for
  // clients to hang up. Call before the server's Shutdown.
  void StopStreams() { reminders_.Stop(); }

 private:
  // The verified user of the call; with a non-empty `path_user_id` (the
  // /api/{user_id}/... bindings) it must be the same user, or NOT_FOUND.
  absl::StatusOr<std::string> Caller(const Call& context,
                                     absl::string_view path_user_id = "") const {
    return identity_.UserOf(context, path_user_id);
  }
  // The retry key of a call that carries x-request-id; `request` is what the
  // call asks for (its message, or the task it acts on), digested into the
  // key's fingerprint.
  absl::StatusOr<std::optional<RequestKey>> KeyOf(const Call& context, absl::string_view operation,
                                                  absl::string_view request) const;

  void CreateAsync(const Call& context, const v1::CreateTaskRequest& request,
                   common::rpc::Reply<v1::Task> reply);
  absl::Status StreamReminders(const std::shared_ptr<Call>& call);
  void GetAsync(const Call& context, const v1::GetTaskRequest& request,
                common::rpc::Reply<v1::Task> reply);
  absl::StatusOr<v1::ListTasksResponse> List(const Call& context,
                                             const v1::ListTasksRequest& request);
  absl::StatusOr<v1::Task> Update(const Call& context, const v1::UpdateTaskRequest& request);
  absl::StatusOr<v1::Task> Replace(const Call& context, const v1::ReplaceTaskRequest& request);
  absl::StatusOr<google::protobuf::Empty> Delete(const Call& context, absl::string_view path_user,
                                                 int64_t id);
  // Sets the status of a task (complete, reopen, toggle).
  absl::StatusOr<v1::Task> SetCompletion(const Call& context, absl::string_view path_user,
                                         int64_t id, std::optional<bool> completed,
                                         absl::string_view operation);
  absl::StatusOr<v1::PurgeUserTasksResponse> Purge(const Call& context);

  TasksStore* const store_;
  const TasksServiceOptions options_;
  const common::identity::CallerIdentity identity_;
  common::rpc::BlockingExecutor* blocking_ = nullptr;  // the server's, set by Methods
  ReminderHub reminders_{store_, options_.reminders};
};

}  // namespace todo::tasks
