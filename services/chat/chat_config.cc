#include "services/chat/chat_config.h"

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace todo::chat {
namespace {

using common::config::EnvVar;

constexpr EnvVar kTasksAddress{"TASKS_ADDR", "127.0.0.1:50052",
                               "todo-tasks (host:port; a DNS name means every address)"};
constexpr EnvVar kMaxMessageChars{"CHAT_MAX_MESSAGE_CHARS", "4000",
                                  "characters of one message, after trimming"};
constexpr EnvVar kHistoryMessages{"CHAT_HISTORY_MESSAGES", "20", "earlier messages a turn sees"};
constexpr EnvVar kMaxToolCalls{"CHAT_MAX_TOOL_CALLS", "20", "tool calls in one turn"};
constexpr EnvVar kToolTimeout{"CHAT_TOOL_TIMEOUT_S", "5", "seconds one tool call may take"};
constexpr EnvVar kTurnTimeout{"CHAT_TURN_TIMEOUT_S", "30",
                              "seconds one turn may take (the brain and its tool calls)"};
// A message of 4,000 four-byte characters, its metadata and framing.
constexpr int kMaxRequestBytes = 64 * 1024;

common::settings::ServiceIdentity Identity() { return {"chat", 50053, kMaxRequestBytes}; }

}  // namespace

std::vector<EnvVar> ChatEnvVars() {
  std::vector<EnvVar> vars = common::settings::ServiceEnvVars(Identity());
  for (const EnvVar& var : {kTasksAddress, kMaxMessageChars, kHistoryMessages, kMaxToolCalls,
                            kToolTimeout, kTurnTimeout}) {
    vars.push_back(var);
  }
  for (const EnvVar& var : provider::ProviderEnvVars()) vars.push_back(var);
  return vars;
}

absl::StatusOr<ChatConfig> LoadChatConfig(const common::config::Environment& env) {
  ChatConfig config;
  ASSIGN_OR_RETURN(config.common, common::settings::LoadServiceSettings(env, Identity()));
  ASSIGN_OR_RETURN(config.tasks_address, env.GetString(kTasksAddress));
  ASSIGN_OR_RETURN(const int64_t chars, env.GetInt(kMaxMessageChars, 1, 16000));
  config.limits.max_message_chars = static_cast<size_t>(chars);
  ASSIGN_OR_RETURN(const int64_t history, env.GetInt(kHistoryMessages, 0, 500));
  config.limits.history_messages = static_cast<int>(history);
  ASSIGN_OR_RETURN(const int64_t calls, env.GetInt(kMaxToolCalls, 1, 50));
  config.limits.max_tool_calls = static_cast<int>(calls);
  ASSIGN_OR_RETURN(config.limits.tool_timeout,
                   env.GetSeconds(kToolTimeout, absl::Milliseconds(100), absl::Minutes(2)));
  ASSIGN_OR_RETURN(config.limits.turn_timeout,
                   env.GetSeconds(kTurnTimeout, absl::Seconds(1), absl::Minutes(10)));
  ASSIGN_OR_RETURN(config.provider, provider::LoadProviderConfig(env));
  return config;
}

}  // namespace todo::chat
