#include "services/chat/chat_app.h"

#include "services/chat/builtin_brain.h"
#include "services/chat/migrations.h"
#include "services/chat/provider/openai_brain.h"

namespace todo::chat {

ChatApp::ChatApp(const ChatConfig& config, const common::time::Clock& clock)
    : config_(config),
      basics_(config_.common, clock),
      loops_(config_.common.event_loops),
      // Called from the blocking threads, never from the loop it runs on.
      tasks_client_(loops_.loop(0), config_.tasks_address),
      tools_(&tasks_client_),
      store_(&basics_.pool(), &clock),
      deleted_users_(&basics_.pool(), kSchema, absl::Seconds(1)),
      brain_(config_.provider.provider == "builtin"
                 ? std::unique_ptr<Brain>(std::make_unique<BuiltinBrain>())
                 : std::make_unique<provider::OpenAiBrain>(config_.provider, &http_)),
      runner_(&store_, &tools_, brain_.get(), &clock, config_.limits),
      service_(&store_, &runner_, &tools_, &basics_.verifier(), &deleted_users_) {}

absl::StatusOr<std::unique_ptr<ChatApp>> ChatApp::Start(const ChatConfig& config,
                                                        const common::time::Clock& clock) {
  std::unique_ptr<ChatApp> app(new ChatApp(config, clock));
  absl::StatusOr<std::unique_ptr<common::rpc::ServiceServer>> server =
      common::rpc::ServeService(app->config_.common.server, &app->loops_, app->service_);
  if (!server.ok()) return server.status();
  app->server_ = *std::move(server);
  return app;
}

ChatApp::~ChatApp() { Shutdown(); }

int ChatApp::ServeUntilTerminated() {
  return common::lifecycle::ServeUntilTerminated(*server_, config_.common.pool.connect,
                                                 ChatServiceImpl::kServiceName);
}

void ChatApp::Shutdown() {
  if (server_ != nullptr) server_->Shutdown();
}

}  // namespace todo::chat
