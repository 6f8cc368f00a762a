// Bindings set directly against bindings set through protobuf's JSON
// converter (what Envoy's transcoder does): for every scalar field reachable
// from the request types of the API's and the vectors' descriptor sets, and
// of a test type holding every scalar kind, every oneof shape and proto3
// optional fields, over values chosen to sit on each rule's edges, alone and
// in random groups, the two must give the same message bytes, or the same
// error.

#include "services/gateway/transcoding/binding_values.h"

#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "services/gateway/transcoding/type_resolver.h"

namespace todo::gateway::transcoding {
namespace {

namespace pb = google::protobuf;

// Every scalar kind, singular, repeated, optional and in a oneof, and a
// nested message.
constexpr char kScalarsProto[] = R"pb(
  name: "scalars.proto"
  package: "bindings.test"
  syntax: "proto3"
  enum_type {
    name: "Color"
    value { name: "COLOR_UNSPECIFIED" number: 0 }
    value { name: "RED" number: 1 }
    value { name: "green" number: 2 }
  }
  message_type {
    name: "Inner"
    field { name: "n" number: 1 type: TYPE_INT32 label: LABEL_OPTIONAL }
    field { name: "s" number: 2 type: TYPE_STRING label: LABEL_OPTIONAL }
  }
  message_type {
    name: "Scalars"
    field { name: "i32" number: 1 type: TYPE_INT32 label: LABEL_OPTIONAL }
    field { name: "i64" number: 2 type: TYPE_INT64 label: LABEL_OPTIONAL }
    field { name: "u32" number: 3 type: TYPE_UINT32 label: LABEL_OPTIONAL }
    field { name: "u64" number: 4 type: TYPE_UINT64 label: LABEL_OPTIONAL }
    field { name: "s32" number: 5 type: TYPE_SINT32 label: LABEL_OPTIONAL }
    field { name: "s64" number: 6 type: TYPE_SINT64 label: LABEL_OPTIONAL }
    field { name: "f32" number: 7 type: TYPE_FIXED32 label: LABEL_OPTIONAL }
    field { name: "f64" number: 8 type: TYPE_FIXED64 label: LABEL_OPTIONAL }
    field { name: "sf32" number: 9 type: TYPE_SFIXED32 label: LABEL_OPTIONAL }
    field { name: "sf64" number: 10 type: TYPE_SFIXED64 label: LABEL_OPTIONAL }
    field { name: "flag" number: 11 type: TYPE_BOOL label: LABEL_OPTIONAL }
    field { name: "text" number: 12 type: TYPE_STRING label: LABEL_OPTIONAL }
    field { name: "blob" number: 13 type: TYPE_BYTES label: LABEL_OPTIONAL }
    field { name: "real" number: 14 type: TYPE_DOUBLE label: LABEL_OPTIONAL }
    field { name: "ratio" number: 15 type: TYPE_FLOAT label: LABEL_OPTIONAL }
    field {
      name: "color"
      number: 16
      type: TYPE_ENUM
      type_name: ".bindings.test.Color"
      label: LABEL_OPTIONAL
    }
    field { name: "many_i64" number: 17 type: TYPE_INT64 label: LABEL_REPEATED }
    field { name: "many_text" number: 18 type: TYPE_STRING label: LABEL_REPEATED }
    field {
      name: "many_colors"
      number: 19
      type: TYPE_ENUM
      type_name: ".bindings.test.Color"
      label: LABEL_REPEATED
    }
    field {
      name: "inner"
      number: 23
      type: TYPE_MESSAGE
      type_name: ".bindings.test.Inner"
      label: LABEL_OPTIONAL
    }
    field { name: "choice_a" number: 21 type: TYPE_INT64 label: LABEL_OPTIONAL oneof_index: 0 }
    field { name: "choice_b" number: 22 type: TYPE_STRING label: LABEL_OPTIONAL oneof_index: 0 }
    field {
      name: "inner_choice"
      number: 24
      type: TYPE_MESSAGE
      type_name: ".bindings.test.Inner"
      label: LABEL_OPTIONAL
      oneof_index: 0
    }
    field {
      name: "maybe_i32"
      number: 20
      type: TYPE_INT32
      label: LABEL_OPTIONAL
      oneof_index: 1
      proto3_optional: true
    }
    oneof_decl { name: "choice" }
    oneof_decl { name: "_maybe_i32" }
  }
)pb";

// Values on the edges of each rule the direct path applies or declines.
const std::vector<std::string>& Values() {
  static const auto* values = new std::vector<std::string>{"0",
                                                           "-0",
                                                           "1",
                                                           "-1",
                                                           "007",
                                                           "+1",
                                                           " 1",
                                                           "1 ",
                                                           "",
                                                           "2147483647",
                                                           "2147483648",
                                                           "-2147483648",
                                                           "-2147483649",
                                                           "4294967295",
                                                           "4294967296",
                                                           "9223372036854775807",
                                                           "9223372036854775808",
                                                           "-9223372036854775808",
                                                           "-9223372036854775809",
                                                           "18446744073709551615",
                                                           "18446744073709551616",
                                                           "123456789012345678901",
                                                           "1e3",
                                                           "1.0",
                                                           "1.5",
                                                           "0x10",
                                                           "true",
                                                           "false",
                                                           "True",
                                                           "FALSE",
                                                           "t",
                                                           "abc",
                                                           "h\xc3\xa9llo",
                                                           "\xe2\x80\xa8",
                                                           "\xff",
                                                           "a\xc3",
                                                           "\xed\xa0\x80",
                                                           "a\"b\\c\n\t\x01",
                                                           "RED",
                                                           "red",
                                                           "green",
                                                           "GREEN",
                                                           "2",
                                                           "7",
                                                           "COLOR_UNSPECIFIED",
                                                           "PRIORITY_HIGH",
                                                           "NaN",
                                                           "Infinity",
                                                           "-Infinity",
                                                           "2024-01-01T00:00:00Z",
                                                           "1.5s",
                                                           "YWJj",
                                                           "YWJj=",
                                                           "a,b",
                                                           "title,done",
                                                           "null",
                                                           "{}",
                                                           "[]"};
  return *values;
}

// Every field path from `type` to a non-message field or a message field,
// through plain messages, up to `depth` fields long.
void Paths(const pb::Descriptor& type, int depth, std::vector<const pb::FieldDescriptor*>& prefix,
           std::vector<std::vector<const pb::FieldDescriptor*>>& out) {
  for (int i = 0; i < type.field_count(); ++i) {
    const pb::FieldDescriptor* field = type.field(i);
    if (field->is_map()) continue;
    prefix.push_back(field);
    out.push_back(prefix);
    if (field->message_type() != nullptr && !field->is_repeated() && depth > 1) {
      Paths(*field->message_type(), depth - 1, prefix, out);
    }
    prefix.pop_back();
  }
}

class BindingValuesTest : public ::testing::Test {
 protected:
  void AddDescriptorSet(const char* path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream bytes;
    bytes << file.rdbuf();
    pb::FileDescriptorSet set;
    ASSERT_TRUE(set.ParseFromString(bytes.str())) << path;
    auto pool = std::make_unique<pb::DescriptorPool>();
    for (const auto& file_proto : set.file()) ASSERT_NE(pool->BuildFile(file_proto), nullptr);
    pools_.push_back(std::move(pool));
  }
  void AddScalarsProto() {
    pb::FileDescriptorSet set;
    ASSERT_TRUE(pb::TextFormat::ParseFromString(absl::StrCat("file {", kScalarsProto, "}"), &set));
    auto pool = std::make_unique<pb::DescriptorPool>();
    ASSERT_NE(pool->BuildFile(set.file(0)), nullptr);
    pools_.push_back(std::move(pool));
  }

