#pragma once

// Small JSON helpers for token headers, claims and key sets, on top of
// protobuf's JSON parser (google.protobuf.Struct), which is already linked by
// every service; no extra JSON library is needed for these flat objects.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace todo::common::jwt {

// INVALID_ARGUMENT unless `text` is one JSON object.
absl::StatusOr<google::protobuf::Struct> ParseJsonObject(absl::string_view text);

// The member as a string / number, if present with that type.
std::optional<std::string> StringMember(const google::protobuf::Struct& object,
                                        const std::string& name);
std::optional<double> NumberMember(const google::protobuf::Struct& object, const std::string& name);

}  // namespace todo::common::jwt
