#pragma once

// ListTasks, from request fields to SQL, without gRPC or a database:
//   ParseListQuery  validates filters, order and page size and decodes the page
//                   token (INVALID_ARGUMENT naming the field);
//   BuildListSql    the parameterized SELECT of one page (keyset pagination);
//   BuildCountSql   the COUNT for total_size (nullopt when the per-user
//                   counters answer it);
//   EncodePageToken the opaque token for the page after a given row.
//
// Pages are keyset-based: a token holds the sort key and id of the last row
// returned, so pages stay correct while tasks are added or deleted between
// them. A token is bound to the filters and order it was made for.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pg/statement.h"
#include "services/tasks/task.h"

namespace todo::tasks {

struct ListTasksInput {
  std::string status;
  std::string priority;
  std::vector<std::string> tags;
  std::string category;
  std::string q;
  std::optional<absl::Time> due_after;
  std::optional<absl::Time> due_before;
  std::string order_by;
  int32_t page_size = 0;
  std::string page_token;
};

enum class SortKey { kCreatedAt, kUpdatedAt, kDueDate, kPriority, kTitle };

// Where the previous page ended: its last row's sort key (as SQL text; absent
// for an undated task when sorting by due date) and id.
struct PageCursor {
  std::optional<std::string> key;
  int64_t id = 0;
};

struct TaskQuery {
  std::optional<TaskStatus> status;
  std::optional<Priority> priority;
  std::vector<std::string> tags;
  std::optional<std::string> category;
  // Words to search for, lower-case and separated by one space: each matches
  // as a prefix of a word of the title or description, and all must match.
  std::string search;
  // A search with no letters or digits ("%", "_", "'", "&"): that text
  // itself, found in the title or description in any case, never as a
  // pattern.
  std::string literal;
  std::optional<absl::Time> due_after;
  std::optional<absl::Time> due_before;
  SortKey sort = SortKey::kCreatedAt;
  bool descending = true;
  int32_t page_size = 50;
  std::optional<PageCursor> after;
  // Hash of everything above but the cursor and page size.
  std::string fingerprint;
};

absl::StatusOr<TaskQuery> ParseListQuery(const ListTasksInput& input);

std::string EncodePageToken(const TaskQuery& query, const PageCursor& last_row);

struct SqlText {
  std::string sql;
  common::pg::Params params;
};

// Selects page_size + 1 rows (the extra one tells whether a next page exists)
// with the columns of kTaskColumns, plus the sort key as text last.
SqlText BuildListSql(absl::string_view user_id, const TaskQuery& query);
std::optional<SqlText> BuildCountSql(absl::string_view user_id, const TaskQuery& query);

// The columns every task query returns, in TaskRecord order (tasks_store.cc
// reads them by position).
extern const char kTaskColumns[];

}  // namespace todo::tasks
