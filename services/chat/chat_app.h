#pragma once

// todo-chat assembled from its configuration, the one way: database pool
// and token verifier, event loops, the client to todo-tasks, store, tools,
// brain, turn runner, service, server. main runs it until SIGTERM; the
// tests start the same thing on port 0.

#include <memory>

#include "absl/status/statusor.h"
#include "common/event_loops/event_loops.h"
#include "common/http_client/curl_client.h"
#include "common/lifecycle/service_lifecycle.h"
#include "common/rpc/blocking_client.h"
#include "common/rpc/service_server.h"
#include "common/time/clock.h"
#include "common/tombstones/deleted_users.h"
#include "services/chat/brain.h"
#include "services/chat/chat_config.h"
#include "services/chat/chat_service.h"
#include "services/chat/chat_store.h"
#include "services/chat/task_tools.h"
#include "services/chat/turn_runner.h"

namespace todo::chat {

class ChatApp {
 public:
  // Serving once this returns (health NOT_SERVING until the database
  // watcher says otherwise). The schema must be migrated. `clock` must
  // outlive the app.
  static absl::StatusOr<std::unique_ptr<ChatApp>> Start(const ChatConfig& config,
                                                        const common::time::Clock& clock);
  ~ChatApp();
  ChatApp(const ChatApp&) = delete;
  ChatApp& operator=(const ChatApp&) = delete;

  common::rpc::ServiceServer& server() { return *server_; }
  int ServeUntilTerminated();
  void Shutdown();

 private:
  ChatApp(const ChatConfig& config, const common::time::Clock& clock);

  ChatConfig config_;
  // In order of construction; each outlives what is declared after it.
  common::lifecycle::ServiceBasics basics_;
  common::event_loops::EventLoops loops_;
  common::rpc::BlockingClient tasks_client_;
  TaskTools tools_;
  ChatStore store_;
  common::tombstones::DeletedUsers deleted_users_;
  common::http_client::CurlClient http_;
  // The built-in brain, or one behind the configured provider.
  std::unique_ptr<Brain> brain_;
  TurnRunner runner_;
  ChatServiceImpl service_;
  std::unique_ptr<common::rpc::ServiceServer> server_;
};

}  // namespace todo::chat
