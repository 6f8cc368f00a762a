#include "services/gateway/transcoding/fast_json_printer.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/arena.h"
#include "services/gateway/transcoding/compiled_messages.h"
#include "services/gateway/transcoding/json_values.h"
#include "services/gateway/transcoding/response_translator.h"

namespace todo::gateway::transcoding {
namespace {

namespace pb = google::protobuf;
using Cpp = pb::FieldDescriptor::CppType;

}  // namespace

// How one field prints, worked out once per type: its key, and for a
// message field how the value prints (a nested object, or one of the
// well-known types with a short form).
struct FastJsonPrinter::FieldPlan {
  enum class Kind { kValue, kObject, kTimestamp, kDuration, kWrapper };
  const pb::FieldDescriptor* field = nullptr;
  std::string key;  // "\"name\":"
  Kind kind = Kind::kValue;
  const TypePlan* object = nullptr;  // kObject: the nested type's plan
  // kTimestamp, kDuration: seconds and nanos; kWrapper: its value field.
  const pb::FieldDescriptor* inner[2] = {nullptr, nullptr};
  // Printed in the declaration-order pass only when present (singular
  // messages laid out by always_print_primitive_fields).
  bool only_if_present = false;
};

// The converter's field order. Without always_print_primitive_fields: the
// order fields come on the wire (field numbers). With it, its default-value
// writer first lays out, in declaration order, a node for every field except
// the singular scalars of a oneof (proto3 optional ones included); scalars
// and lists print there, present or not, messages only if present. A present
// field with no node of its kind (a oneof scalar, or a message that prints
// as a scalar: Timestamp, Duration, a wrapper) is added after them, in wire
// order.
struct FastJsonPrinter::TypePlan {
  std::vector<FieldPlan> laid_out;    // declaration order
  std::vector<FieldPlan> if_present;  // field-number order
};

FastJsonPrinter::FastJsonPrinter(const pb::DescriptorPool* pool, const PrintOptions& options)
    : always_print_primitive_fields_(options.always_print_primitive_fields),
      enums_as_ints_(options.always_print_enums_as_ints),
      proto_names_(options.preserve_proto_field_names),
      declines_all_(options.add_whitespace),
      factory_(pool) {}

FastJsonPrinter::~FastJsonPrinter() = default;

bool FastJsonPrinter::Handles(const pb::Descriptor& type,
                              absl::flat_hash_map<const pb::Descriptor*, bool>& visiting) const {
  if (auto seen = visiting.find(&type); seen != visiting.end()) return seen->second;
  const std::string& type_name = type.full_name();
  if (absl::StartsWith(type_name, "google.protobuf.")) {
    // Of the well-known types, those with a fixed short form; Any, Struct,
    // Value, FieldMask, Empty and the rest are the converter's.
    return type_name == "google.protobuf.Timestamp" || type_name == "google.protobuf.Duration" ||
           IsWrapperType(type_name);
  }
  visiting[&type] = true;  // recursive types: assume yes while looking
  bool handled = type.file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO3;
  for (int i = 0; handled && i < type.field_count(); ++i) {
    const pb::FieldDescriptor& field = *type.field(i);
    if (field.is_map() || field.type() == pb::FieldDescriptor::TYPE_GROUP) {
      handled = false;
    } else if (field.cpp_type() == Cpp::CPPTYPE_MESSAGE) {
      handled = Handles(*field.message_type(), visiting);
    }
  }
  visiting[&type] = handled;
  return handled;
}

const FastJsonPrinter::TypePlan* FastJsonPrinter::PlanLocked(const pb::Descriptor& type) const {
  if (auto found = plans_.find(&type); found != plans_.end()) return found->second.get();
  absl::flat_hash_map<const pb::Descriptor*, bool> visiting;
  if (!Handles(type, visiting)) return plans_.emplace(&type, nullptr).first->second.get();
  // In the map before its fields are planned: a recursive type finds itself.
  TypePlan* plan = plans_.emplace(&type, std::make_unique<TypePlan>()).first->second.get();
  const auto plan_field = [&](const pb::FieldDescriptor& field) {
    FieldPlan planned;
    planned.field = &field;
    planned.key = absl::StrCat("\"", proto_names_ ? field.name() : field.json_name(), "\":");
    if (field.cpp_type() != Cpp::CPPTYPE_MESSAGE) return planned;
    const pb::Descriptor& value_type = *field.message_type();
    const std::string& name = value_type.full_name();
    if (name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration") {
      planned.kind = name == "google.protobuf.Timestamp" ? FieldPlan::Kind::kTimestamp
                                                         : FieldPlan::Kind::kDuration;
      planned.inner[0] = value_type.FindFieldByNumber(1);
      planned.inner[1] = value_type.FindFieldByNumber(2);
    } else if (IsWrapperType(name)) {
      planned.kind = FieldPlan::Kind::kWrapper;
      planned.inner[0] = value_type.FindFieldByNumber(1);
    } else {
      planned.kind = FieldPlan::Kind::kObject;
      planned.object = PlanLocked(value_type);
    }
    return planned;
  };
  const auto has_node = [&](const pb::FieldDescriptor& field) {
    if (!always_print_primitive_fields_ || field.is_repeated()) {
      return always_print_primitive_fields_;
    }
    if (field.cpp_type() != Cpp::CPPTYPE_MESSAGE) return field.containing_oneof() == nullptr;
    const std::string& name = field.message_type()->full_name();
    return name != "google.protobuf.Timestamp" && name != "google.protobuf.Duration" &&
           !IsWrapperType(name);
  };
  std::vector<const pb::FieldDescriptor*> by_number;
  for (int i = 0; i < type.field_count(); ++i) {
    const pb::FieldDescriptor& field = *type.field(i);
    if (!has_node(field)) {
      by_number.push_back(&field);
      continue;
    }
    FieldPlan& laid_out = plan->laid_out.emplace_back(plan_field(field));
    laid_out.only_if_present = !field.is_repeated() && field.cpp_type() == Cpp::CPPTYPE_MESSAGE;
  }
  std::sort(by_number.begin(), by_number.end(),
            [](const auto* a, const auto* b) { return a->number() < b->number(); });
  for (const pb::FieldDescriptor* field : by_number) plan->if_present.push_back(plan_field(*field));
  return plan;
}

const pb::Message* FastJsonPrinter::PrototypeLocked(const pb::Descriptor& type) const {
  auto found = prototypes_.find(&type);
  if (found != prototypes_.end()) return found->second;
  const pb::Message* prototype = CompiledPrototype(type);
  if (prototype == nullptr) prototype = factory_.GetPrototype(&type);
  return prototypes_.emplace(&type, prototype).first->second;
}

bool FastJsonPrinter::ParsesIntoCompiledMessage(const pb::Descriptor& type) const {
  absl::MutexLock lock(&mutex_);
  return PrototypeLocked(type)->GetDescriptor()->file()->pool() ==
         pb::DescriptorPool::generated_pool();
}

std::optional<std::string> FastJsonPrinter::Print(const pb::Descriptor& type,
                                                  absl::string_view bytes) const {
  // A well-known type as the whole response is rare, and the converter has
  // quirks there (a FloatValue printed as `true` by the default-value writer).
  if (declines_all_ || absl::StartsWith(type.full_name(), "google.protobuf.")) return std::nullopt;
  const pb::Message* prototype = nullptr;
  const TypePlan* plan = nullptr;
  {
    absl::MutexLock lock(&mutex_);
    prototype = PrototypeLocked(type);
    // Planned for the descriptor the parsed message has (the compiled
    // one's, when it parses into that), whose fields its reflection takes.
    plan = PlanLocked(*prototype->GetDescriptor());
  }
  if (plan == nullptr) return std::nullopt;
  pb::Arena arena;
  pb::Message* message = prototype->New(&arena);
  if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  std::string out;
  out.reserve(bytes.size() * 2 + 64);
  if (!PrintObject(*message, *plan, out)) return std::nullopt;
  return out;
}

bool FastJsonPrinter::PrintObject(const pb::Message& message, const TypePlan& plan,
                                  std::string& out) const {
  const pb::Reflection& reflection = *message.GetReflection();
  const auto present = [&](const pb::FieldDescriptor& field) {
    return field.is_repeated() ? reflection.FieldSize(message, &field) > 0
                               : reflection.HasField(message, &field);
  };
  out.push_back('{');
  bool first = true;
  const auto emit = [&](const FieldPlan& field) {
    if (!first) out.push_back(',');
    first = false;
    out += field.key;
    return PrintField(message, field, out);
  };
  for (const FieldPlan& field : plan.laid_out) {
    if ((!field.only_if_present || present(*field.field)) && !emit(field)) return false;
  }
  for (const FieldPlan& field : plan.if_present) {
    if (present(*field.field) && !emit(field)) return false;
  }
  out.push_back('}');
  return true;
}

bool FastJsonPrinter::PrintField(const pb::Message& message, const FieldPlan& field,
                                 std::string& out) const {
  if (!field.field->is_repeated()) return PrintValue(message, field, -1, out);
  out.push_back('[');
  const int size = message.GetReflection()->FieldSize(message, field.field);
  for (int i = 0; i < size; ++i) {
    if (i > 0) out.push_back(',');
    if (!PrintValue(message, field, i, out)) return false;
  }
  out.push_back(']');
  return true;
}

bool FastJsonPrinter::PrintValue(const pb::Message& message, const FieldPlan& field, int index,
                                 std::string& out) const {
  if (field.kind == FieldPlan::Kind::kValue) return PrintScalar(message, *field.field, index, out);
  const pb::Reflection& r = *message.GetReflection();
  const pb::Message& value = index >= 0 ? r.GetRepeatedMessage(message, field.field, index)
                                        : r.GetMessage(message, field.field);
  const pb::Reflection& inner = *value.GetReflection();
  switch (field.kind) {
    case FieldPlan::Kind::kTimestamp:
      return AppendTimestamp(inner.GetInt64(value, field.inner[0]),
                             inner.GetInt32(value, field.inner[1]), out);
    case FieldPlan::Kind::kDuration:
      return AppendDuration(inner.GetInt64(value, field.inner[0]),
                            inner.GetInt32(value, field.inner[1]), out);
    case FieldPlan::Kind::kWrapper:
      return PrintScalar(value, *field.inner[0], -1, out);
    case FieldPlan::Kind::kObject:
      return PrintObject(value, *field.object, out);
    case FieldPlan::Kind::kValue:
      break;
  }
  return false;
}

bool FastJsonPrinter::PrintScalar(const pb::Message& message, const pb::FieldDescriptor& field,
                                  int index, std::string& out) const {
  const pb::Reflection& r = *message.GetReflection();
  const bool repeated = index >= 0;
  switch (field.cpp_type()) {
    case Cpp::CPPTYPE_INT32:
      absl::StrAppend(&out, repeated ? r.GetRepeatedInt32(message, &field, index)
                                     : r.GetInt32(message, &field));
      return true;
    case Cpp::CPPTYPE_UINT32:
      absl::StrAppend(&out, repeated ? r.GetRepeatedUInt32(message, &field, index)
                                     : r.GetUInt32(message, &field));
      return true;
    case Cpp::CPPTYPE_INT64:
      absl::StrAppend(
          &out, "\"",
          repeated ? r.GetRepeatedInt64(message, &field, index) : r.GetInt64(message, &field),
          "\"");
      return true;
    case Cpp::CPPTYPE_UINT64:
      absl::StrAppend(
          &out, "\"",
          repeated ? r.GetRepeatedUInt64(message, &field, index) : r.GetUInt64(message, &field),
          "\"");
      return true;
    case Cpp::CPPTYPE_DOUBLE:
      AppendJsonNumber(
          repeated ? r.GetRepeatedDouble(message, &field, index) : r.GetDouble(message, &field),
          out);
      return true;
    case Cpp::CPPTYPE_FLOAT:
      AppendJsonNumber(
          repeated ? r.GetRepeatedFloat(message, &field, index) : r.GetFloat(message, &field), out);
      return true;
    case Cpp::CPPTYPE_BOOL:
      out += (repeated ? r.GetRepeatedBool(message, &field, index) : r.GetBool(message, &field))
                 ? "true"
                 : "false";
      return true;
    case Cpp::CPPTYPE_ENUM: {
      const int number = repeated ? r.GetRepeatedEnumValue(message, &field, index)
                                  : r.GetEnumValue(message, &field);
      const pb::EnumValueDescriptor* value =
          enums_as_ints_ ? nullptr : field.enum_type()->FindValueByNumber(number);
      if (value != nullptr) {
        absl::StrAppend(&out, "\"", value->name(), "\"");
      } else {
        absl::StrAppend(&out, number);
      }
      return true;
    }
    case Cpp::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& text = repeated
                                    ? r.GetRepeatedStringReference(message, &field, index, &scratch)
                                    : r.GetStringReference(message, &field, &scratch);
      if (field.type() == pb::FieldDescriptor::TYPE_BYTES) {
        absl::StrAppend(&out, "\"", absl::Base64Escape(text), "\"");
        return true;
      }
      return AppendProtobufJsonString(text, out);
    }
    case Cpp::CPPTYPE_MESSAGE:
      break;  // planned as a FieldPlan kind
  }
  return false;
}

}  // namespace todo::gateway::transcoding
