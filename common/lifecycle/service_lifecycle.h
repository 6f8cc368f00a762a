#pragma once

// The start and stop sequence every gRPC service's main runs:
//   1. ApplyMigrations: the schema's migrations, waiting for the database
//      with backoff (SIGTERM/SIGINT during the wait ends it cleanly);
//   2. ServeUntilTerminated: the database health watcher on the server's
//      grpc.health.v1, then wait for SIGTERM/SIGINT and stop gracefully.
// main must have called TerminationSignal::BlockInThisThread first.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/pg/connection.h"
#include "common/pg/migrator.h"
#include "common/server/grpc_server.h"

namespace todo::common::lifecycle {

// nullopt when the schema is up to date; otherwise the exit code main should
// return: 0 when a stop signal came while waiting, 1 when migrating failed.
std::optional<int> ApplyMigrations(const pg::ConnectOptions& connect, const std::string& schema,
                                   const std::vector<pg::Migration>& migrations);

// Keeps `server`'s health in step with the database until a stop signal, then
// runs `before_shutdown` (e.g. ending open streams) and shuts the server down
// gracefully. Returns main's exit code (0).
int ServeUntilTerminated(server::GrpcServer& server, const pg::ConnectOptions& database,
                         const std::string& service_name,
                         const std::function<void()>& before_shutdown = {});

}  // namespace todo::common::lifecycle
