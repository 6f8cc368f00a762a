#pragma once

// Removes a user's data from the services that own it (tasks, and chat when
// configured) through their internal Purge RPCs, calling with the user's own
// token, so no service acts on another user's data.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "todo/chat/v1/chat.grpc.pb.h"
#include "todo/tasks/v1/tasks.grpc.pb.h"

namespace todo::auth {

class UserDataPurger {
 public:
  // An empty chat address: no chat service to purge (yet).
  UserDataPurger(const std::string& tasks_address, const std::string& chat_address);

  // UNAVAILABLE (or the callee's error) when a service could not purge; the
  // caller must then keep the account so the deletion can be retried.
  absl::Status PurgeAll(absl::string_view bearer_token) const;

 private:
  std::unique_ptr<tasks::v1::TasksService::Stub> tasks_;
  std::unique_ptr<chat::v1::ChatService::Stub> chat_;
};

}  // namespace todo::auth
