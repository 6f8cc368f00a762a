#pragma once

// RETURN_IF_ERROR and ASSIGN_OR_RETURN with the shape of upstream Abseil's
// status_macros.h (absent from Debian 12's Abseil 20220623), so a later switch
// to ABSL_RETURN_IF_ERROR / ABSL_ASSIGN_OR_RETURN is mechanical.
//
//   RETURN_IF_ERROR(store.Delete(user, id));
//   ASSIGN_OR_RETURN(Task task, store.Get(user, id));

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TODO_STATUS_CONCAT_INNER_(a, b) a##b
#define TODO_STATUS_CONCAT_(a, b) TODO_STATUS_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                                       \
  do {                                                              \
    if (::absl::Status todo_status_ = (expr); !todo_status_.ok()) { \
      return todo_status_;                                          \
    }                                                               \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr) \
  TODO_ASSIGN_OR_RETURN_IMPL_(TODO_STATUS_CONCAT_(todo_statusor_, __LINE__), lhs, expr)

#define TODO_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) {                                  \
    return std::move(statusor).status();                 \
  }                                                      \
  lhs = *std::move(statusor)
