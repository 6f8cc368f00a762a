#pragma once

// Removes a user's data from the services that own it (tasks, and chat when
// configured) through their internal Purge RPCs, calling with the user's own
// token, so no service acts on another user's data. Calls go through
// common/rpc's client from one of auth's event loops.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/rpc/blocking_client.h"

namespace todo::auth {

class UserDataPurger {
 public:
  // An empty chat address: no chat service to purge. `loop` must outlive
  // the purger and keep running while it is used.
  UserDataPurger(boost::asio::io_context& loop, const std::string& tasks_address,
                 const std::string& chat_address);

  // UNAVAILABLE (or the callee's error) when a service could not purge; the
  // caller must then keep the account so the deletion can be retried. Call
  // from a blocking thread, never from the loop.
  absl::Status PurgeAll(absl::string_view bearer_token) const;

 private:
  std::unique_ptr<common::rpc::BlockingClient> tasks_;
  std::unique_ptr<common::rpc::BlockingClient> chat_;
};

}  // namespace todo::auth
