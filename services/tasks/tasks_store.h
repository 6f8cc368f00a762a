#pragma once

// The tasks schema in Postgres. Every method takes the caller's user id first
// and every statement filters on it, so another user's task is simply not
// found. Thread-safe (connections come from the pool).
//
// Errors: NOT_FOUND (error::TaskNotFound), INVALID_ARGUMENT from the task
// rules, ABORTED on a stale etag or a lost race, UNAVAILABLE while the
// database cannot be reached, INTERNAL otherwise.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pg/connection_pool.h"
#include "common/pg/statement_runner.h"
#include "common/time/clock.h"
#include "services/tasks/task.h"
#include "services/tasks/task_query.h"

namespace todo::tasks {

// Identifies a retried request: the same user, operation and `x-request-id`
// within 24 hours returns the first result and changes nothing. The same key
// with another `fingerprint` (a digest of what the request asked) fails with
// error::RequestIdReused and changes nothing.
struct RequestKey {
  std::string operation;
  std::string request_id;
  std::string fingerprint;
};

struct TaskPage {
  std::vector<TaskRecord> tasks;
  std::string next_page_token;
  int64_t total_size = 0;
};

struct DueReminder {
  std::string user_id;
  int64_t task_id = 0;
  std::string title;
  absl::Time remind_at;
  std::optional<absl::Time> due_date;
};

class TasksStore {
 public:
  // All three must outlive the store. Lone statements on hot paths go
  // through `pipeline`, transactions through `pool`.
  TasksStore(common::pg::ConnectionPool* pool, common::pg::StatementRunner* pipeline,
             const common::time::Clock* clock);

  // `fields` must have passed NormalizeAndValidate.
  absl::StatusOr<TaskRecord> Create(absl::string_view user_id, const TaskFields& fields,
                                    const std::optional<RequestKey>& key);
  // Create without waiting, like GetAsync, in one statement. With a `key`
  // used before (a retry, or an expired key) it fails ALREADY_EXISTS having
  // changed nothing: Create, which replays or renews the key, must follow.
  using TaskCallback = absl::AnyInvocable<void(absl::StatusOr<TaskRecord>) &&>;
  void CreateAsync(absl::string_view user_id, const TaskFields& fields,
                   const std::optional<RequestKey>& key, TaskCallback done);
  absl::StatusOr<TaskRecord> Get(absl::string_view user_id, int64_t id);
  // Get without waiting: `done` runs when the row arrives, on the event
  // loop that reads the pipeline's connection (or at once when the database
  // is unreachable).
  void GetAsync(absl::string_view user_id, int64_t id, TaskCallback done);
  absl::StatusOr<TaskPage> List(absl::string_view user_id, const TaskQuery& query);

  // Changes a task under a row lock: `change` edits the stored fields (and may
  // refuse with an error); false from it means "nothing to change", and the
  // task is returned as it is. A change that completes a recurring task
  // creates its next occurrence in the same transaction, at most once per task.
  using Change = std::function<absl::StatusOr<bool>(const TaskRecord& current, TaskFields& fields)>;
  absl::StatusOr<TaskRecord> Update(absl::string_view user_id, int64_t id, const Change& change,
                                    const std::optional<RequestKey>& key = std::nullopt);

  absl::Status Delete(absl::string_view user_id, int64_t id);
  // Removes every task of the user; returns how many.
  absl::StatusOr<int64_t> Purge(absl::string_view user_id);

  // Takes up to `limit` reminders of `users` due now that were never
  // delivered (oldest first) and hands them to `deliver`, which returns the
  // task ids of those it could not hand to a live client: those stay due,
  // the rest count as delivered. One statement for every user, however many
  // streams are open. Rows being delivered by another replica are skipped,
  // so none goes out twice. Returns how many were taken.
  absl::StatusOr<int> DeliverDueReminders(
      const std::vector<std::string>& users, int limit,
      const std::function<std::vector<int64_t>(const std::vector<DueReminder>&)>& deliver);

 private:
  common::pg::ConnectionPool* const pool_;
  common::pg::StatementRunner* const pipeline_;
  const common::time::Clock* const clock_;
};

}  // namespace todo::tasks
