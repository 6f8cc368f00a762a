// todo-chat: conversations with the assistant. Wiring only; see chat_app.h.

#include "common/lifecycle/service_main.h"
#include "services/chat/chat_app.h"
#include "services/chat/chat_config.h"
#include "services/chat/migrations.h"

int main(int argc, char** argv) {
  using namespace todo;  // NOLINT(google-build-using-namespace): main only wires
  return common::lifecycle::ServiceMain<chat::ChatApp>(
      argc, argv,
      common::lifecycle::ServiceMainSpec<chat::ChatConfig>{
          .binary = "todo-chat",
          .summary = "Conversations with the task assistant (todo.chat.v1.ChatService).",
          .service_name = "chat",
          .env_vars = chat::ChatEnvVars(),
          .load_config = &chat::LoadChatConfig,
          .schema = chat::kSchema,
          .migrations = chat::ChatMigrations()});
}