  // Both paths over `bindings`: the same status and the same bytes.
  void ExpectSame(const pb::Descriptor& type, const std::vector<Binding>& bindings,
                  pb::util::TypeResolver* resolver) {
    const pb::Message* prototype = factory_.GetPrototype(&type);
    std::unique_ptr<pb::Message> direct(prototype->New()), json(prototype->New());
    const absl::Status direct_status = SetBindings(bindings, resolver, *direct);
    const absl::Status json_status = SetBindingsThroughJson(bindings, resolver, *json);
    std::string said;
    for (const Binding& binding : bindings) {
      absl::StrAppend(&said, binding.fields.back()->full_name(), "=\"",
                      absl::CEscape(binding.value), "\" ");
    }
    ASSERT_EQ(direct_status, json_status) << said;
    if (direct_status.ok()) {
      ASSERT_EQ(direct->SerializeAsString(), json->SerializeAsString()) << said;
    }
    ++compared_;
  }

  void CompareAll(const pb::DescriptorPool& pool, const pb::Descriptor& type) {
    const auto resolver = NewCachingTypeResolver(&pool);
    std::vector<std::vector<const pb::FieldDescriptor*>> paths;
    std::vector<const pb::FieldDescriptor*> prefix;
    Paths(type, 3, prefix, paths);
    std::vector<std::string> values = Values();
    for (const auto& path : paths) {
      if (const pb::EnumDescriptor* kind = path.back()->enum_type()) {
        for (int i = 0; i < kind->value_count(); ++i) values.push_back(kind->value(i)->name());
      }
    }
    for (const auto& path : paths) {
      for (const std::string& value : values) ExpectSame(type, {{path, value}}, resolver.get());
    }
    // Groups: the same field twice, repeated fields, siblings in a message,
    // oneof members together, one bad value among good ones.
    std::mt19937 random(20);
    for (int round = 0; round < 300 && !paths.empty(); ++round) {
      std::vector<Binding> group;
      const int size = 2 + static_cast<int>(random() % 4);
      for (int i = 0; i < size; ++i) {
        group.push_back({paths[random() % paths.size()], values[random() % values.size()]});
      }
      ExpectSame(type, group, resolver.get());
    }
  }

