#include "services/gateway/transcoding/compiled_messages.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "google/protobuf/descriptor.pb.h"

namespace todo::gateway::transcoding {
namespace {

namespace pb = google::protobuf;

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

const pb::Message* CompiledPrototype(const pb::Descriptor& type) {
  const pb::Descriptor* compiled =
      pb::DescriptorPool::generated_pool()->FindMessageTypeByName(type.full_name());
  if (compiled == nullptr) return nullptr;
  absl::flat_hash_set<std::string> checked;
  if (!SameShape(type, *compiled, checked)) return nullptr;
  return pb::MessageFactory::generated_factory()->GetPrototype(compiled);
}

}  // namespace todo::gateway::transcoding
