#pragma once

// Which brain answers turns, and how todo-chat reaches an OpenAI-compatible
// provider (api.md, "Configuration"). LLM_PROVIDER=builtin (the default)
// needs nothing else; openai, groq and openrouter know their base URL and a
// default model and need a key; openai_compatible (Ollama, vLLM, LM Studio)
// needs LLM_BASE_URL and LLM_MODEL, and a key only if the server wants one.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config/environment.h"

namespace todo::chat::provider {

struct ProviderConfig {
  // "builtin", "openai", "groq", "openrouter" or "openai_compatible".
  std::string provider = "builtin";
  // Up to and including "/v1": requests go to <base_url>/chat/completions.
  std::string base_url;
  std::string model;
  // Sent as "Authorization: Bearer"; never logged. Empty: no header.
  std::string api_key;
  int max_tokens = 1024;
  double temperature = 0.2;
  // AGENT_INSTRUCTIONS; empty: the built-in instructions.
  std::string instructions;
  bool stream = true;
  // Model requests in one turn (each tool round is one).
  int max_rounds = 6;
  // Further attempts after a 429, a 5xx or a connection that fails.
  int max_retries = 2;
};

std::vector<common::config::EnvVar> ProviderEnvVars();

// INVALID_ARGUMENT naming the variable that is missing or bad.
absl::StatusOr<ProviderConfig> LoadProviderConfig(const common::config::Environment& env);

}  // namespace todo::chat::provider
