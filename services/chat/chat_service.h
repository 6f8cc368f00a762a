#pragma once

// todo.chat.v1.ChatService on common/rpc: the caller from the token
// (CallerIdentity), turns through TurnRunner, conversations and messages
// from ChatStore. Every method blocks (transactions, tool calls) and runs
// on the server's blocking threads; StreamMessage holds a stream thread
// while its turn runs and writes each tool call, its result and the reply
// as they happen. ListTools and CallTool serve the task tools themselves
// to the gateway's MCP endpoint, run by the same TaskTools as the turns.

#include <string>

#include "common/identity/caller_identity.h"
#include "common/rpc/service_server.h"
#include "common/tombstones/deleted_users.h"
#include "services/chat/chat_store.h"
#include "services/chat/task_tools.h"
#include "services/chat/turn_runner.h"

namespace todo::chat {

class ChatServiceImpl final {
 public:
  static constexpr char kServiceName[] = "todo.chat.v1.ChatService";

  // Every pointer must outlive the service; `deleted_users` may be null.
  ChatServiceImpl(ChatStore* store, TurnRunner* runner, const TaskTools* tools,
                  const common::jwt::JwtVerifier* verifier,
                  common::tombstones::DeletedUsers* deleted_users)
      : store_(store),
        runner_(runner),
        tools_(tools),
        deleted_users_(deleted_users),
        identity_(verifier, deleted_users) {}

  common::rpc::MethodTable Methods(const common::rpc::ServerResources& resources);

 private:
  ChatStore* const store_;
  TurnRunner* const runner_;
  const TaskTools* const tools_;
  common::tombstones::DeletedUsers* const deleted_users_;
  const common::identity::CallerIdentity identity_;
};

}  // namespace todo::chat
