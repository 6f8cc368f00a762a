#include "services/tasks/tasks_store.h"

#include "absl/strings/str_cat.h"
#include "common/pg/transaction.h"
#include "common/status/status_macros.h"
#include "services/tasks/errors.h"
#include "services/tasks/recurrence.h"
#include "services/tasks/task_columns.h"

namespace todo::tasks {
namespace {

using common::pg::Params;
using common::pg::Result;
using common::pg::Statement;
using common::pg::Transaction;

// The values of a new task as a SELECT list (typed: a SELECT does not take
// its types from the target columns as VALUES does), and the guard that makes
// an insert for a deleted user insert nothing.
#define TODO_INSERT_VALUES                                                            \
  "$1::text, $2::text, $3::text, $4::text, $5::smallint, $6::text[], $7::text, "      \
  "$8::timestamptz, $9::timestamptz, $10::text, $11::timestamptz, $12::timestamptz, " \
  "$12::timestamptz, $13::bigint"
#define TODO_USER_NOT_DELETED \
  "NOT EXISTS (SELECT 1 FROM tasks.deleted_users WHERE user_id = $1::text)"

constexpr Statement kInsertTask{
    "tasks_insert",
    "INSERT INTO tasks.tasks (user_id, title, description, status, priority, tags, category, "
    "due_date, remind_at, recurrence, completed_at, created_at, updated_at, spawned_from) "
    "SELECT " TODO_INSERT_VALUES " WHERE " TODO_USER_NOT_DELETED
    " ON CONFLICT (spawned_from) DO NOTHING RETURNING " TODO_TASK_COLUMNS,
    /*writes=*/true};
// A keyed create in one statement: the task, its key with the first result,
// and the user's expired keys. A key used before (even an expired one) makes
// it fail as a whole with a unique violation; Create then sorts it out.
constexpr Statement kInsertTaskWithKey{
    "tasks_insert_with_key",
    "WITH inserted AS (INSERT INTO tasks.tasks (user_id, title, description, status, priority, "
    "tags, category, due_date, remind_at, recurrence, completed_at, created_at, updated_at, "
    "spawned_from) SELECT " TODO_INSERT_VALUES " WHERE " TODO_USER_NOT_DELETED
    " RETURNING *), "
    "claimed AS (INSERT INTO tasks.idempotency_keys (user_id, operation, request_id, task_id, "
    "result, created_at, fingerprint) SELECT user_id, $14, $15, id, to_jsonb(inserted), $12, $17 "
    "FROM inserted), "
    "expired AS (DELETE FROM tasks.idempotency_keys WHERE user_id = $1 AND created_at < $16) "
    "SELECT " TODO_TASK_COLUMNS " FROM inserted",
    /*writes=*/true};
#undef TODO_INSERT_VALUES
#undef TODO_USER_NOT_DELETED
constexpr Statement kSelectTask{
    "tasks_select", "SELECT " TODO_TASK_COLUMNS " FROM tasks.tasks WHERE user_id = $1 AND id = $2"};
constexpr Statement kSelectTaskForUpdate{
    "tasks_select_for_update",
    "SELECT " TODO_TASK_COLUMNS " FROM tasks.tasks WHERE user_id = $1 AND id = $2 FOR UPDATE"};
constexpr Statement kUpdateTask{
    "tasks_update",
    "UPDATE tasks.tasks SET title = $3, description = $4, status = $5, priority = $6::smallint, "
    "tags = $7::text[], category = $8, due_date = $9, remind_at = $10, recurrence = $11, "
    "completed_at = $12, updated_at = $13, version = version + 1, "
    "reminder_delivered_at = CASE WHEN remind_at IS DISTINCT FROM $10 THEN NULL "
    "ELSE reminder_delivered_at END "
    "WHERE user_id = $1 AND id = $2 RETURNING " TODO_TASK_COLUMNS};
constexpr Statement kDeleteTask{"tasks_delete",
                                "DELETE FROM tasks.tasks WHERE user_id = $1 AND id = $2"};
constexpr Statement kPurgeTasks{"tasks_purge", "DELETE FROM tasks.tasks WHERE user_id = $1"};
constexpr Statement kPurgeKeys{"tasks_purge_keys",
                               "DELETE FROM tasks.idempotency_keys WHERE user_id = $1"};
constexpr Statement kTombstone{
    "tasks_tombstone",
    "INSERT INTO tasks.deleted_users (user_id, deleted_at) VALUES ($1, $2) "
    "ON CONFLICT (user_id) DO NOTHING"};
constexpr Statement kPurgeCounts{"tasks_purge_counts",
                                 "DELETE FROM tasks.task_counts WHERE user_id = $1"};
constexpr Statement kCountByStatus{"tasks_count_by_status",
                                   "SELECT coalesce(sum(count), 0) FROM tasks.task_counts "
                                   "WHERE user_id = $1 AND ($2::text IS NULL OR status = $2)"};
// Keys older than 24 hours no longer count; they go when their user next
// writes with a key.
constexpr absl::Duration kKeyLifetime = absl::Hours(24);
constexpr Statement kExpireKeys{
    "tasks_expire_keys",
    "DELETE FROM tasks.idempotency_keys WHERE user_id = $1 AND created_at < $2"};
constexpr Statement kClaimKey{
    "tasks_claim_key",
    "INSERT INTO tasks.idempotency_keys (user_id, operation, request_id, created_at, fingerprint) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1"};
// The first result, rebuilt from the snapshot taken when it was made (all
// NULL while that request is still being processed), and the fingerprint of
// the request that holds the key (column kReplayFingerprint).
constexpr Statement kReplayKey{
    "tasks_replay_key",
    "SELECT " TODO_TASK_COLUMNS
    ", fingerprint"
    " FROM (SELECT (jsonb_populate_record(NULL::tasks.tasks, result)).*, fingerprint "
    "FROM tasks.idempotency_keys WHERE user_id = $1 AND operation = $2 AND request_id = $3) "
    "AS first_result"};
constexpr int kReplayFingerprint = 14;
constexpr Statement kSaveKeyResult{
    "tasks_save_key_result",
    "UPDATE tasks.idempotency_keys SET task_id = $4, result = "
    "(SELECT to_jsonb(t) FROM tasks.tasks t WHERE t.user_id = $1 AND t.id = $4) "
    "WHERE user_id = $1 AND operation = $2 AND request_id = $3"};
constexpr Statement kTakeDueReminders{
    "tasks_take_due_reminders",
    "UPDATE tasks.tasks SET reminder_delivered_at = $2 WHERE id IN ("
    "SELECT id FROM tasks.tasks WHERE user_id = ANY($1::text[]) AND remind_at <= $2 "
    "AND remind_at IS NOT NULL AND reminder_delivered_at IS NULL "
    "AND status NOT IN ('completed', 'cancelled') "
    "ORDER BY remind_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) "
    "RETURNING user_id, id, title, remind_at, due_date"};
// Taken reminders that reached no live client stay due.
constexpr Statement kKeepDue{"tasks_keep_reminders_due",
                             "UPDATE tasks.tasks SET reminder_delivered_at = NULL "
                             "WHERE id = ANY($1::bigint[]) AND reminder_delivered_at = $2"};

absl::StatusOr<TaskRecord> ReadTask(const Result& result, int row);

// A create's row; none when the user was deleted (TODO_USER_NOT_DELETED).
absl::StatusOr<TaskRecord> ReadInserted(const Result& result) {
  if (result.rows() == 0) {
    return error::AccountDeleted();
  }
  return ReadTask(result, 0);
}

absl::StatusOr<TaskRecord> ReadTask(const Result& result, int row) {
  TaskRecord task;
  ASSIGN_OR_RETURN(task.id, result.GetInt64(row, 0));
  TaskFields& fields = task.fields;
  fields.title = std::string(result.GetText(row, 1));
  fields.description = std::string(result.GetText(row, 2));
  fields.status = ParseTaskStatus(result.GetText(row, 3)).value_or(TaskStatus::kPending);
  ASSIGN_OR_RETURN(const int64_t priority, result.GetInt64(row, 4));
  fields.priority = static_cast<Priority>(priority);
  ASSIGN_OR_RETURN(fields.tags, result.GetTextArray(row, 5));
  fields.category = std::string(result.GetText(row, 6));
  ASSIGN_OR_RETURN(fields.due_date, result.GetOptionalTime(row, 7));
  ASSIGN_OR_RETURN(fields.remind_at, result.GetOptionalTime(row, 8));
  fields.recurrence = ParseRecurrence(result.GetText(row, 9)).value_or(Recurrence::kNone);
  ASSIGN_OR_RETURN(task.created_at, result.GetTime(row, 10));
  ASSIGN_OR_RETURN(task.updated_at, result.GetTime(row, 11));
  ASSIGN_OR_RETURN(task.completed_at, result.GetOptionalTime(row, 12));
  ASSIGN_OR_RETURN(task.version, result.GetInt64(row, 13));
  return task;
}

absl::StatusOr<TaskRecord> ReadSingle(const Result& result, int64_t id) {
  if (result.rows() == 0) {
    return error::TaskNotFound(id);
  }
  return ReadTask(result, 0);
}

// The editable fields, as $n..$n+7 of kInsertTask and kUpdateTask.
Params& AddFields(Params& params, const TaskFields& fields) {
  return params.Add(fields.title)
      .Add(fields.description)
      .Add(Word(fields.status))
      .Add(static_cast<int64_t>(fields.priority))
      .AddTextArray(fields.tags)
      .Add(fields.category)
      .AddOptional(fields.due_date)
      .AddOptional(fields.remind_at)
      .Add(Word(fields.recurrence));
}

Params InsertParams(absl::string_view user_id, const TaskFields& fields, absl::Time now,
                    std::optional<int64_t> spawned_from) {
  Params params;
  params.Add(user_id);
  AddFields(params, fields)
      .AddOptional(fields.completed() ? std::optional<absl::Time>(now) : std::nullopt)
      .Add(now)
      .AddOptional(spawned_from);
  return params;
}

// The next occurrence of `done`: same fields, pending, due one period later
// (from its due date, or from now when it had none); the reminder keeps its
// distance to the due date.
TaskFields NextOccurrenceOf(const TaskRecord& done, absl::Time now) {
  TaskFields next = done.fields;
  next.status = TaskStatus::kPending;
  const Recurrence period = done.fields.recurrence;
  if (next.due_date) {
    const absl::Time due = NextOccurrence(*next.due_date, period);
    if (next.remind_at) {
      next.remind_at = *next.remind_at + (due - *next.due_date);
    }
    next.due_date = due;
  } else {
    next.due_date = NextOccurrence(now, period);
    if (next.remind_at) {
      next.remind_at = NextOccurrence(*next.remind_at, period);
    }
  }
  return next;
}

// Claims `key` for this transaction; returns the first result when the
// request was already done.
absl::StatusOr<std::optional<TaskRecord>> ClaimOrReplay(Transaction& tx, absl::string_view user_id,
                                                        const RequestKey& key, absl::Time now) {
  RETURN_IF_ERROR(tx.Execute(kExpireKeys, Params().Add(user_id).Add(now - kKeyLifetime)).status());
  ASSIGN_OR_RETURN(Result claimed, tx.Execute(kClaimKey, Params()
                                                             .Add(user_id)
                                                             .Add(key.operation)
                                                             .Add(key.request_id)
                                                             .Add(now)
                                                             .Add(key.fingerprint)));
  if (claimed.rows() == 1) {
    return std::optional<TaskRecord>();
  }
  ASSIGN_OR_RETURN(
      Result replay,
      tx.Execute(kReplayKey, Params().Add(user_id).Add(key.operation).Add(key.request_id)));
  if (replay.rows() == 1 && !replay.GetText(0, kReplayFingerprint).empty() &&
      replay.GetText(0, kReplayFingerprint) != key.fingerprint) {
    return error::RequestIdReused();
  }
  if (replay.rows() == 0 || replay.IsNull(0, 0)) {
    return absl::AbortedError("the same request is still being processed; retry");
  }
  ASSIGN_OR_RETURN(TaskRecord first, ReadTask(replay, 0));
  return std::optional<TaskRecord>(std::move(first));
}

absl::Status SaveResult(Transaction& tx, absl::string_view user_id, const RequestKey& key,
                        int64_t task_id) {
  return tx
      .Execute(kSaveKeyResult,
               Params().Add(user_id).Add(key.operation).Add(key.request_id).Add(task_id))
      .status();
}

}  // namespace

TasksStore::TasksStore(common::pg::ConnectionPool* pool, common::pg::StatementRunner* pipeline,
                       const common::time::Clock* clock)
    : pool_(pool), pipeline_(pipeline), clock_(clock) {}

absl::StatusOr<TaskRecord> TasksStore::Create(absl::string_view user_id, const TaskFields& fields,
                                              const std::optional<RequestKey>& key) {
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  if (!key) {
    ASSIGN_OR_RETURN(Result inserted,
                     conn->Execute(kInsertTask, InsertParams(user_id, fields, now, std::nullopt)));
    return ReadInserted(inserted);
  }
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*conn));
  ASSIGN_OR_RETURN(std::optional<TaskRecord> replay, ClaimOrReplay(tx, user_id, *key, now));
  if (replay) {
    return *std::move(replay);
  }
  ASSIGN_OR_RETURN(Result inserted,
                   tx.Execute(kInsertTask, InsertParams(user_id, fields, now, std::nullopt)));
  ASSIGN_OR_RETURN(TaskRecord task, ReadInserted(inserted));
  RETURN_IF_ERROR(SaveResult(tx, user_id, *key, task.id));
  RETURN_IF_ERROR(tx.Commit());
  return task;
}

