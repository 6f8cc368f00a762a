#include "services/auth/auth_config.h"

#include "common/config/cpus.h"
#include "common/status/status_macros.h"
#include "services/auth/limits.h"

namespace todo::auth {
namespace {

using common::config::EnvVar;

constexpr EnvVar kExpirationDays{"JWT_EXPIRATION_DAYS", "7", "lifetime of issued tokens, days"};
constexpr EnvVar kTasksAddress{"TASKS_ADDR", "127.0.0.1:50052",
                               "tasks service, for deleting a user's tasks"};
constexpr EnvVar kChatAddress{"CHAT_ADDR", "",
                              "chat service, for deleting a user's conversations (optional)"};
constexpr EnvVar kTimeCost{"ARGON2_TIME_COST", "3", "Argon2id passes"};
constexpr EnvVar kMemoryKib{"ARGON2_MEMORY_KIB", "32768", "Argon2id memory per hash, KiB"};
constexpr EnvVar kMaxConcurrent{"ARGON2_MAX_CONCURRENT", "0",
                                "hashes computing at once (0: one less than the CPUs, at least 1)"};
constexpr EnvVar kMaxQueued{"ARGON2_MAX_QUEUED", "16",
                            "hashes waiting at most; more are refused at once (429, Retry-After)"};

common::settings::ServiceIdentity Identity() { return {"auth", 50051, kMaxRequestBytes}; }

}  // namespace

std::vector<EnvVar> AuthEnvVars() {
  std::vector<EnvVar> vars = common::settings::ServiceEnvVars(Identity());
  vars.insert(vars.end(), {kExpirationDays, kTasksAddress, kChatAddress, kTimeCost, kMemoryKib,
                           kMaxConcurrent, kMaxQueued});
  return vars;
}

absl::StatusOr<AuthConfig> LoadAuthConfig(const common::config::Environment& env) {
  AuthConfig config;
  ASSIGN_OR_RETURN(config.common, common::settings::LoadServiceSettings(env, Identity()));
  config.tokens.secret = config.common.jwt.hs256_secret;
  config.tokens.issuer = config.common.jwt.issuer;
  config.tokens.audience = config.common.jwt.audience;
  ASSIGN_OR_RETURN(const int64_t days, env.GetInt(kExpirationDays, 1, 365));
  config.tokens.lifetime = absl::Hours(24 * days);
  ASSIGN_OR_RETURN(config.tasks_address, env.GetString(kTasksAddress));
  ASSIGN_OR_RETURN(config.chat_address, env.GetString(kChatAddress));
  ASSIGN_OR_RETURN(const int64_t time_cost, env.GetInt(kTimeCost, 1, 100));
  ASSIGN_OR_RETURN(const int64_t memory, env.GetInt(kMemoryKib, 8, 4 * 1024 * 1024));
  ASSIGN_OR_RETURN(const int64_t concurrent, env.GetInt(kMaxConcurrent, 0, 256));
  ASSIGN_OR_RETURN(const int64_t queued, env.GetInt(kMaxQueued, 0, 100000));
  config.argon2.max_queued = static_cast<int>(queued);
  config.argon2.time_cost = static_cast<uint32_t>(time_cost);
  config.argon2.memory_kib = static_cast<uint32_t>(memory);
  config.argon2.max_concurrent =
      concurrent > 0 ? static_cast<int>(concurrent) : std::max(1, common::config::UsableCpus() - 1);
  // A sign-in holds its blocking thread while its hash waits and computes: a
  // thread for each hash slot on top, so a sign-in flood never takes the
  // threads GetMe and DeleteMe need.
  config.common.server.blocking.threads += config.argon2.max_concurrent + config.argon2.max_queued;
  return config;
}

}  // namespace todo::auth
