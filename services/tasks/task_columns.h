#pragma once

// The columns every task query returns, in TaskRecord order: tasks_store.cc
// reads them by position, and task_query.cc builds list queries with them.
// A macro so that constexpr statements can concatenate it as a literal.
#define TODO_TASK_COLUMNS                                                                       \
  "id, title, description, status, priority, tags, category, due_date, remind_at, recurrence, " \
  "created_at, updated_at, completed_at, version"
