#include "services/tasks/tasks_config.h"

#include "common/status/status_macros.h"
#include "services/tasks/limits.h"

namespace todo::tasks {
namespace {

using common::config::EnvVar;

constexpr EnvVar kReminderPoll{
    "REMINDER_POLL_INTERVAL_S", "1",
    "how often due reminders are looked for (one query for all streams)"};
constexpr EnvVar kStreamsPerUser{"REMINDER_STREAMS_PER_USER", "3",
                                 "open reminder streams one user may hold"};

constexpr EnvVar kWriteConnections{
    "DB_WRITE_CONNECTIONS", "1",
    "of the loops' database connections, how many take inserts (0: all); more suit a "
    "database with cores of its own"};
common::settings::ServiceIdentity Identity() { return {"tasks", 50052, kMaxRequestBytes}; }

}  // namespace

std::vector<EnvVar> TasksEnvVars() {
  std::vector<EnvVar> vars = common::settings::ServiceEnvVars(Identity());
  vars.push_back(kReminderPoll);
  vars.push_back(kStreamsPerUser);
  vars.push_back(kWriteConnections);
  return vars;
}

absl::StatusOr<TasksConfig> LoadTasksConfig(const common::config::Environment& env) {
  TasksConfig config;
  ASSIGN_OR_RETURN(config.common, common::settings::LoadServiceSettings(env, Identity()));
  ASSIGN_OR_RETURN(config.service.reminders.poll_interval,
                   env.GetSeconds(kReminderPoll, absl::Milliseconds(10), absl::Minutes(10)));
  ASSIGN_OR_RETURN(const int64_t per_user, env.GetInt(kStreamsPerUser, 1, 1000));
  config.service.reminders.max_streams_per_user = static_cast<int>(per_user);
  config.service.reminders.reminders_per_poll = kRemindersPerPoll;
  // Reminder streams hold no thread: they are capped by the server's call
  // cap and per user.
  config.service.reminders.max_streams = config.common.server.server.max_concurrent_calls;
  ASSIGN_OR_RETURN(const int64_t writers, env.GetInt(kWriteConnections, 0, 256));
  config.write_connections = static_cast<int>(writers);
  return config;
}

}  // namespace todo::tasks
