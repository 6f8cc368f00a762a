#pragma once

// Configuration of todo-chat, from environment variables (api.md,
// "Configuration"). Loaded once in main and passed down.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config/environment.h"
#include "common/settings/service_settings.h"
#include "services/chat/provider/provider_config.h"
#include "services/chat/turn_runner.h"

namespace todo::chat {

struct ChatConfig {
  common::settings::ServiceSettings common;
  // TASKS_ADDR: where the tools call todo-tasks.
  std::string tasks_address;
  TurnLimits limits;
  // LLM_PROVIDER and the rest of the provider's variables.
  provider::ProviderConfig provider;
};

// Every variable todo-chat reads, for --help.
std::vector<common::config::EnvVar> ChatEnvVars();

// INVALID_ARGUMENT naming the variable when a value is missing or bad.
absl::StatusOr<ChatConfig> LoadChatConfig(const common::config::Environment& env);

}  // namespace todo::chat
