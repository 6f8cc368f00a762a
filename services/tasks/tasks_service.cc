#include "services/tasks/tasks_service.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"
#include "services/tasks/errors.h"
#include "services/tasks/limits.h"
#include "services/tasks/task_proto.h"
#include "services/tasks/task_rules.h"
#include "todo/tasks/v1/tasks.pb.h"

namespace todo::tasks {

TasksServiceImpl::TasksServiceImpl(TasksStore* store, const common::jwt::JwtVerifier* verifier,
                                   TasksServiceOptions options)
    : store_(store), options_(options), identity_(verifier, options_.deleted_users) {}

absl::StatusOr<std::optional<RequestKey>> TasksServiceImpl::KeyOf(const Call& context,
                                                                  absl::string_view operation,
                                                                  absl::string_view request) const {
  std::string request_id(context.FirstMetadata("x-request-id"));
  if (request_id.empty()) {
    return std::optional<RequestKey>();
  }
  if (request_id.size() > kMaxRequestIdBytes) {
    return error::InvalidField("x-request-id",
                               absl::StrCat("must be at most ", kMaxRequestIdBytes, " bytes"));
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(request.data()), request.size(), digest);
  return std::optional<RequestKey>(
      RequestKey{std::string(operation), std::move(request_id),
                 absl::BytesToHexString(
                     absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)))});
}

// --- RPCs: authenticate, delegate, finish. ---

common::rpc::MethodTable TasksServiceImpl::Methods(const common::rpc::ServerResources& resources) {
  using common::rpc::AsyncServerStream;
  using common::rpc::AsyncUnary;
  using common::rpc::BlockingUnary;
  blocking_ = resources.blocking;
  common::rpc::BlockingExecutor* const blocking = resources.blocking;
  const std::string prefix = absl::StrCat("/", TasksServiceImpl::kServiceName, "/");
  common::rpc::MethodTable methods;
  methods[prefix + "CreateTask"] = AsyncUnary<v1::CreateTaskRequest, v1::Task>(
      [this](const Call& call, const v1::CreateTaskRequest& request,
             common::rpc::Reply<v1::Task> reply) { CreateAsync(call, request, std::move(reply)); });
  methods[prefix + "GetTask"] = AsyncUnary<v1::GetTaskRequest, v1::Task>(
      [this](const Call& call, const v1::GetTaskRequest& request,
             common::rpc::Reply<v1::Task> reply) { GetAsync(call, request, std::move(reply)); });
  methods[prefix + "ListTasks"] = BlockingUnary<v1::ListTasksRequest, v1::ListTasksResponse>(
      blocking, [this](const Call& call, const v1::ListTasksRequest& request) {
        return List(call, request);
      });
  methods[prefix + "UpdateTask"] = BlockingUnary<v1::UpdateTaskRequest, v1::Task>(
      blocking, [this](const Call& call, const v1::UpdateTaskRequest& request) {
        return Update(call, request);
      });
  methods[prefix + "ReplaceTask"] = BlockingUnary<v1::ReplaceTaskRequest, v1::Task>(
      blocking, [this](const Call& call, const v1::ReplaceTaskRequest& request) {
        return Replace(call, request);
      });
  methods[prefix + "DeleteTask"] = BlockingUnary<v1::DeleteTaskRequest, google::protobuf::Empty>(
      blocking, [this](const Call& call, const v1::DeleteTaskRequest& request) {
        return Delete(call, request.user_id(), request.id());
      });
  methods[prefix + "CompleteTask"] = BlockingUnary<v1::CompleteTaskRequest, v1::Task>(
      blocking, [this](const Call& call, const v1::CompleteTaskRequest& request) {
        return SetCompletion(call, "", request.id(), true, "complete");
      });
  methods[prefix + "ReopenTask"] = BlockingUnary<v1::ReopenTaskRequest, v1::Task>(
      blocking, [this](const Call& call, const v1::ReopenTaskRequest& request) {
        return SetCompletion(call, "", request.id(), false, "reopen");
      });
  methods[prefix + "ToggleTaskCompletion"] =
      BlockingUnary<v1::ToggleTaskCompletionRequest, v1::Task>(
          blocking, [this](const Call& call, const v1::ToggleTaskCompletionRequest& request) {
            return SetCompletion(call, request.user_id(), request.id(), std::nullopt, "toggle");
          });
  methods[prefix + "PurgeUserTasks"] =
      BlockingUnary<v1::PurgeUserTasksRequest, v1::PurgeUserTasksResponse>(
          blocking,
          [this](const Call& call, const v1::PurgeUserTasksRequest&) { return Purge(call); });
  methods[prefix + "StreamReminders"] = AsyncServerStream<v1::StreamRemindersRequest>(
      [this](const std::shared_ptr<Call>& call, const v1::StreamRemindersRequest&) {
        return StreamReminders(call);
      });
  return methods;
}

