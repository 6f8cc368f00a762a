#include "services/tasks/tasks_config.h"

#include "absl/strings/string_view.h"
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

constexpr EnvVar kWorkers{"GRPC_WORKERS", "0",
                          "event loops serving calls and their statements (0: one per usable CPU)"};
constexpr EnvVar kWriteConnections{
    "DB_WRITE_CONNECTIONS", "1",
    "of the loops' database connections, how many take inserts (0: all); more suit a "
    "database with cores of its own"};
common::settings::ServiceIdentity Identity() { return {"tasks", 50052, kMaxRequestBytes}; }

}  // namespace

std::vector<EnvVar> TasksEnvVars() {
  std::vector<EnvVar> vars = common::settings::ServiceEnvVars(Identity());
  // Unary calls here are not served by threads (they queue on the event
  // loops and the pool); the shared thread cap bounds open streams.
  for (EnvVar& var : vars) {
    if (absl::string_view(var.name) == "GRPC_MAX_THREADS") {
      var.doc =
          "open reminder streams at once, and health watches (each its own cap); more get "
          "RESOURCE_EXHAUSTED";
    }
  }
  vars.push_back(kReminderPoll);
  vars.push_back(kStreamsPerUser);
  vars.push_back(kWorkers);
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
  // Calls that need a transaction each hold a pool connection: more threads
  // than connections would only queue for them.
  config.service.blocking_threads = config.common.pool.size;
  const common::server::ServerOptions& grpc = config.common.server;
  config.server.server.listen_address = grpc.listen_address;
  config.server.server.port = grpc.port;
  config.server.server.max_receive_message_bytes =
      static_cast<size_t>(grpc.max_receive_message_bytes);
  config.server.server.shutdown_grace = grpc.shutdown_grace;
  config.server.max_streams = grpc.max_threads;
  config.service.reminders.max_streams = grpc.max_threads;
  ASSIGN_OR_RETURN(const int64_t workers, env.GetInt(kWorkers, 0, 256));
  config.event_loops = static_cast<int>(workers);
  ASSIGN_OR_RETURN(const int64_t writers, env.GetInt(kWriteConnections, 0, 256));
  config.write_connections = static_cast<int>(writers);
  return config;
}

}  // namespace todo::tasks
