#include "services/gateway/transcoding/fast_json_printer.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/stubs/strutil.h"
#include "services/gateway/transcoding/response_translator.h"

namespace todo::gateway::transcoding {
namespace {

namespace pb = google::protobuf;
using Cpp = pb::FieldDescriptor::CppType;

bool IsWrapper(absl::string_view name) {
  return name == "google.protobuf.DoubleValue" || name == "google.protobuf.FloatValue" ||
         name == "google.protobuf.Int64Value" || name == "google.protobuf.UInt64Value" ||
         name == "google.protobuf.Int32Value" || name == "google.protobuf.UInt32Value" ||
         name == "google.protobuf.BoolValue" || name == "google.protobuf.StringValue" ||
         name == "google.protobuf.BytesValue";
}

// The converter's fractional seconds: none, or 3, 6 or 9 digits.
void AppendNanos(int32_t nanos, std::string& out) {
  if (nanos == 0) return;
  if (nanos % 1'000'000 == 0) {
    absl::StrAppend(&out, ".", absl::Dec(nanos / 1'000'000, absl::kZeroPad3));
  } else if (nanos % 1'000 == 0) {
    absl::StrAppend(&out, ".", absl::Dec(nanos / 1'000, absl::kZeroPad6));
  } else {
    absl::StrAppend(&out, ".", absl::Dec(nanos, absl::kZeroPad9));
  }
}

// The code points beyond ASCII that protobuf's JsonEscaping writes as \u
// escapes (C1 controls and invisible formatting characters), found by
// printing every code point through the converter.
bool EscapedByProtobuf(uint32_t code_point) {
  static constexpr std::pair<uint32_t, uint32_t> kRanges[] = {
      {0x80, 0x9F},       {0xAD, 0xAD},       {0x600, 0x603},    {0x6DD, 0x6DD},
      {0x70F, 0x70F},     {0x17B4, 0x17B5},   {0x200B, 0x200F},  {0x2028, 0x202E},
      {0x2060, 0x2064},   {0x206A, 0x206F},   {0xFEFF, 0xFEFF},  {0xFFF9, 0xFFFB},
      {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F}};
  for (const auto& [first, last] : kRanges) {
    if (code_point >= first && code_point <= last) return true;
  }
  return false;
}

// JSON string escaping as protobuf's JsonEscaping does it. False for text
// that is not strictly valid UTF-8 (the converter drops or replaces such
// bytes in ways not worth copying; it prints those itself).
bool AppendEscaped(absl::string_view text, std::string& out) {
  out.push_back('"');
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80) {
      size_t length = 0;
      uint32_t code_point = 0;
      if ((byte & 0xE0) == 0xC0) {
        length = 2;
        code_point = byte & 0x1F;
      } else if ((byte & 0xF0) == 0xE0) {
        length = 3;
        code_point = byte & 0x0F;
      } else if ((byte & 0xF8) == 0xF0) {
        length = 4;
        code_point = byte & 0x07;
      } else {
        return false;
      }
      if (i + length > text.size()) return false;
      for (size_t k = 1; k < length; ++k) {
        const auto next = static_cast<unsigned char>(text[i + k]);
        if ((next & 0xC0) != 0x80) return false;
        code_point = code_point << 6 | (next & 0x3F);
      }
      const uint32_t smallest = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
      if (code_point < smallest || code_point > 0x10FFFF ||
          (code_point >= 0xD800 && code_point <= 0xDFFF)) {
        return false;  // overlong, out of range, or a surrogate
      }
      if (!EscapedByProtobuf(code_point)) {
        out.append(text.data() + i, length);
      } else if (code_point < 0x10000) {
        absl::StrAppendFormat(&out, "\\u%04x", code_point);
      } else {
        const uint32_t offset = code_point - 0x10000;
        absl::StrAppendFormat(&out, "\\u%04x\\u%04x", 0xD800 + (offset >> 10),
                              0xDC00 + (offset & 0x3FF));
      }
      i += length;
      continue;
    }
    switch (byte) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
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
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      default:
        if (byte < 0x20 || byte == 0x7F) {
          absl::StrAppendFormat(&out, "\\u%04x", byte);
        } else {
          out.push_back(static_cast<char>(byte));
        }
    }
    ++i;
  }
  out.push_back('"');
  return true;
}

template <typename T>
void AppendFloating(T value, std::string& out) {
  if (std::isnan(value)) {
    out += "\"NaN\"";
  } else if (std::isinf(value)) {
    out += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else if constexpr (std::is_same_v<T, float>) {
    out += pb::SimpleFtoa(value);
  } else {
    out += pb::SimpleDtoa(value);
  }
}

bool AppendTimestamp(int64_t seconds, int32_t nanos, std::string& out) {
  // 0001-01-01 .. 9999-12-31, valid nanos; the year always has four digits.
  if (seconds < -62135596800 || seconds > 253402300799 || nanos < 0 || nanos > 999'999'999) {
    return false;
  }
  // Civil arithmetic from the epoch: the same date as a UTC time zone
  // lookup, without one (it and a format string per timestamp showed in
  // profiles; a printed response may hold hundreds of timestamps).
  const absl::CivilSecond civil = absl::CivilSecond(1970, 1, 1, 0, 0, 0) + seconds;
  absl::StrAppend(
      &out, "\"", absl::Dec(civil.year(), absl::kZeroPad4), "-",
      absl::Dec(civil.month(), absl::kZeroPad2), "-", absl::Dec(civil.day(), absl::kZeroPad2), "T",
      absl::Dec(civil.hour(), absl::kZeroPad2), ":", absl::Dec(civil.minute(), absl::kZeroPad2),
      ":", absl::Dec(civil.second(), absl::kZeroPad2));
  AppendNanos(nanos, out);
  out += "Z\"";
  return true;
}

bool AppendDuration(int64_t seconds, int32_t nanos, std::string& out) {
  if (seconds < -315'576'000'000 || seconds > 315'576'000'000 || nanos < -999'999'999 ||
      nanos > 999'999'999 || (seconds < 0 && nanos > 0) || (seconds > 0 && nanos < 0)) {
    return false;
  }
  out.push_back('"');
  if (seconds < 0 || nanos < 0) {
    out.push_back('-');
    seconds = -seconds;
    nanos = -nanos;
  }
  absl::StrAppend(&out, seconds);
  AppendNanos(nanos, out);
  out += "s\"";
  return true;
}

// A message's declaration as text to compare, without the JSON names: a
// descriptor set written by protoc states every field's, the descriptor
// compiled into the binary only those the .proto sets (both are compared
// below as the JSON names they resolve to).
void ClearJsonNames(pb::DescriptorProto& said) {
  for (pb::FieldDescriptorProto& field : *said.mutable_field()) field.clear_json_name();
  for (pb::DescriptorProto& nested : *said.mutable_nested_type()) ClearJsonNames(nested);
}

std::string Declaration(const pb::Descriptor& type) {
  pb::DescriptorProto said;
  type.CopyTo(&said);
  ClearJsonNames(said);
  return said.SerializeAsString();
}

// Whether `a` and `b` (its namesake in another pool) describe the same
// message: the same fields, names, JSON names, types, options and syntax,
// and so, recursively, every message and enum type they use.
bool SameShape(const pb::Descriptor& a, const pb::Descriptor& b,
               absl::flat_hash_set<std::string>& checked) {
  if (!checked.insert(a.full_name()).second) return true;  // checked, or being checked
  if (a.file()->syntax() != b.file()->syntax()) return false;
  if (Declaration(a) != Declaration(b)) return false;
  for (int i = 0; i < a.field_count(); ++i) {
    const pb::FieldDescriptor& field_a = *a.field(i);
    const pb::FieldDescriptor& field_b = *b.field(i);
    if (field_a.json_name() != field_b.json_name()) return false;
    if (field_a.message_type() != nullptr &&
        !SameShape(*field_a.message_type(), *field_b.message_type(), checked)) {
      return false;
    }
    if (field_a.enum_type() != nullptr) {
      pb::EnumDescriptorProto enum_a, enum_b;
      field_a.enum_type()->CopyTo(&enum_a);
      field_b.enum_type()->CopyTo(&enum_b);
      if (enum_a.SerializeAsString() != enum_b.SerializeAsString()) return false;
    }
  }
  return true;
}

}  // namespace

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
           IsWrapper(type_name);
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

const FastJsonPrinter::FieldOrder* FastJsonPrinter::Order(const pb::Descriptor& type) const {
  absl::MutexLock lock(&mutex_);
  auto found = orders_.find(&type);
  if (found != orders_.end()) return found->second.get();
  absl::flat_hash_map<const pb::Descriptor*, bool> visiting;
  std::unique_ptr<FieldOrder> order;
  if (Handles(type, visiting)) {
    order = std::make_unique<FieldOrder>();
    for (int i = 0; i < type.field_count(); ++i) order->push_back(type.field(i));
    std::sort(order->begin(), order->end(),
              [](const auto* a, const auto* b) { return a->number() < b->number(); });
  }
  return orders_.emplace(&type, std::move(order)).first->second.get();
}

const pb::Message* FastJsonPrinter::Prototype(const pb::Descriptor& type) const {
  absl::MutexLock lock(&mutex_);
  auto found = prototypes_.find(&type);
  if (found != prototypes_.end()) return found->second;
  const pb::Message* prototype = nullptr;
  const pb::Descriptor* compiled =
      pb::DescriptorPool::generated_pool()->FindMessageTypeByName(type.full_name());
  absl::flat_hash_set<std::string> checked;
  if (compiled != nullptr && SameShape(type, *compiled, checked)) {
    prototype = pb::MessageFactory::generated_factory()->GetPrototype(compiled);
  }
  if (prototype == nullptr) prototype = factory_.GetPrototype(&type);
  return prototypes_.emplace(&type, prototype).first->second;
}

bool FastJsonPrinter::ParsesIntoCompiledMessage(const pb::Descriptor& type) const {
  return Prototype(type)->GetDescriptor()->file()->pool() == pb::DescriptorPool::generated_pool();
}

std::optional<std::string> FastJsonPrinter::Print(const pb::Descriptor& type,
                                                  absl::string_view bytes) const {
  // A well-known type as the whole response is rare, and the converter has
  // quirks there (a FloatValue printed as `true` by the default-value writer).
  if (declines_all_ || absl::StartsWith(type.full_name(), "google.protobuf.") ||
      Order(type) == nullptr) {
    return std::nullopt;
  }
  pb::Arena arena;
  pb::Message* message = Prototype(type)->New(&arena);
  if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  std::string out;
  out.reserve(bytes.size() * 2 + 64);
  if (!PrintObject(*message, out)) return std::nullopt;
  return out;
}

// The converter's field order. Without always_print_primitive_fields: the
// order fields come on the wire (field numbers). With it, its default-value
// writer first lays out, in declaration order, a node for every field except
// the singular scalars of a oneof (proto3 optional ones included); scalars
// and lists print there, present or not, messages only if present. A present
// field with no node of its kind (a oneof scalar, or a message that prints
// as a scalar: Timestamp, Duration, a wrapper) is added after them, in wire
// order.
bool FastJsonPrinter::PrintObject(const pb::Message& message, std::string& out) const {
  const pb::Descriptor& type = *message.GetDescriptor();
  const FieldOrder* order = Order(type);
  if (order == nullptr) return false;
  const pb::Reflection& reflection = *message.GetReflection();
  const auto present = [&](const pb::FieldDescriptor& field) {
    return field.is_repeated() ? reflection.FieldSize(message, &field) > 0
                               : reflection.HasField(message, &field);
  };
  const auto laid_out = [&](const pb::FieldDescriptor& field) {
    if (!always_print_primitive_fields_ || field.is_repeated())
      return always_print_primitive_fields_;
    if (field.cpp_type() != Cpp::CPPTYPE_MESSAGE) return field.containing_oneof() == nullptr;
    const std::string& name = field.message_type()->full_name();
    return name != "google.protobuf.Timestamp" && name != "google.protobuf.Duration" &&
           !IsWrapper(name);
  };
  out.push_back('{');
  bool first = true;
  const auto emit = [&](const pb::FieldDescriptor& field) {
    if (!first) out.push_back(',');
    first = false;
    out.push_back('"');
    out += proto_names_ ? field.name() : field.json_name();
    out += "\":";
    return PrintField(message, field, out);
  };
  if (always_print_primitive_fields_) {
    for (int i = 0; i < type.field_count(); ++i) {
      const pb::FieldDescriptor& field = *type.field(i);
      if (!laid_out(field)) continue;
      const bool only_if_present = !field.is_repeated() && field.cpp_type() == Cpp::CPPTYPE_MESSAGE;
      if ((!only_if_present || present(field)) && !emit(field)) return false;
    }
  }
  for (const pb::FieldDescriptor* field : *order) {
    if (!laid_out(*field) && present(*field) && !emit(*field)) return false;
  }
  out.push_back('}');
  return true;
}

bool FastJsonPrinter::PrintField(const pb::Message& message, const pb::FieldDescriptor& field,
                                 std::string& out) const {
  if (!field.is_repeated()) return PrintValue(message, field, -1, out);
  out.push_back('[');
  const int size = message.GetReflection()->FieldSize(message, &field);
  for (int i = 0; i < size; ++i) {
    if (i > 0) out.push_back(',');
    if (!PrintValue(message, field, i, out)) return false;
  }
  out.push_back(']');
  return true;
}

bool FastJsonPrinter::PrintValue(const pb::Message& message, const pb::FieldDescriptor& field,
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
      AppendFloating(
          repeated ? r.GetRepeatedDouble(message, &field, index) : r.GetDouble(message, &field),
          out);
      return true;
    case Cpp::CPPTYPE_FLOAT:
      AppendFloating(
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
      return AppendEscaped(text, out);
    }
    case Cpp::CPPTYPE_MESSAGE:
      return PrintMessageValue(
          repeated ? r.GetRepeatedMessage(message, &field, index) : r.GetMessage(message, &field),
          out);
  }
  return false;
}

bool FastJsonPrinter::PrintMessageValue(const pb::Message& message, std::string& out) const {
  const pb::Descriptor& type = *message.GetDescriptor();
  const std::string& name = type.full_name();
  if (name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration") {
    const pb::Reflection& r = *message.GetReflection();
    const int64_t seconds = r.GetInt64(message, type.FindFieldByNumber(1));
    const int32_t nanos = r.GetInt32(message, type.FindFieldByNumber(2));
    return name == "google.protobuf.Timestamp" ? AppendTimestamp(seconds, nanos, out)
                                               : AppendDuration(seconds, nanos, out);
  }
  if (IsWrapper(name)) return PrintValue(message, *type.FindFieldByNumber(1), -1, out);
  return PrintObject(message, out);
}

}  // namespace todo::gateway::transcoding