absl::Status TasksServiceImpl::StreamReminders(const std::shared_ptr<Call>& call) {
  ASSIGN_OR_RETURN(const std::string user, Caller(*call));
  return reminders_.Add(user, call);
}

// --- Transport-free methods. ---

namespace {

// The answer to a call from a stored task.
void ReplyWithTask(common::rpc::Reply<v1::Task> reply, absl::StatusOr<TaskRecord> task) {
  if (!task.ok()) {
    std::move(reply)(task.status());
    return;
  }
  std::move(reply)(ToProto(*task));
}

}  // namespace

void TasksServiceImpl::CreateAsync(const Call& context, const v1::CreateTaskRequest& request,
                                   common::rpc::Reply<v1::Task> reply) {
  struct Checked {
    std::string user;
    std::optional<RequestKey> key;
    TaskFields fields;
  };
  absl::StatusOr<Checked> checked = [&]() -> absl::StatusOr<Checked> {
    Checked out;
    ASSIGN_OR_RETURN(out.user, Caller(context, request.user_id()));
    ASSIGN_OR_RETURN(out.key, KeyOf(context, "create", request.SerializeAsString()));
    ASSIGN_OR_RETURN(out.fields, FieldsFromProto(request.task()));
    RETURN_IF_ERROR(NormalizeAndValidate(out.fields));
    return out;
  }();
  if (!checked.ok()) {
    std::move(reply)(checked.status());
    return;
  }
  const std::string user = checked->user;
  const TaskFields fields = checked->fields;
  const std::optional<RequestKey> key = checked->key;
  store_->CreateAsync(
      user, fields, key,
      [this, checked = *std::move(checked), reply = std::move(reply),
       request = common::logging::ScopedRequestContext::Current()](
          absl::StatusOr<TaskRecord> task) mutable {
        if (!checked.key || !absl::IsAlreadyExists(task.status())) {
          ReplyWithTask(std::move(reply), std::move(task));
          return;
        }
        // The key was used before: replaying (or renewing an expired key)
        // takes a transaction, so not on the pipeline's thread.
        auto shared_reply = std::make_shared<common::rpc::Reply<v1::Task>>(std::move(reply));
        common::rpc::BlockingExecutor::Work replay =
            [this, checked = std::move(checked), shared_reply, request = std::move(request)]() {
              const common::logging::ScopedRequestContext scope(request);
              ReplyWithTask(std::move(*shared_reply),
                            store_->Create(checked.user, checked.fields, checked.key));
            };
        if (!blocking_->TryRun(replay)) {
          std::move (*shared_reply)(common::rpc::ServerBusyError());
        }
      });
}

void TasksServiceImpl::GetAsync(const Call& context, const v1::GetTaskRequest& request,
                                common::rpc::Reply<v1::Task> reply) {
  absl::StatusOr<std::string> user = Caller(context, request.user_id());
  if (!user.ok()) {
    std::move(reply)(user.status());
    return;
  }
  store_->GetAsync(*user, request.id(),
                   [reply = std::move(reply)](absl::StatusOr<TaskRecord> task) mutable {
                     ReplyWithTask(std::move(reply), std::move(task));
                   });
}

