#pragma once

// A strict JSON parser. FlatJsonObject: the small JSON objects of JWT
// headers and claims, one object whose members are strings, numbers,
// booleans, null, arrays (of which string elements are kept, as `aud`
// needs) or nested objects (checked and skipped). It is several times faster than protobuf's
// general converter, which dominated the cost of verifying a token.
//
// ValidateJson checks any JSON text with the same strict grammar.
//
// Refused with INVALID_ARGUMENT: anything but one object (trailing text
// included), malformed strings or numbers, nesting deeper than 16, and a
// member name given twice (RFC 7515 lets a verifier refuse that, and a
// duplicated "sub" would be ambiguous).

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace todo::common::json {

struct FlatJsonValue {
  enum class Kind { kString, kNumber, kBool, kNull, kArray, kObject };
  Kind kind = Kind::kNull;
  std::string string;
  double number = 0;
  bool boolean = false;
  // The string elements of an array.
  std::vector<std::string> strings;
};

class FlatJsonObject {
 public:
  static absl::StatusOr<FlatJsonObject> Parse(absl::string_view text);

  std::optional<std::string> String(absl::string_view name) const;
  std::optional<double> Number(absl::string_view name) const;
  bool Has(absl::string_view name) const { return members_.contains(name); }
  const FlatJsonValue* Find(absl::string_view name) const;

 private:
  absl::flat_hash_map<std::string, FlatJsonValue> members_;
};

enum class TrailingCommas { kRefused, kAllowed };

// OK if `text` is exactly one JSON value by RFC 8259 (surrounding whitespace
// allowed) nested at most `max_depth` deep; INVALID_ARGUMENT otherwise:
// unquoted or single-quoted names or strings, control characters in strings,
// lone surrogates, comments, NaN, text after the value, and trailing commas
// unless kAllowed (`[1,]`, `{"a":1,}`: Envoy's transcoder takes those).
absl::Status ValidateJson(absl::string_view text, int max_depth, TrailingCommas trailing_commas);

// Any JSON text as a google.protobuf.Value (objects as Struct, arrays as
// ListValue), by the same strict grammar; several times faster than
// protobuf's JSON converter, which dominated the cost of reading a chat's
// history. A member name given twice keeps its last value, as protobuf does.
absl::StatusOr<google::protobuf::Value> ParseJsonValue(absl::string_view text, int max_depth = 64);

// A member of a parsed object: "" or 0 when absent or of another type, and
// nullptr for an object member that is absent or not an object.
std::string StringMember(const google::protobuf::Struct& object, const std::string& name);
double NumberMember(const google::protobuf::Struct& object, const std::string& name);
const google::protobuf::Struct* ObjectMember(const google::protobuf::Struct& object,
                                             const std::string& name);

}  // namespace todo::common::json
