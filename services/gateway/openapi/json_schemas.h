#pragma once

// JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of protobuf messages as
// the gateway's JSON printer prints them and its parser reads them: field
// names as the print options say, 64-bit integers as strings, enums by
// name, the well-known types in their JSON forms (Timestamp an RFC 3339
// string, FieldMask a string, Struct an object, wrappers their value or
// null).

#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "services/gateway/transcoding/response_translator.h"

namespace todo::gateway::openapi {

class JsonSchemas {
 public:
  explicit JsonSchemas(transcoding::PrintOptions print) : print_(print) {}

  // The schema of a message: a $ref to components/schemas (added there),
  // or the inline schema of a well-known type.
  google::protobuf::Value MessageSchema(const google::protobuf::Descriptor& message);
  // The schema of one field's value (repeated and map fields included).
  google::protobuf::Value FieldSchema(const google::protobuf::FieldDescriptor& field);
  // The schema of one element of a field (a repeated field's item).
  google::protobuf::Value ElementSchema(const google::protobuf::FieldDescriptor& field);
  // The name a field has in JSON, as printed.
  std::string JsonName(const google::protobuf::FieldDescriptor& field) const;

  // Every message schema referred to so far, by name.
  const std::map<std::string, google::protobuf::Value>& components() const { return components_; }

 private:
  transcoding::PrintOptions print_;
  std::map<std::string, google::protobuf::Value> components_;
};

// {"$ref": "#/components/schemas/<component>"}.
google::protobuf::Value SchemaRef(absl::string_view component);

// A field or message's leading comment from the descriptor set, trimmed;
// "" without source info.
template <typename Descriptor>
std::string CommentOf(const Descriptor& descriptor);

}  // namespace todo::gateway::openapi
