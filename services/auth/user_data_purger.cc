#include "services/auth/user_data_purger.h"

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "todo/chat/v1/chat.pb.h"
#include "todo/tasks/v1/tasks.pb.h"

namespace todo::auth {
namespace {

constexpr absl::Duration kPurgeTimeout = absl::Seconds(10);

common::rpc::Metadata CallMetadata(absl::string_view token) {
  common::rpc::Metadata metadata = {{"authorization", absl::StrCat("Bearer ", token)}};
  const std::string& request_id = common::logging::ScopedRequestContext::Current().request_id;
  if (!request_id.empty()) metadata.emplace_back("x-request-id", request_id);
  return metadata;
}

absl::Status Named(absl::string_view service, const absl::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // The peer's words may name addresses ("failed to connect to ...
  // ipv4:10.0.0.7:50052"): they go to the log, the client hears which data
  // could not be removed.
  common::logging::Warning("user_data_purge_failed",
                           {{"service", std::string(service)},
                            {"code", absl::StatusCodeToString(status.code())},
                            {"error", status.message()}});
  return absl::Status(status.code(),
                      absl::StrCat("could not remove the user's ", service, "; retry later"));
}

}  // namespace

UserDataPurger::UserDataPurger(boost::asio::io_context& loop, const std::string& tasks_address,
                               const std::string& chat_address)
    : tasks_(std::make_unique<common::rpc::BlockingClient>(loop, tasks_address)) {
  if (!chat_address.empty()) {
    chat_ = std::make_unique<common::rpc::BlockingClient>(loop, chat_address);
  }
}

absl::Status UserDataPurger::PurgeAll(absl::string_view bearer_token) const {
  const absl::Status tasks =
      tasks_
          ->Call<tasks::v1::PurgeUserTasksResponse>("/todo.tasks.v1.TasksService/PurgeUserTasks",
                                                    tasks::v1::PurgeUserTasksRequest(),
                                                    CallMetadata(bearer_token), kPurgeTimeout)
          .status();
  if (!tasks.ok()) return Named("tasks", tasks);
  if (chat_ == nullptr) return absl::OkStatus();
  return Named("conversations", chat_
                                    ->Call<chat::v1::PurgeUserConversationsResponse>(
                                        "/todo.chat.v1.ChatService/PurgeUserConversations",
                                        chat::v1::PurgeUserConversationsRequest(),
                                        CallMetadata(bearer_token), kPurgeTimeout)
                                    .status());
}

}  // namespace todo::auth
