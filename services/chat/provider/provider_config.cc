#include "services/chat/provider/provider_config.h"

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/status_macros.h"

namespace todo::chat::provider {
namespace {

using common::config::EnvVar;

constexpr EnvVar kProvider{"LLM_PROVIDER", "builtin",
                           "the brain: builtin (rules, offline), openai, groq, openrouter or "
                           "openai_compatible"};
constexpr EnvVar kBaseUrl{"LLM_BASE_URL", "",
                          "the provider's API up to /v1 (required for openai_compatible)"};
constexpr EnvVar kGroqBaseUrl{"GROQ_BASE_URL", "", "LLM_BASE_URL for groq, when that is unset"};
constexpr EnvVar kModel{"LLM_MODEL", "",
                        "the model (default per provider; required for openai_compatible)"};
constexpr EnvVar kGroqModel{"GROQ_MODEL", "", "LLM_MODEL for groq, when that is unset"};
constexpr EnvVar kApiKey{"LLM_API_KEY", "", "the provider's key (before the ones below)", true};
constexpr EnvVar kOpenAiKey{"OPENAI_API_KEY", "", "the key for openai", true};
constexpr EnvVar kGroqKey{"GROQ_API_KEY", "", "the key for groq", true};
constexpr EnvVar kOpenRouterKey{"OPENROUTER_API_KEY", "", "the key for openrouter", true};
constexpr EnvVar kMaxTokens{"MAX_TOKENS", "1024", "tokens of one model answer"};
constexpr EnvVar kTemperature{"TEMPERATURE", "0.2", "the model's sampling temperature"};
constexpr EnvVar kInstructions{"AGENT_INSTRUCTIONS", "",
                               "the model's instructions (empty: the built-in ones)"};
constexpr EnvVar kStream{"LLM_STREAM", "true", "ask the provider for a streamed answer"};
constexpr EnvVar kMaxRounds{"LLM_MAX_ROUNDS", "6", "model requests in one turn"};
constexpr EnvVar kMaxRetries{"LLM_MAX_RETRIES", "2",
                             "retries of a request answered 429 or 5xx (Retry-After honoured)"};

struct KnownProvider {
  const char* name;
  const char* base_url;
  const char* model;
  const EnvVar* key;
};
constexpr KnownProvider kKnown[] = {
    {"openai", "https://api.openai.com/v1", "gpt-4o-mini", &kOpenAiKey},
    {"groq", "https://api.groq.com/openai/v1", "llama-3.3-70b-versatile", &kGroqKey},
    {"openrouter", "https://openrouter.ai/api/v1", "openai/gpt-4o-mini", &kOpenRouterKey},
    {"openai_compatible", "", "", nullptr},
};

}  // namespace

std::vector<EnvVar> ProviderEnvVars() {
  return {kProvider,    kBaseUrl,      kGroqBaseUrl, kModel,         kGroqModel,
          kApiKey,      kOpenAiKey,    kGroqKey,     kOpenRouterKey, kMaxTokens,
          kTemperature, kInstructions, kStream,      kMaxRounds,     kMaxRetries};
}

absl::StatusOr<ProviderConfig> LoadProviderConfig(const common::config::Environment& env) {
  ProviderConfig config;
  ASSIGN_OR_RETURN(config.provider, env.GetString(kProvider));
  if (config.provider == "builtin") return config;
  const KnownProvider* known = nullptr;
  for (const KnownProvider& candidate : kKnown) {
    if (config.provider == candidate.name) known = &candidate;
  }
  if (known == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("LLM_PROVIDER must be builtin, openai, groq, openrouter or "
                     "openai_compatible, not \"",
                     config.provider, "\""));
  }
  const bool groq = config.provider == "groq";
  config.base_url =
      env.Lookup(kBaseUrl.name)
          .value_or(env.Lookup(groq ? kGroqBaseUrl.name : kBaseUrl.name).value_or(known->base_url));
  config.base_url = std::string(absl::StripSuffix(config.base_url, "/"));
  if (config.base_url.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("LLM_BASE_URL is required for LLM_PROVIDER=", config.provider));
  }
  if (!absl::StartsWith(config.base_url, "http://") &&
      !absl::StartsWith(config.base_url, "https://")) {
    return absl::InvalidArgumentError("LLM_BASE_URL must be an http:// or https:// URL");
  }
  config.model =
      env.Lookup(kModel.name)
          .value_or(env.Lookup(groq ? kGroqModel.name : kModel.name).value_or(known->model));
  if (config.model.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("LLM_MODEL is required for LLM_PROVIDER=", config.provider));
  }
  std::optional<std::string> key = env.Lookup(kApiKey.name);
  if (!key.has_value() && known->key != nullptr) key = env.Lookup(known->key->name);
  if (!key.has_value() && known->key != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(known->key->name,
                                                   " (or LLM_API_KEY) is "
                                                   "required for LLM_PROVIDER=",
                                                   config.provider));
  }
  config.api_key = key.value_or("");
  ASSIGN_OR_RETURN(const int64_t tokens, env.GetInt(kMaxTokens, 16, 32768));
  config.max_tokens = static_cast<int>(tokens);
  ASSIGN_OR_RETURN(config.temperature, env.GetDouble(kTemperature, 0, 2));
  ASSIGN_OR_RETURN(config.instructions, env.GetString(kInstructions));
  ASSIGN_OR_RETURN(config.stream, env.GetBool(kStream));
  ASSIGN_OR_RETURN(const int64_t rounds, env.GetInt(kMaxRounds, 1, 20));
  config.max_rounds = static_cast<int>(rounds);
  ASSIGN_OR_RETURN(const int64_t retries, env.GetInt(kMaxRetries, 0, 5));
  config.max_retries = static_cast<int>(retries);
  return config;
}

}  // namespace todo::chat::provider
