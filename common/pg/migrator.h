#pragma once

// Applies a service's embedded migrations (services/<svc>/migrations/*.sql,
// compiled in by todo_embed_migrations) to its own Postgres schema.
//
// - In name order, each in its own transaction with search_path set to the
//   schema, recorded in <schema>.schema_migrations with a checksum.
// - Under a session advisory lock per schema, so replicas starting together
//   apply each migration exactly once; the others wait, then find nothing to do.
// - An applied migration whose text has changed is refused (FAILED_PRECONDITION):
//   migrations are forward-only.
// - While the database cannot be reached it retries with exponential backoff
//   until `give_up_after` passes or `should_stop` answers true.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/pg/connection.h"

namespace todo::common::pg {

struct Migration {
  // The file name without .sql, e.g. "0001_create_tasks".
  std::string version;
  std::string sql;
};

struct MigratorOptions {
  ConnectOptions connect;
  // [a-z_][a-z0-9_]*; created when missing.
  std::string schema;
  absl::Duration backoff_initial = absl::Milliseconds(100);
  absl::Duration backoff_max = absl::Seconds(5);
  // Zero: retry for ever.
  absl::Duration give_up_after = absl::ZeroDuration();
  std::function<bool()> should_stop;
};

struct MigrationReport {
  std::vector<std::string> applied;
  int already_applied = 0;
};

absl::StatusOr<MigrationReport> Migrate(const MigratorOptions& options,
                                        const std::vector<Migration>& migrations);

// FNV-1a 64 of the text, as 16 hex digits; stable across builds and hosts.
std::string MigrationChecksum(const std::string& sql);

}  // namespace todo::common::pg
