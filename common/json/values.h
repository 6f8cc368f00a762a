#pragma once

// google.protobuf.Value builders, for code that assembles JSON documents as
// Values (MCP answers, the OpenAPI document) and prints them with
// protobuf's printer: one way to write a JSON string, flag or object.

#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace todo::common::json {

inline google::protobuf::Value StringValue(absl::string_view text) {
  google::protobuf::Value value;
  value.set_string_value(std::string(text));
  return value;
}

inline google::protobuf::Value BoolValue(bool flag) {
  google::protobuf::Value value;
  value.set_bool_value(flag);
  return value;
}

inline google::protobuf::Value ObjectValue(google::protobuf::Struct object) {
  google::protobuf::Value value;
  *value.mutable_struct_value() = std::move(object);
  return value;
}

}  // namespace todo::common::json
