#include "services/gateway/openapi/json_schemas.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/json/values.h"

namespace todo::gateway::openapi {
namespace {

namespace pb = google::protobuf;
using common::json::StringValue;
using pb::FieldDescriptor;
using pb::Value;

Value TypeSchema(absl::string_view type, absl::string_view format = "") {
  Value schema;
  auto& fields = *schema.mutable_struct_value()->mutable_fields();
  fields["type"] = StringValue(type);
  if (!format.empty()) fields["format"] = StringValue(format);
  return schema;
}

// `schema`, or null: how a wrapper type prints when unset.
Value OrNull(Value schema) {
  Value either;
  auto& one_of = *(*either.mutable_struct_value()->mutable_fields())["oneOf"].mutable_list_value();
  *one_of.add_values() = std::move(schema);
  *one_of.add_values() = TypeSchema("null");
  return either;
}

std::optional<Value> WellKnown(absl::string_view name) {
  if (name == "google.protobuf.Timestamp") return TypeSchema("string", "date-time");
  if (name == "google.protobuf.Duration") return TypeSchema("string");   // "1.5s"
  if (name == "google.protobuf.FieldMask") return TypeSchema("string");  // "a,b.c"
  if (name == "google.protobuf.Struct") return TypeSchema("object");
  if (name == "google.protobuf.ListValue") return TypeSchema("array");
  if (name == "google.protobuf.Value") {  // any JSON: the empty schema
    Value any;
    any.mutable_struct_value();
    return any;
  }
  if (name == "google.protobuf.Empty") return TypeSchema("object");
  if (name == "google.protobuf.Any") return TypeSchema("object");
  if (name == "google.protobuf.StringValue") return OrNull(TypeSchema("string"));
  if (name == "google.protobuf.BytesValue") return OrNull(TypeSchema("string", "byte"));
  if (name == "google.protobuf.BoolValue") return OrNull(TypeSchema("boolean"));
  if (name == "google.protobuf.DoubleValue" || name == "google.protobuf.FloatValue") {
    return OrNull(TypeSchema("number"));
  }
  if (name == "google.protobuf.Int32Value" || name == "google.protobuf.UInt32Value") {
    return OrNull(TypeSchema("integer", "int32"));
  }
  if (name == "google.protobuf.Int64Value" || name == "google.protobuf.UInt64Value") {
    return OrNull(TypeSchema("string", "int64"));
  }
  return std::nullopt;
}

}  // namespace

Value SchemaRef(absl::string_view component) {
  Value reference;
  (*reference.mutable_struct_value()->mutable_fields())["$ref"] =
      StringValue(absl::StrCat("#/components/schemas/", component));
  return reference;
}

template <typename Descriptor>
std::string CommentOf(const Descriptor& descriptor) {
  pb::SourceLocation location;
  if (!descriptor.GetSourceLocation(&location)) return "";
  return std::string(absl::StripAsciiWhitespace(location.leading_comments));
}
template std::string CommentOf(const pb::Descriptor&);
template std::string CommentOf(const pb::FieldDescriptor&);
template std::string CommentOf(const pb::MethodDescriptor&);
template std::string CommentOf(const pb::ServiceDescriptor&);

std::string JsonSchemas::JsonName(const FieldDescriptor& field) const {
  return print_.preserve_proto_field_names ? field.name() : field.json_name();
}

Value JsonSchemas::MessageSchema(const pb::Descriptor& message) {
  if (std::optional<Value> known = WellKnown(message.full_name())) return *known;
  Value reference = SchemaRef(message.full_name());
  if (components_.count(message.full_name()) > 0) return reference;
  components_[message.full_name()] = Value();  // placeholder: recursive messages end here
  Value schema = TypeSchema("object");
  auto& fields = *schema.mutable_struct_value()->mutable_fields();
  if (std::string comment = CommentOf(message); !comment.empty()) {
    fields["description"] = StringValue(comment);
  }
  auto& properties = *fields["properties"].mutable_struct_value()->mutable_fields();
  for (int i = 0; i < message.field_count(); ++i) {
    const FieldDescriptor& field = *message.field(i);
    Value property = FieldSchema(field);
    if (std::string comment = CommentOf(field); !comment.empty() && property.has_struct_value()) {
      (*property.mutable_struct_value()->mutable_fields())["description"] = StringValue(comment);
    }
    properties[JsonName(field)] = std::move(property);
  }
  components_[message.full_name()] = std::move(schema);
  return reference;
}

Value JsonSchemas::ElementSchema(const FieldDescriptor& field) {
  switch (field.type()) {
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FLOAT:
      return TypeSchema("number");
    case FieldDescriptor::TYPE_INT64:
    case FieldDescriptor::TYPE_SINT64:
    case FieldDescriptor::TYPE_SFIXED64:
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_FIXED64:
      // Printed as strings (JSON numbers lose precision past 2^53); parsed
      // from either.
      return TypeSchema("string", "int64");
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_FIXED32:
      return TypeSchema("integer", "int64");
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_SINT32:
    case FieldDescriptor::TYPE_SFIXED32:
      return TypeSchema("integer", "int32");
    case FieldDescriptor::TYPE_BOOL:
      return TypeSchema("boolean");
    case FieldDescriptor::TYPE_STRING:
      return TypeSchema("string");
    case FieldDescriptor::TYPE_BYTES:
      return TypeSchema("string", "byte");
    case FieldDescriptor::TYPE_ENUM: {
      if (print_.always_print_enums_as_ints) return TypeSchema("integer", "int32");
      Value schema = TypeSchema("string");
      auto& names =
          *(*schema.mutable_struct_value()->mutable_fields())["enum"].mutable_list_value();
      for (int i = 0; i < field.enum_type()->value_count(); ++i) {
        *names.add_values() = StringValue(field.enum_type()->value(i)->name());
      }
      return schema;
    }
    case FieldDescriptor::TYPE_MESSAGE:
    case FieldDescriptor::TYPE_GROUP:
      return MessageSchema(*field.message_type());
  }
  return Value();
}

Value JsonSchemas::FieldSchema(const FieldDescriptor& field) {
  if (field.is_map()) {
    Value schema = TypeSchema("object");
    (*schema.mutable_struct_value()->mutable_fields())["additionalProperties"] =
        ElementSchema(*field.message_type()->map_value());
    return schema;
  }
  if (field.is_repeated()) {
    Value schema = TypeSchema("array");
    (*schema.mutable_struct_value()->mutable_fields())["items"] = ElementSchema(field);
    return schema;
  }
  return ElementSchema(field);
}

}  // namespace todo::gateway::openapi