  std::vector<std::unique_ptr<pb::DescriptorPool>> pools_;
  pb::DynamicMessageFactory factory_;
  int compared_ = 0;
};

TEST_F(BindingValuesTest, SameBytesOrErrorAsTheConverterOnEveryScalarKind) {
  AddScalarsProto();
  CompareAll(*pools_[0], *pools_[0]->FindMessageTypeByName("bindings.test.Scalars"));
  EXPECT_GT(compared_, 1000);
}

TEST_F(BindingValuesTest, SameBytesOrErrorAsTheConverterOnEveryRequestType) {
  AddDescriptorSet(TODO_VECTORS_DESCRIPTOR_SET);
  AddDescriptorSet(TODO_API_DESCRIPTOR_SET);
  for (const auto& pool : pools_) {
    for (const char* service : {"todo.tasks.v1.TasksService", "todo.auth.v1.AuthService",
                                "todo.chat.v1.ChatService", "vt.v1.TaskService"}) {
      const pb::ServiceDescriptor* found = pool->FindServiceByName(service);
      if (found == nullptr) continue;
      for (int i = 0; i < found->method_count(); ++i) {
        CompareAll(*pool, *found->method(i)->input_type());
      }
    }
  }
  EXPECT_GT(compared_, 10000);
}

TEST_F(BindingValuesTest, ConverterMessageForAValueItsFieldCannotTake) {
  AddScalarsProto();
  const pb::Descriptor& type = *pools_[0]->FindMessageTypeByName("bindings.test.Scalars");
  const auto resolver = NewCachingTypeResolver(pools_[0].get());
  std::unique_ptr<pb::Message> message(factory_.GetPrototype(&type)->New());
  const absl::Status status =
      SetBindings({{{type.FindFieldByName("i32")}, "abc"}}, resolver.get(), *message);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("i32"), absl::string_view::npos) << status;
}

}  // namespace
}  // namespace todo::gateway::transcoding
