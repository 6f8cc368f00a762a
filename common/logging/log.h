#pragma once

// Structured logging: one JSON object per line on stderr, e.g.
//   {"ts":"2026-11-23T08:00:00.123Z","level":"info","service":"tasks",
//    "event":"server_started","request_id":"…","port":50052}
//
// Debian 12's Abseil has no absl/log, hence this small logger. It is
// thread-safe. Fields whose key names a secret (password, secret, token,
// authorization, api_key) are always written as "[redacted]".

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/tracing/trace_context.h"

namespace todo::common::logging {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Parses LOG_LEVEL words: debug, info, warning (or warn), error; any case.
absl::StatusOr<Level> ParseLevel(absl::string_view text);

// One key/value of a log line; numbers and booleans print unquoted.
class Field {
 public:
  Field(absl::string_view key, absl::string_view value);
  Field(absl::string_view key, const std::string& value) : Field(key, absl::string_view(value)) {}
  Field(absl::string_view key, const char* value) : Field(key, absl::string_view(value)) {}
  Field(absl::string_view key, int64_t value);
  Field(absl::string_view key, int value) : Field(key, static_cast<int64_t>(value)) {}
  Field(absl::string_view key, uint64_t value);
  Field(absl::string_view key, double value);
  Field(absl::string_view key, bool value);

  const std::string& key() const { return key_; }
  // Already JSON-encoded.
  const std::string& json_value() const { return json_value_; }

 private:
  std::string key_;
  std::string json_value_;
};

// Process-wide settings, set once in main before threads start.
void SetMinLevel(Level level);
void SetServiceName(absl::string_view service);
// Replaces stderr as the destination of complete lines, one or more per call
// (tests).
void SetSinkForTest(std::function<void(absl::string_view line)> sink);

bool IsEnabled(Level level);
void Log(Level level, absl::string_view event, std::initializer_list<Field> fields = {});

// For callers that batch their lines (a busy access log): one line, with
// its newline, or "" below the minimum level; then any number of whole
// lines written at once.
std::string FormatLine(Level level, absl::string_view event, std::initializer_list<Field> fields);
void WriteLines(absl::string_view lines);

inline void Debug(absl::string_view event, std::initializer_list<Field> fields = {}) {
  Log(Level::kDebug, event, fields);
}
inline void Info(absl::string_view event, std::initializer_list<Field> fields = {}) {
  Log(Level::kInfo, event, fields);
}
inline void Warning(absl::string_view event, std::initializer_list<Field> fields = {}) {
  Log(Level::kWarning, event, fields);
}
inline void Error(absl::string_view event, std::initializer_list<Field> fields = {}) {
  Log(Level::kError, event, fields);
}

// What ties a log line to the request it serves: its x-request-id and the
// span of its trace this process works in (trace_id and span_id on the line).
struct RequestContext {
  std::string request_id;
  tracing::TraceContext trace;
};

// Tags every line logged on this thread with the request while alive; the
// rpc clients read it too, to pass the trace on (common/rpc). It refers to
// `context`, which must outlive it (the call being handled owns it), so
// entering a request's scope copies nothing.
class ScopedRequestContext {
 public:
  explicit ScopedRequestContext(const RequestContext& context);
  ~ScopedRequestContext();
  ScopedRequestContext(const ScopedRequestContext&) = delete;
  ScopedRequestContext& operator=(const ScopedRequestContext&) = delete;

  // The request this thread works for; empty fields outside one.
  static const RequestContext& Current();

 private:
  const RequestContext* previous_;
};

// Appends `text` as a JSON string literal (quotes included) to `out`.
void AppendJsonString(absl::string_view text, std::string& out);

}  // namespace todo::common::logging