absl::StatusOr<TaskRecord> TasksStore::Get(absl::string_view user_id, int64_t id) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(Result result, conn->Execute(kSelectTask, Params().Add(user_id).Add(id)));
  return ReadSingle(result, id);
}

void TasksStore::CreateAsync(absl::string_view user_id, const TaskFields& fields,
                             const std::optional<RequestKey>& key, TaskCallback done) {
  const absl::Time now = clock_->Now();
  Params params = InsertParams(user_id, fields, now, std::nullopt);
  if (key) {
    params.Add(key->operation).Add(key->request_id).Add(now - kKeyLifetime).Add(key->fingerprint);
  }
  pipeline_->Submit(key ? kInsertTaskWithKey : kInsertTask, std::move(params),
                    [done = std::move(done)](absl::StatusOr<Result> inserted) mutable {
                      if (!inserted.ok()) {
                        std::move(done)(inserted.status());
                        return;
                      }
                      std::move(done)(ReadInserted(*inserted));
                    });
}

void TasksStore::GetAsync(absl::string_view user_id, int64_t id, TaskCallback done) {
  pipeline_->Submit(kSelectTask, Params().Add(user_id).Add(id),
                    [id, done = std::move(done)](absl::StatusOr<Result> result) mutable {
                      if (!result.ok()) {
                        std::move(done)(result.status());
                        return;
                      }
                      std::move(done)(ReadSingle(*result, id));
                    });
}

