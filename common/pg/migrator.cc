#include "common/pg/migrator.h"

#include <algorithm>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/pg/transaction.h"
#include "common/status/status_macros.h"

namespace todo::common::pg {
namespace {

bool IsValidSchemaName(const std::string& schema) {
  if (schema.empty() || schema.size() > 63 || !(std::islower(schema[0]) || schema[0] == '_')) {
    return false;
  }
  return std::all_of(schema.begin(), schema.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

absl::StatusOr<std::unique_ptr<Connection>> ConnectWithBackoff(const MigratorOptions& options) {
  const absl::Time start = absl::Now();
  absl::Duration backoff = options.backoff_initial;
  while (true) {
    absl::StatusOr<std::unique_ptr<Connection>> connection = Connection::Open(options.connect);
    if (connection.ok() || connection.status().code() != absl::StatusCode::kUnavailable) {
      return connection;
    }
    if (options.give_up_after > absl::ZeroDuration() &&
        absl::Now() - start + backoff > options.give_up_after) {
      return connection.status();
    }
    logging::Warning("migrator_waiting_for_database",
                     {{"error", std::string(connection.status().message())},
                      {"retry_in_ms", absl::ToInt64Milliseconds(backoff)}});
    // Sleep in slices so a stop request is noticed quickly.
    const absl::Time wake = absl::Now() + backoff;
    while (absl::Now() < wake) {
      if (options.should_stop && options.should_stop()) {
        return absl::CancelledError("stopped while waiting for the database");
      }
      absl::SleepFor(std::min(absl::Milliseconds(50), wake - absl::Now()));
    }
    backoff = std::min(options.backoff_max, backoff * 2);
  }
}

absl::StatusOr<MigrationReport> ApplyLocked(Connection& connection, const std::string& schema,
                                            const std::vector<Migration>& migrations) {
  RETURN_IF_ERROR(connection.ExecuteScript(
      "migrator_create_schema",
      absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", schema, ";\nCREATE TABLE IF NOT EXISTS ", schema,
                   ".schema_migrations (version text PRIMARY KEY, checksum text NOT NULL, "
                   "applied_at timestamptz NOT NULL DEFAULT now())")));
  ASSIGN_OR_RETURN(Result applied_rows,
                   connection.ExecuteOnce("migrator_select_applied",
                                          absl::StrCat("SELECT version, checksum FROM ", schema,
                                                       ".schema_migrations")));
  absl::flat_hash_map<std::string, std::string> applied;
  for (int row = 0; row < applied_rows.rows(); ++row) {
    applied.emplace(applied_rows.GetText(row, 0), applied_rows.GetText(row, 1));
  }

  MigrationReport report;
  for (const Migration& migration : migrations) {
    const std::string checksum = MigrationChecksum(migration.sql);
    if (auto it = applied.find(migration.version); it != applied.end()) {
      if (it->second != checksum) {
        return absl::FailedPreconditionError(
            absl::StrCat("migration ", schema, "/", migration.version,
                         " was changed after it was applied; add a new migration instead"));
      }
      ++report.already_applied;
      continue;
    }
    ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(connection));
    RETURN_IF_ERROR(connection.ExecuteScript(
        "migrator_search_path", absl::StrCat("SET LOCAL search_path TO ", schema, ", public")));
    if (absl::Status status = connection.ExecuteScript(migration.version, migration.sql);
        !status.ok()) {
      return absl::Status(status.code(), absl::StrCat("migration ", schema, "/", migration.version,
                                                      " failed: ", status.message()));
    }
    RETURN_IF_ERROR(connection
                        .ExecuteOnce("migrator_record",
                                     absl::StrCat("INSERT INTO ", schema,
                                                  ".schema_migrations (version, checksum) "
                                                  "VALUES ($1, $2)"),
                                     Params().Add(migration.version).Add(checksum))
                        .status());
    RETURN_IF_ERROR(tx.Commit());
    logging::Info("migration_applied", {{"schema", schema}, {"version", migration.version}});
    report.applied.push_back(migration.version);
  }
  return report;
}

}  // namespace

std::string MigrationChecksum(const std::string& sql) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : sql) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return absl::StrFormat("%016x", hash);
}

absl::StatusOr<MigrationReport> Migrate(const MigratorOptions& options,
                                        const std::vector<Migration>& migrations) {
  if (!IsValidSchemaName(options.schema)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid schema name \"", options.schema, "\""));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, ConnectWithBackoff(options));
  const std::string lock_key = absl::StrCat("todo-grpc/migrations/", options.schema);
  // Session-level lock: held across the per-migration transactions, released
  // when this connection closes even if the process dies.
  RETURN_IF_ERROR(connection
                      ->ExecuteOnce("migrator_lock", "SELECT pg_advisory_lock(hashtext($1))",
                                    Params().Add(lock_key))
                      .status());
  absl::StatusOr<MigrationReport> report = ApplyLocked(*connection, options.schema, migrations);
  connection
      ->ExecuteOnce("migrator_unlock", "SELECT pg_advisory_unlock(hashtext($1))",
                    Params().Add(lock_key))
      .IgnoreError();
  return report;
}

}  // namespace todo::common::pg
