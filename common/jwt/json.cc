#include "common/jwt/json.h"

#include "absl/strings/ascii.h"
#include "google/protobuf/util/json_util.h"

namespace todo::common::jwt {

absl::StatusOr<google::protobuf::Struct> ParseJsonObject(absl::string_view text) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  if (trimmed.empty() || trimmed.front() != '{') {
    return absl::InvalidArgumentError("not a JSON object");
  }
  google::protobuf::Struct object;
  if (!google::protobuf::util::JsonStringToMessage(std::string(trimmed), &object).ok()) {
    return absl::InvalidArgumentError("malformed JSON");
  }
  return object;
}

std::optional<std::string> StringMember(const google::protobuf::Struct& object,
                                        const std::string& name) {
  auto it = object.fields().find(name);
  if (it == object.fields().end() || !it->second.has_string_value()) {
    return std::nullopt;
  }
  return it->second.string_value();
}

std::optional<double> NumberMember(const google::protobuf::Struct& object,
                                   const std::string& name) {
  auto it = object.fields().find(name);
  if (it == object.fields().end() || !it->second.has_number_value()) {
    return std::nullopt;
  }
  return it->second.number_value();
}

}  // namespace todo::common::jwt