absl::StatusOr<v1::ListTasksResponse> TasksServiceImpl::List(const Call& context,
                                                             const v1::ListTasksRequest& request) {
  ASSIGN_OR_RETURN(const std::string user, Caller(context, request.user_id()));
  ASSIGN_OR_RETURN(const ListTasksInput input, ListInputFromProto(request));
  ASSIGN_OR_RETURN(const TaskQuery query, ParseListQuery(input));
  ASSIGN_OR_RETURN(const TaskPage page, store_->List(user, query));
  v1::ListTasksResponse response;
  for (const TaskRecord& task : page.tasks) {
    *response.add_tasks() = ToProto(task);
  }
  response.set_next_page_token(page.next_page_token);
  response.set_total_size(static_cast<int32_t>(page.total_size));
  return response;
}

absl::StatusOr<v1::Task> TasksServiceImpl::Update(const Call& context,
                                                  const v1::UpdateTaskRequest& request) {
  ASSIGN_OR_RETURN(const std::string user, Caller(context));
  ASSIGN_OR_RETURN(const TaskPatch patch, PatchFromProto(request.task(), request.update_mask()));
  const int64_t id = request.task().id();
  ASSIGN_OR_RETURN(
      const TaskRecord task,
      store_->Update(user, id,
                     [&](const TaskRecord& current, TaskFields& fields) -> absl::StatusOr<bool> {
                       if (!patch.expected_etag.empty() && patch.expected_etag != Etag(current)) {
                         return error::StaleEtag(id);
                       }
                       RETURN_IF_ERROR(ApplyPatch(patch, fields));
                       return true;
                     }));
  return ToProto(task);
}

absl::StatusOr<v1::Task> TasksServiceImpl::Replace(const Call& context,
                                                   const v1::ReplaceTaskRequest& request) {
  ASSIGN_OR_RETURN(const std::string user, Caller(context, request.user_id()));
  ASSIGN_OR_RETURN(TaskFields replacement, FieldsFromProto(request.task()));
  RETURN_IF_ERROR(NormalizeAndValidate(replacement));
  const std::string& etag = request.task().etag();
  ASSIGN_OR_RETURN(
      const TaskRecord task,
      store_->Update(user, request.id(),
                     [&](const TaskRecord& current, TaskFields& fields) -> absl::StatusOr<bool> {
                       if (!etag.empty() && etag != Etag(current)) {
                         return error::StaleEtag(request.id());
                       }
                       fields = replacement;
                       return true;
                     }));
  return ToProto(task);
}

absl::StatusOr<google::protobuf::Empty> TasksServiceImpl::Delete(const Call& context,
                                                                 absl::string_view path_user,
                                                                 int64_t id) {
  ASSIGN_OR_RETURN(const std::string user, Caller(context, path_user));
  RETURN_IF_ERROR(store_->Delete(user, id));
  return google::protobuf::Empty();
}

absl::StatusOr<v1::Task> TasksServiceImpl::SetCompletion(const Call& context,
                                                         absl::string_view path_user, int64_t id,
                                                         std::optional<bool> completed,
                                                         absl::string_view operation) {
  ASSIGN_OR_RETURN(const std::string user, Caller(context, path_user));
  ASSIGN_OR_RETURN(const std::optional<RequestKey> key,
                   KeyOf(context, operation, absl::StrCat(path_user, "/", id)));
  ASSIGN_OR_RETURN(const TaskRecord task,
                   store_->Update(
                       user, id,
                       [&](const TaskRecord& current, TaskFields& fields) -> absl::StatusOr<bool> {
                         // Complete: to completed. Reopen: back to pending from any status.
                         const bool want_completed =
                             completed.value_or(!current.fields.completed());
                         const TaskStatus target =
                             want_completed ? TaskStatus::kCompleted : TaskStatus::kPending;
                         if (current.fields.status == target) {
                           return false;  // already so: idempotent
                         }
                         fields.status = target;
                         return true;
                       },
                       key));
  return ToProto(task);
}

absl::StatusOr<v1::PurgeUserTasksResponse> TasksServiceImpl::Purge(const Call& context) {
  ASSIGN_OR_RETURN(const std::string user, Caller(context));
  ASSIGN_OR_RETURN(const int64_t deleted, store_->Purge(user));
  if (options_.deleted_users != nullptr) options_.deleted_users->Add(user);
  common::logging::Info("user_tasks_purged", {{"deleted", deleted}});
  v1::PurgeUserTasksResponse response;
  response.set_deleted_count(deleted);
  return response;
}

}  // namespace todo::tasks
