#pragma once

// A strict parser for the small JSON objects of JWT headers and claims: one
// object whose members are strings, numbers, booleans, null, arrays (of which
// string elements are kept, as `aud` needs) or nested objects (checked and
// skipped). It is several times faster than protobuf's general converter,
// which dominated the cost of verifying a token.
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

namespace todo::common::jwt {

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

}  // namespace todo::common::jwt
