#pragma once

// An owned libpq result with typed, checked getters. Values are in text format.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct pg_result;

namespace todo::common::pg {

class Result {
 public:
  Result() = default;
  explicit Result(pg_result* result);

  int rows() const;
  // Rows touched by INSERT/UPDATE/DELETE.
  int64_t affected_rows() const;
  bool IsNull(int row, int column) const;
  absl::string_view GetText(int row, int column) const;
  // The getters below assume a non-NULL value of the right SQL type; a value
  // that does not parse is a programming error reported as INTERNAL.
  absl::StatusOr<int64_t> GetInt64(int row, int column) const;
  absl::StatusOr<double> GetDouble(int row, int column) const;
  bool GetBool(int row, int column) const;
  // timestamptz, read with the session TimeZone set to UTC.
  absl::StatusOr<absl::Time> GetTime(int row, int column) const;
  std::optional<std::string> GetOptionalText(int row, int column) const;
  absl::StatusOr<std::optional<absl::Time>> GetOptionalTime(int row, int column) const;
  // A text[] column.
  absl::StatusOr<std::vector<std::string>> GetTextArray(int row, int column) const;

 private:
  struct Deleter {
    void operator()(pg_result* result) const;
  };
  std::shared_ptr<pg_result> result_;
};

// Formats `time` as timestamptz text, e.g. "2026-01-01 00:00:00.000000+00".
std::string FormatTimestamp(absl::Time time);
// Parses timestamptz text as Postgres prints it with TimeZone=UTC.
absl::StatusOr<absl::Time> ParseTimestamp(absl::string_view text);

}  // namespace todo::common::pg
