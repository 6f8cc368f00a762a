#pragma once

// Single values as JSON text, byte for byte as protobuf's JSON converter (the
// one Envoy's transcoder prints with) writes them: strings with its
// escaping, floating-point numbers, Timestamp and Duration. The fast printer
// (fast_json_printer.h) builds its objects from these.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace todo::gateway::transcoding {

// Whether `full_name` is one of google.protobuf's wrapper types
// (google.protobuf.Int32Value and the rest).
bool IsWrapperType(absl::string_view full_name);

// `text` as a JSON string, quotes included, escaped as protobuf's
// JsonEscaping does (<, >, C1 controls and invisible format characters as
// \u escapes): a transcoded answer must be byte for byte what Envoy's
// would be, which the project's own escaper for logs and messages
// (common::logging::AppendJsonString) is not. False for text that is not
// strictly valid UTF-8 (the converter drops or replaces such bytes in ways
// not worth copying; the caller leaves those to it); `out` is then partly
// written.
bool AppendProtobufJsonString(absl::string_view text, std::string& out);

// NaN and the infinities as the converter's strings, other values as
// protobuf's shortest round-trip text.
void AppendJsonNumber(double value, std::string& out);
void AppendJsonNumber(float value, std::string& out);

// "1970-01-01T00:00:00Z" and "1.5s" as the converter prints them; false for
// values it refuses (out of range, or nanos of the wrong sign).
bool AppendTimestamp(int64_t seconds, int32_t nanos, std::string& out);
bool AppendDuration(int64_t seconds, int32_t nanos, std::string& out);

}  // namespace todo::gateway::transcoding
