#include "services/auth/user_data_purger.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/status/grpc_status.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace todo::auth {
namespace {

void Prepare(grpc::ClientContext& context, absl::string_view token) {
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  const absl::string_view request_id = common::logging::ScopedRequestId::Current();
  if (!request_id.empty()) {
    context.AddMetadata("x-request-id", std::string(request_id));
  }
}

absl::Status Named(absl::string_view service, const grpc::Status& status) {
  if (status.ok()) {
    return absl::OkStatus();
  }
  // The peer's words may name addresses ("failed to connect to ...
  // ipv4:10.0.0.7:50052"): they go to the log, the client hears which data
  // could not be removed.
  common::logging::Warning(
      "user_data_purge_failed",
      {{"service", std::string(service)},
       {"code", absl::StatusCodeToString(common::FromGrpcStatus(status).code())},
       {"error", status.error_message()}});
  return absl::Status(common::FromGrpcStatus(status).code(),
                      absl::StrCat("could not remove the user's ", service, "; retry later"));
}

}  // namespace

UserDataPurger::UserDataPurger(const std::string& tasks_address, const std::string& chat_address)
    : tasks_(tasks::v1::TasksService::NewStub(
          grpc::CreateChannel(tasks_address, grpc::InsecureChannelCredentials()))) {
  if (!chat_address.empty()) {
    chat_ = chat::v1::ChatService::NewStub(
        grpc::CreateChannel(chat_address, grpc::InsecureChannelCredentials()));
  }
}

absl::Status UserDataPurger::PurgeAll(absl::string_view bearer_token) const {
  {
    grpc::ClientContext context;
    Prepare(context, bearer_token);
    tasks::v1::PurgeUserTasksResponse response;
    if (absl::Status status =
            Named("tasks",
                  tasks_->PurgeUserTasks(&context, tasks::v1::PurgeUserTasksRequest(), &response));
        !status.ok()) {
      return status;
    }
  }
  if (chat_ != nullptr) {
    grpc::ClientContext context;
    Prepare(context, bearer_token);
    chat::v1::PurgeUserConversationsResponse response;
    return Named("conversations",
                 chat_->PurgeUserConversations(&context, chat::v1::PurgeUserConversationsRequest(),
                                               &response));
  }
  return absl::OkStatus();
}

}  // namespace todo::auth
