#pragma once

// A named, parameterized SQL statement and the values bound to it.
//
// Statements are constants next to their use; the name is both the
// prepared-statement name on each connection and the label in logs:
//
//   constexpr Statement kSelectTask{"tasks_select_task",
//       "SELECT ... FROM tasks.tasks WHERE user_id = $1 AND id = $2"};
//   pool_conn->Execute(kSelectTask, Params().Add(user_id).Add(id));
//
// Values are sent in text format; NULL is an unset optional. Text format ends
// a value at its first NUL byte (and Postgres text cannot hold one), so a
// value containing NUL is never sent: the statement fails INVALID_ARGUMENT
// instead of running with a shorter value.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace todo::common::pg {

struct Statement {
  const char* name;
  const char* sql;
  // Changes data. Read only by the pipelines (pipeline.h), which give such
  // statements fewer connections than reads (PipelineOptions::
  // write_connections) and a transaction of their own, where reads share one
  // (pipeline_protocol.h): a statement that changes data and is not marked
  // could be rolled back by another's failure after reporting success. A
  // pool runs every statement alike.
  bool writes = false;
};

class Params {
 public:
  Params& Add(absl::string_view value) {
    has_nul_ = has_nul_ || value.find('\0') != absl::string_view::npos;
    values_.emplace_back(std::string(value));
    return *this;
  }
  Params& Add(const std::string& value) { return Add(absl::string_view(value)); }
  Params& Add(const char* value) { return Add(absl::string_view(value)); }
  Params& Add(int64_t value);
  Params& Add(int value) { return Add(static_cast<int64_t>(value)); }
  Params& Add(bool value);
  Params& Add(double value);
  // As timestamptz text in UTC with microseconds.
  Params& Add(absl::Time value);
  // As a Postgres text[] literal.
  Params& AddTextArray(absl::Span<const std::string> values);
  // As a Postgres array literal of integers (int[] or bigint[]).
  Params& AddIntArray(absl::Span<const int64_t> values);
  Params& AddNull() {
    values_.emplace_back(std::nullopt);
    return *this;
  }
  template <typename T>
  Params& AddOptional(const std::optional<T>& value) {
    return value.has_value() ? Add(*value) : AddNull();
  }

  const std::vector<std::optional<std::string>>& values() const { return values_; }
  // The values as libpq takes them (nullptr for NULL); valid while this lives.
  std::vector<const char*> Pointers() const;
  // INVALID_ARGUMENT when a value holds a NUL byte (see above).
  absl::Status CheckSendable() const;

 private:
  std::vector<std::optional<std::string>> values_;
  bool has_nul_ = false;
};

}  // namespace todo::common::pg
