#include "common/pg/result.h"

#include <libpq-fe.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/pg/statement.h"

namespace todo::common::pg {
namespace {

absl::Status Unparsable(absl::string_view type, absl::string_view text) {
  return absl::InternalError(absl::StrCat("cannot read ", type, " from \"", text, "\""));
}

}  // namespace

std::vector<const char*> Params::Pointers() const {
  std::vector<const char*> pointers;
  pointers.reserve(values_.size());
  for (const auto& value : values_) {
    pointers.push_back(value.has_value() ? value->c_str() : nullptr);
  }
  return pointers;
}

absl::Status Params::CheckSendable() const {
  return has_nul_ ? absl::InvalidArgumentError("text must not contain NUL characters")
                  : absl::OkStatus();
}

Params& Params::Add(int64_t value) { return Add(absl::StrCat(value)); }
Params& Params::Add(bool value) { return Add(value ? "t" : "f"); }
Params& Params::Add(double value) { return Add(absl::StrFormat("%.17g", value)); }
Params& Params::Add(absl::Time value) { return Add(FormatTimestamp(value)); }

Params& Params::AddTextArray(absl::Span<const std::string> values) {
  std::string literal = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      literal += ',';
    }
    literal += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') {
        literal += '\\';
      }
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  return Add(literal);
}

Params& Params::AddIntArray(absl::Span<const int64_t> values) {
  std::string literal = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    absl::StrAppend(&literal, i > 0 ? "," : "", values[i]);
  }
  literal += '}';
  return Add(literal);
}

void Result::Deleter::operator()(pg_result* result) const { PQclear(result); }

Result::Result(pg_result* result) : result_(result, Deleter()) {}

int Result::rows() const { return result_ ? PQntuples(result_.get()) : 0; }

int64_t Result::affected_rows() const {
  if (!result_) {
    return 0;
  }
  int64_t count = 0;
  return absl::SimpleAtoi(PQcmdTuples(result_.get()), &count) ? count : 0;
}

bool Result::IsNull(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

absl::string_view Result::GetText(int row, int column) const {
  return absl::string_view(PQgetvalue(result_.get(), row, column),
                           PQgetlength(result_.get(), row, column));
}

absl::StatusOr<int64_t> Result::GetInt64(int row, int column) const {
  int64_t value = 0;
  if (!absl::SimpleAtoi(GetText(row, column), &value)) {
    return Unparsable("int64", GetText(row, column));
  }
  return value;
}

absl::StatusOr<double> Result::GetDouble(int row, int column) const {
  double value = 0;
  if (!absl::SimpleAtod(GetText(row, column), &value)) {
    return Unparsable("double", GetText(row, column));
  }
  return value;
}

bool Result::GetBool(int row, int column) const { return GetText(row, column) == "t"; }

absl::StatusOr<absl::Time> Result::GetTime(int row, int column) const {
  return ParseTimestamp(GetText(row, column));
}

std::optional<std::string> Result::GetOptionalText(int row, int column) const {
  if (IsNull(row, column)) {
    return std::nullopt;
  }
  return std::string(GetText(row, column));
}

absl::StatusOr<std::optional<absl::Time>> Result::GetOptionalTime(int row, int column) const {
  if (IsNull(row, column)) {
    return std::optional<absl::Time>();
  }
  absl::StatusOr<absl::Time> time = GetTime(row, column);
  if (!time.ok()) {
    return time.status();
  }
  return std::optional<absl::Time>(*time);
}

absl::StatusOr<std::vector<std::string>> Result::GetTextArray(int row, int column) const {
  // Postgres array text: {a,"b c","d\"e"}; elements are quoted when needed.
  const absl::string_view text = GetText(row, column);
  std::vector<std::string> values;
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') {
    return Unparsable("text[]", text);
  }
  size_t i = 1;
  const size_t end = text.size() - 1;
  while (i < end) {
    std::string element;
    if (text[i] == '"') {
      ++i;
      while (i < end && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < end) {
          ++i;
        }
        element += text[i++];
      }
      ++i;  // closing quote
    } else {
      while (i < end && text[i] != ',') {
        element += text[i++];
      }
    }
    values.push_back(std::move(element));
    if (i < end && text[i] == ',') {
      ++i;
    }
  }
  return values;
}

std::string FormatTimestamp(absl::Time time) {
  // %Y prints year 1 as "1", which Postgres reads as 2001 or as a day of
  // another field ("1-06-15" is 2015-01-06): the year is always four digits.
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::CivilSecond civil = absl::ToCivilSecond(time, utc);
  return absl::StrFormat("%04d-%s", civil.year(),
                         absl::FormatTime("%m-%d %H:%M:%E6S+00", time, utc));
}

absl::StatusOr<absl::Time> ParseTimestamp(absl::string_view text) {
  // Postgres prints "+00" offsets; absl's %z wants "+0000".
  std::string normalized(text);
  if (normalized.size() >= 3 &&
      (normalized[normalized.size() - 3] == '+' || normalized[normalized.size() - 3] == '-')) {
    normalized += "00";
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%d %H:%M:%E*S%z", normalized, &time, &error)) {
    return Unparsable("timestamptz", text);
  }
  return time;
}

}  // namespace todo::common::pg
