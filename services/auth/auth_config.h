#pragma once

// Configuration of todo-auth, from environment variables (api.md,
// "Configuration"). Loaded once in main and passed down.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config/environment.h"
#include "common/settings/service_settings.h"
#include "services/auth/password_hasher.h"
#include "services/auth/sign_in_throttle.h"
#include "services/auth/token_issuer.h"

namespace todo::auth {

struct AuthConfig {
  common::settings::ServiceSettings common;
  TokenOptions tokens;
  Argon2Params argon2;
  // Not configurable by the environment: the limits api.md documents.
  SignInThrottleOptions throttle;
  std::string tasks_address;
  // Empty until a chat service is deployed.
  std::string chat_address;
};

std::vector<common::config::EnvVar> AuthEnvVars();

// INVALID_ARGUMENT naming the variable when a value is missing or bad.
absl::StatusOr<AuthConfig> LoadAuthConfig(const common::config::Environment& env);

}  // namespace todo::auth
