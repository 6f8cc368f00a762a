#include "services/tasks/tasks_config.h"

#include "common/status/status_macros.h"
#include "services/tasks/limits.h"

namespace todo::tasks {
namespace {

using common::config::EnvVar;

constexpr EnvVar kReminderPoll{"REMINDER_POLL_INTERVAL_S", "1",
                               "how often reminder streams look for due reminders"};

common::settings::ServiceIdentity Identity() { return {"tasks", 50052, kMaxRequestBytes}; }

}  // namespace

std::vector<EnvVar> TasksEnvVars() {
  std::vector<EnvVar> vars = common::settings::ServiceEnvVars(Identity());
  vars.push_back(kReminderPoll);
  return vars;
}

absl::StatusOr<TasksConfig> LoadTasksConfig(const common::config::Environment& env) {
  TasksConfig config;
  ASSIGN_OR_RETURN(config.common, common::settings::LoadServiceSettings(env, Identity()));
  ASSIGN_OR_RETURN(config.service.reminder_poll_interval,
                   env.GetSeconds(kReminderPoll, absl::Milliseconds(10), absl::Minutes(10)));
  return config;
}

}  // namespace todo::tasks