absl::StatusOr<TaskPage> TasksStore::List(absl::string_view user_id, const TaskQuery& query) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  const SqlText list = BuildListSql(user_id, query);
  ASSIGN_OR_RETURN(Result rows, conn->ExecuteOnce("tasks_list", list.sql, list.params));
  TaskPage page;
  const int returned = std::min(rows.rows(), query.page_size);
  for (int row = 0; row < returned; ++row) {
    ASSIGN_OR_RETURN(TaskRecord task, ReadTask(rows, row));
    page.tasks.push_back(std::move(task));
  }
  if (rows.rows() > query.page_size) {
    const int last = returned - 1;
    PageCursor cursor;
    cursor.key = rows.GetOptionalText(last, 14);
    ASSIGN_OR_RETURN(cursor.id, rows.GetInt64(last, 0));
    page.next_page_token = EncodePageToken(query, cursor);
  }
  if (std::optional<SqlText> count = BuildCountSql(user_id, query)) {
    ASSIGN_OR_RETURN(Result counted, conn->ExecuteOnce("tasks_count", count->sql, count->params));
    ASSIGN_OR_RETURN(page.total_size, counted.GetInt64(0, 0));
  } else {
    ASSIGN_OR_RETURN(
        Result counted,
        conn->Execute(
            kCountByStatus,
            Params().Add(user_id).AddOptional(
                query.status ? std::optional<std::string>(Word(*query.status)) : std::nullopt)));
    ASSIGN_OR_RETURN(page.total_size, counted.GetInt64(0, 0));
  }
  return page;
}

