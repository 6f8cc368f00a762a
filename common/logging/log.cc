#include "common/logging/log.h"

#include <atomic>
#include <cstdio>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace todo::common::logging {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
absl::Mutex sink_mutex;
std::string* service_name ABSL_GUARDED_BY(sink_mutex) = new std::string();
std::function<void(absl::string_view)>* test_sink ABSL_GUARDED_BY(sink_mutex) = nullptr;
thread_local const RequestContext* current_request = nullptr;

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

bool IsSecretKey(absl::string_view key) {
  const std::string lower = absl::AsciiStrToLower(key);
  for (absl::string_view secret : {"password", "secret", "token", "authorization", "api_key"}) {
    if (absl::StrContains(lower, secret)) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<Level> ParseLevel(absl::string_view text) {
  const std::string word = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (word == "debug") return Level::kDebug;
  if (word == "info") return Level::kInfo;
  if (word == "warning" || word == "warn") return Level::kWarning;
  if (word == "error") return Level::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level \"", text, "\" (debug, info, warning, error)"));
}

void AppendJsonString(absl::string_view text, std::string& out) {
  out.push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

Field::Field(absl::string_view key, absl::string_view value) : key_(key) {
  AppendJsonString(IsSecretKey(key) ? "[redacted]" : value, json_value_);
}
Field::Field(absl::string_view key, int64_t value) : key_(key), json_value_(absl::StrCat(value)) {}
Field::Field(absl::string_view key, uint64_t value) : key_(key), json_value_(absl::StrCat(value)) {}
Field::Field(absl::string_view key, double value) : key_(key), json_value_(absl::StrCat(value)) {}
Field::Field(absl::string_view key, bool value)
    : key_(key), json_value_(value ? "true" : "false") {}

void SetMinLevel(Level level) { min_level.store(static_cast<int>(level)); }

void SetServiceName(absl::string_view service) {
  absl::MutexLock lock(&sink_mutex);
  *service_name = std::string(service);
}

void SetSinkForTest(std::function<void(absl::string_view)> sink) {
  absl::MutexLock lock(&sink_mutex);
  delete test_sink;
  test_sink = sink ? new std::function<void(absl::string_view)>(std::move(sink)) : nullptr;
}

bool IsEnabled(Level level) { return static_cast<int>(level) >= min_level.load(); }

std::string FormatLine(Level level, absl::string_view event, std::initializer_list<Field> fields) {
  if (!IsEnabled(level)) {
    return "";
  }
  std::string line = "{\"ts\":";
  AppendJsonString(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                   line);
  absl::StrAppend(&line, ",\"level\":\"", LevelName(level), "\"");
  {
    absl::MutexLock lock(&sink_mutex);
    if (!service_name->empty()) {
      line += ",\"service\":";
      AppendJsonString(*service_name, line);
    }
  }
  line += ",\"event\":";
  AppendJsonString(event, line);
  const RequestContext& request = ScopedRequestContext::Current();
  if (!request.request_id.empty()) {
    line += ",\"request_id\":";
    AppendJsonString(request.request_id, line);
  }
  if (!request.trace.empty()) {
    // Both are hex digits: nothing to escape.
    absl::StrAppend(&line, ",\"trace_id\":\"", request.trace.trace_id, "\",\"span_id\":\"",
                    request.trace.span_id, "\"");
  }
  for (const Field& field : fields) {
    line += ',';
    AppendJsonString(field.key(), line);
    line += ':';
    line += field.json_value();
  }
  line += "}\n";
  return line;
}

void WriteLines(absl::string_view lines) {
  if (lines.empty()) return;
  absl::MutexLock lock(&sink_mutex);
  if (test_sink != nullptr) {
    (*test_sink)(lines);
    return;
  }
  // One fwrite per batch keeps lines whole when several threads log at once.
  std::fwrite(lines.data(), 1, lines.size(), stderr);
}

void Log(Level level, absl::string_view event, std::initializer_list<Field> fields) {
  WriteLines(FormatLine(level, event, fields));
}

ScopedRequestContext::ScopedRequestContext(const RequestContext& context)
    : previous_(std::exchange(current_request, &context)) {}

ScopedRequestContext::~ScopedRequestContext() { current_request = previous_; }

const RequestContext& ScopedRequestContext::Current() {
  static const RequestContext* const no_request = new RequestContext();
  return current_request != nullptr ? *current_request : *no_request;
}

}  // namespace todo::common::logging
