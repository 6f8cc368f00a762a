#include "services/gateway/transcoding/binding_values.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "common/logging/log.h"
#include "google/protobuf/stubs/common.h"
#include "services/gateway/transcoding/type_resolver.h"

namespace todo::gateway::transcoding {
namespace {

namespace pb = google::protobuf;
using Cpp = pb::FieldDescriptor::CppType;

// Renders the bindings as one JSON object: nested objects for field paths,
// arrays for repeated fields, every value a JSON string.
std::string BindingsJson(const std::vector<Binding>& bindings) {
  struct Node {
    std::vector<std::pair<const pb::FieldDescriptor*, std::unique_ptr<Node>>> children;
    std::vector<std::string> values;
  };
  Node root;
  for (const Binding& binding : bindings) {
    Node* node = &root;
    for (const pb::FieldDescriptor* field : binding.fields) {
      auto it = std::find_if(node->children.begin(), node->children.end(),
                             [&](const auto& child) { return child.first == field; });
      if (it == node->children.end()) {
        node->children.emplace_back(field, std::make_unique<Node>());
        it = std::prev(node->children.end());
      }
      node = it->second.get();
    }
    if (binding.fields.back()->is_repeated()) {
      node->values.push_back(binding.value);
    } else {
      node->values = {binding.value};  // the last one wins
    }
  }
  std::string json;
  const std::function<void(const Node&)> render = [&](const Node& node) {
    json += '{';
    bool first = true;
    for (const auto& [field, child] : node.children) {
      if (!first) json += ',';
      first = false;
      common::logging::AppendJsonString(field->name(), json);
      json += ':';
      if (!child->children.empty()) {
        render(*child);
      } else if (field->is_repeated()) {
        json += '[';
        for (size_t i = 0; i < child->values.size(); ++i) {
          if (i > 0) json += ',';
          common::logging::AppendJsonString(child->values[i], json);
        }
        json += ']';
      } else {
        common::logging::AppendJsonString(child->values.back(), json);
      }
    }
    json += '}';
  };
  render(root);
  return json;
}

// A field the converter fills as a plain object: a singular message that is
// not a well-known type (those have JSON forms of their own) and not a
// oneof member (the converter refuses a second member; reflection would
// silently replace the first).
bool PlainMessageField(const pb::FieldDescriptor& field) {
  return !field.is_repeated() && field.cpp_type() == Cpp::CPPTYPE_MESSAGE &&
         field.real_containing_oneof() == nullptr &&
         !absl::StartsWith(field.message_type()->full_name(), "google.protobuf.");
}

// Decimal digits as the converter's safe_strto* read them, in the one form
// whose reading is beyond doubt: an optional '-' (signed types only), then
// 0 or digits without a leading zero. Range is checked by the parse.
template <typename Int>
bool ParseCanonicalInteger(absl::string_view text, Int& value) {
  absl::string_view digits = text;
  if (std::is_signed_v<Int>) absl::ConsumePrefix(&digits, "-");
  if (digits.empty() || digits.size() > 20 || (digits[0] == '0' && digits.size() > 1)) {
    return false;
  }
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  return absl::SimpleAtoi(text, &value);
}

// Puts `value` in `field`: appended when repeated, set when singular.
template <typename T, typename Arg>
bool Put(pb::Message& message, const pb::FieldDescriptor& field, Arg value,
         void (pb::Reflection::*set)(pb::Message*, const pb::FieldDescriptor*, T) const,
         void (pb::Reflection::*add)(pb::Message*, const pb::FieldDescriptor*, T) const) {
  (message.GetReflection()->*(field.is_repeated() ? add : set))(&message, &field, value);
  return true;
}

// An integer binding, or false when the text is not in canonical form or out
// of the type's range.
template <typename Int>
bool PutInteger(absl::string_view value, pb::Message& message, const pb::FieldDescriptor& field,
                void (pb::Reflection::*set)(pb::Message*, const pb::FieldDescriptor*, Int) const,
                void (pb::Reflection::*add)(pb::Message*, const pb::FieldDescriptor*, Int) const) {
  Int number;
  return ParseCanonicalInteger(value, number) && Put(message, field, number, set, add);
}

// Sets one binding the way the converter would, or returns false (having
// perhaps set parent messages) when its value or field is not one of the
// common shapes.
bool SetDirectly(const Binding& binding, pb::Message& root) {
  pb::Message* message = &root;
  for (size_t i = 0; i + 1 < binding.fields.size(); ++i) {
    if (!PlainMessageField(*binding.fields[i])) return false;
    message = message->GetReflection()->MutableMessage(message, binding.fields[i]);
  }
  const pb::FieldDescriptor& leaf = *binding.fields.back();
  if (leaf.real_containing_oneof() != nullptr) return false;
  const absl::string_view value = binding.value;
  switch (leaf.cpp_type()) {
    case Cpp::CPPTYPE_INT32:
      return PutInteger(value, *message, leaf, &pb::Reflection::SetInt32,
                        &pb::Reflection::AddInt32);
    case Cpp::CPPTYPE_INT64:
      return PutInteger(value, *message, leaf, &pb::Reflection::SetInt64,
                        &pb::Reflection::AddInt64);
    case Cpp::CPPTYPE_UINT32:
      return PutInteger(value, *message, leaf, &pb::Reflection::SetUInt32,
                        &pb::Reflection::AddUInt32);
    case Cpp::CPPTYPE_UINT64:
      return PutInteger(value, *message, leaf, &pb::Reflection::SetUInt64,
                        &pb::Reflection::AddUInt64);
    case Cpp::CPPTYPE_BOOL:
      return (value == "true" || value == "false") &&
             Put(*message, leaf, value == "true", &pb::Reflection::SetBool,
                 &pb::Reflection::AddBool);
    case Cpp::CPPTYPE_ENUM: {
      // By exact name only; numbers and other spellings are the converter's.
      const pb::EnumValueDescriptor* named = leaf.enum_type()->FindValueByName(std::string(value));
      return named != nullptr && Put(*message, leaf, named->number(), &pb::Reflection::SetEnumValue,
                                     &pb::Reflection::AddEnumValue);
    }
    case Cpp::CPPTYPE_STRING: {
      // JSON-escaped and read back, valid UTF-8 is itself; bytes fields
      // take base64, which is the converter's.
      if (leaf.type() == pb::FieldDescriptor::TYPE_BYTES ||
          !pb::internal::IsStructurallyValidUTF8(value.data(), static_cast<int>(value.size()))) {
        return false;
      }
      return Put(*message, leaf, binding.value, &pb::Reflection::SetString,
                 &pb::Reflection::AddString);
    }
    case Cpp::CPPTYPE_DOUBLE:
    case Cpp::CPPTYPE_FLOAT:
    case Cpp::CPPTYPE_MESSAGE:
      return false;
  }
  return false;
}

}  // namespace

absl::Status SetBindingsThroughJson(const std::vector<Binding>& bindings,
                                    pb::util::TypeResolver* resolver, pb::Message& message) {
  const pb::util::Status parsed = ParseJson(resolver, BindingsJson(bindings), message, {});
  if (parsed.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(parsed.message().ToString());
}

absl::Status SetBindings(const std::vector<Binding>& bindings, pb::util::TypeResolver* resolver,
                         pb::Message& message) {
  for (const Binding& binding : bindings) {
    if (!SetDirectly(binding, message)) {
      message.Clear();
      return SetBindingsThroughJson(bindings, resolver, message);
    }
  }
  return absl::OkStatus();
}

}  // namespace todo::gateway::transcoding