absl::StatusOr<TaskRecord> TasksStore::Update(absl::string_view user_id, int64_t id,
                                              const Change& change,
                                              const std::optional<RequestKey>& key) {
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*conn));
  if (key) {
    ASSIGN_OR_RETURN(std::optional<TaskRecord> replay, ClaimOrReplay(tx, user_id, *key, now));
    if (replay) {
      return *std::move(replay);
    }
  }
  ASSIGN_OR_RETURN(Result locked, tx.Execute(kSelectTaskForUpdate, Params().Add(user_id).Add(id)));
  ASSIGN_OR_RETURN(const TaskRecord current, ReadSingle(locked, id));
  TaskFields fields = current.fields;
  ASSIGN_OR_RETURN(const bool wants_change, change(current, fields));
  TaskRecord updated = current;
  // A write that would leave every field as it is writes nothing: the etag
  // and updated_at stay, so a client's no-op PATCH never looks like a change.
  if (wants_change && fields != current.fields) {
    std::optional<absl::Time> completed_at;
    if (fields.completed()) {
      completed_at = current.fields.completed() ? current.completed_at : now;
    }
    Params params;
    params.Add(user_id).Add(id);
    AddFields(params, fields).AddOptional(completed_at).Add(now);
    ASSIGN_OR_RETURN(Result written, tx.Execute(kUpdateTask, params));
    ASSIGN_OR_RETURN(updated, ReadSingle(written, id));
    const bool just_completed = !current.fields.completed() && fields.completed();
    if (just_completed && fields.recurrence != Recurrence::kNone) {
      // ON CONFLICT (spawned_from) DO NOTHING: a task that was completed,
      // reopened and completed again does not spawn a second successor.
      RETURN_IF_ERROR(tx.Execute(kInsertTask, InsertParams(user_id, NextOccurrenceOf(updated, now),
                                                           now, updated.id))
                          .status());
    }
  }
  if (key) {
    RETURN_IF_ERROR(SaveResult(tx, user_id, *key, id));
  }
  RETURN_IF_ERROR(tx.Commit());
  return updated;
}

absl::Status TasksStore::Delete(absl::string_view user_id, int64_t id) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(Result deleted, conn->Execute(kDeleteTask, Params().Add(user_id).Add(id)));
  if (deleted.affected_rows() == 0) {
    return error::TaskNotFound(id);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> TasksStore::Purge(absl::string_view user_id) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*conn));
  ASSIGN_OR_RETURN(Result deleted, tx.Execute(kPurgeTasks, Params().Add(user_id)));
  RETURN_IF_ERROR(tx.Execute(kPurgeKeys, Params().Add(user_id)).status());
  RETURN_IF_ERROR(tx.Execute(kPurgeCounts, Params().Add(user_id)).status());
  RETURN_IF_ERROR(tx.Execute(kTombstone, Params().Add(user_id).Add(clock_->Now())).status());
  RETURN_IF_ERROR(tx.Commit());
  return deleted.affected_rows();
}

absl::StatusOr<int> TasksStore::DeliverDueReminders(
    const std::vector<std::string>& users, int limit,
    const std::function<std::vector<int64_t>(const std::vector<DueReminder>&)>& deliver) {
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*conn));
  ASSIGN_OR_RETURN(Result taken,
                   tx.Execute(kTakeDueReminders, Params().AddTextArray(users).Add(now).Add(limit)));
  if (taken.rows() == 0) {
    return 0;
  }
  std::vector<DueReminder> reminders;
  for (int row = 0; row < taken.rows(); ++row) {
    DueReminder reminder;
    reminder.user_id = std::string(taken.GetText(row, 0));
    ASSIGN_OR_RETURN(reminder.task_id, taken.GetInt64(row, 1));
    reminder.title = std::string(taken.GetText(row, 2));
    ASSIGN_OR_RETURN(reminder.remind_at, taken.GetTime(row, 3));
    ASSIGN_OR_RETURN(reminder.due_date, taken.GetOptionalTime(row, 4));
    reminders.push_back(std::move(reminder));
  }
  // Ordered by remind_at, as the caller expects.
  std::sort(reminders.begin(), reminders.end(), [](const DueReminder& a, const DueReminder& b) {
    return a.remind_at != b.remind_at ? a.remind_at < b.remind_at : a.task_id < b.task_id;
  });
  const std::vector<int64_t> undelivered = deliver(reminders);
  if (!undelivered.empty()) {
    RETURN_IF_ERROR(tx.Execute(kKeepDue, Params().AddIntArray(undelivered).Add(now)).status());
  }
  RETURN_IF_ERROR(tx.Commit());
  return static_cast<int>(reminders.size());
}

}  // namespace todo::tasks
