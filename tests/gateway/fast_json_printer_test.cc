// The fast JSON printer against protobuf's converter (what Envoy prints
// with): over random messages of every type in the API's and the vectors'
// descriptor sets, under every combination of print options, whatever the
// fast printer prints must be byte for byte what the converter prints, and
// it must not decline the API's own response types.

#include "services/gateway/transcoding/fast_json_printer.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"
#include "gtest/gtest.h"
#include "services/gateway/transcoding/response_translator.h"
#include "todo/auth/v1/auth.pb.h"
#include "todo/chat/v1/chat.pb.h"
#include "todo/tasks/v1/tasks.pb.h"

namespace todo::gateway::transcoding {
namespace {

namespace pb = google::protobuf;
using Cpp = pb::FieldDescriptor::CppType;

// A descriptor set file, and a pool built from it.
struct DescriptorSet {
  pb::FileDescriptorSet files;
  std::unique_ptr<pb::DescriptorPool> pool = std::make_unique<pb::DescriptorPool>();
};

DescriptorSet Load(const char* path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  DescriptorSet set;
  EXPECT_TRUE(set.files.ParseFromString(bytes.str())) << path;
  for (const auto& file_proto : set.files.file()) {
    EXPECT_NE(set.pool->BuildFile(file_proto), nullptr);
  }
  return set;
}

// Random field values, edge cases included.
class RandomMessages {
 public:
  explicit RandomMessages(uint32_t seed) : random_(seed) {}

  void Fill(pb::Message& message, int depth, bool ascii_only) {
    const pb::Descriptor& type = *message.GetDescriptor();
    const pb::Reflection& r = *message.GetReflection();
    const std::string& name = type.full_name();
    if (name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration") {
      const bool timestamp = name == "google.protobuf.Timestamp";
      // Edges, and any second of years 1..9999 (leap days and centuries).
      const int64_t seconds =
          Chance(0.5) ? Pick<int64_t>({0, 1, 86399, 1714557600, 253402300799, -1, -62135596800,
                                       1795446590, 951782400, 4107542399, -2203891200})
                      : std::uniform_int_distribution<int64_t>(-62135596800, 253402300799)(random_);
      int32_t nanos = Pick<int32_t>({0, 120000000, 500000, 999999999, 1, 605028000});
      if (!timestamp && seconds < 0) nanos = -nanos;
      r.SetInt64(&message, type.FindFieldByNumber(1), timestamp ? seconds : seconds % 1000000);
      r.SetInt32(&message, type.FindFieldByNumber(2), nanos);
      return;
    }
    for (int i = 0; i < type.field_count(); ++i) {
      const pb::FieldDescriptor& field = *type.field(i);
      if (Chance(0.4)) continue;
      if (field.containing_oneof() != nullptr && !field.containing_oneof()->is_synthetic() &&
          Chance(0.5)) {
        continue;
      }
      const int count = field.is_repeated() ? static_cast<int>(random_() % 4) : 1;
      for (int n = 0; n < count; ++n) SetValue(message, field, depth, ascii_only);
    }
  }

 private:
  template <typename T>
  T Pick(std::initializer_list<T> values) {
    return *(values.begin() + random_() % values.size());
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(random_) < p; }

  std::string Text(bool ascii_only) {
    std::string text;
    const int length = static_cast<int>(random_() % 12);
    for (int i = 0; i < length; ++i) {
      const int kind = static_cast<int>(random_() % 10);
      if (kind == 0) {
        text.push_back(static_cast<char>(random_() % 0x20));  // control
      } else if (kind == 1 && !ascii_only) {
        // Beyond ASCII: letters, an emoji, and characters protobuf escapes
        // (C1 control, soft hyphen, line separator, BOM, a tag character).
        static const char* const kWide[] = {"\xc3\xbc",         "\xc3\xa9",     "\xe4\xb8\xad",
                                            "\xf0\x9f\x98\x80", "\xc2\x80",     "\xc2\xad",
                                            "\xe2\x80\xa8",     "\xef\xbb\xbf", "\xf3\xa0\x80\x81",
                                            "\xf0\x9d\x85\xb3", "\xe2\x80\x8b"};
        text += kWide[random_() % (sizeof(kWide) / sizeof(kWide[0]))];
      } else {
        text.push_back(static_cast<char>(0x20 + random_() % 0x60));  // printable and DEL
      }
    }
    return text;
  }

  void SetValue(pb::Message& message, const pb::FieldDescriptor& field, int depth,
                bool ascii_only) {
    const pb::Reflection& r = *message.GetReflection();
    const bool repeated = field.is_repeated();
    switch (field.cpp_type()) {
      case Cpp::CPPTYPE_INT32: {
        const int32_t v = Pick<int32_t>({0, 1, -1, 42, std::numeric_limits<int32_t>::max(),
                                         std::numeric_limits<int32_t>::min()});
        repeated ? r.AddInt32(&message, &field, v) : r.SetInt32(&message, &field, v);
        break;
      }
      case Cpp::CPPTYPE_INT64: {
        const int64_t v =
            Pick<int64_t>({0, 1, -1, 9007199254740993, std::numeric_limits<int64_t>::min()});
        repeated ? r.AddInt64(&message, &field, v) : r.SetInt64(&message, &field, v);
        break;
      }
      case Cpp::CPPTYPE_UINT32: {
        const uint32_t v = Pick<uint32_t>({0, 1, std::numeric_limits<uint32_t>::max()});
        repeated ? r.AddUInt32(&message, &field, v) : r.SetUInt32(&message, &field, v);
        break;
      }
      case Cpp::CPPTYPE_UINT64: {
        const uint64_t v = Pick<uint64_t>({0, 1, std::numeric_limits<uint64_t>::max()});
        repeated ? r.AddUInt64(&message, &field, v) : r.SetUInt64(&message, &field, v);
        break;
      }
      case Cpp::CPPTYPE_DOUBLE: {
        const double v = Pick<double>({0, 0.1, 0.25, -0.0, 1e300, 1e-7, 3.141592653589793,
                                       std::nan(""), std::numeric_limits<double>::infinity(),
                                       -std::numeric_limits<double>::infinity()});
        repeated ? r.AddDouble(&message, &field, v) : r.SetDouble(&message, &field, v);
        break;
      }
      case Cpp::CPPTYPE_FLOAT: {
        const float v = Pick<float>({0, 0.1f, 0.25f, 1e30f, 3.14159f, std::nanf("")});
        repeated ? r.AddFloat(&message, &field, v) : r.SetFloat(&message, &field, v);
        break;
      }
      case Cpp::CPPTYPE_BOOL: {
        const bool v = Chance(0.5);
        repeated ? r.AddBool(&message, &field, v) : r.SetBool(&message, &field, v);
        break;
      }
      case Cpp::CPPTYPE_ENUM: {
        // Sometimes a number the enum does not name (proto3 keeps it).
        const int v =
            Chance(0.2)
                ? 77
                : field.enum_type()
                      ->value(static_cast<int>(random_() % field.enum_type()->value_count()))
                      ->number();
        repeated ? r.AddEnumValue(&message, &field, v) : r.SetEnumValue(&message, &field, v);
        break;
      }
      case Cpp::CPPTYPE_STRING: {
        const std::string v = Text(ascii_only || field.type() == pb::FieldDescriptor::TYPE_BYTES);
        repeated ? r.AddString(&message, &field, v) : r.SetString(&message, &field, v);
        break;
      }
      case Cpp::CPPTYPE_MESSAGE: {
        if (depth > 3) break;
        pb::Message* child =
            repeated ? r.AddMessage(&message, &field) : r.MutableMessage(&message, &field);
        Fill(*child, depth + 1, ascii_only);
        break;
      }
    }
  }

  std::mt19937 random_;
};

// Every message type of the proto3 files of `files` (nested ones too).
std::vector<const pb::Descriptor*> AllTypes(const pb::DescriptorPool& pool,
                                            const pb::FileDescriptorSet& files) {
  std::vector<const pb::Descriptor*> types;
  std::function<void(const pb::Descriptor*)> add = [&](const pb::Descriptor* type) {
    types.push_back(type);
    for (int i = 0; i < type->nested_type_count(); ++i) add(type->nested_type(i));
  };
  for (const auto& file : files.file()) {
    const pb::FileDescriptor* descriptor = pool.FindFileByName(file.name());
    // proto2 files (descriptor.proto) are the converter's alone.
    if (descriptor == nullptr || descriptor->syntax() != pb::FileDescriptor::SYNTAX_PROTO3) {
      continue;
    }
    for (int i = 0; descriptor != nullptr && i < descriptor->message_type_count(); ++i) {
      add(descriptor->message_type(i));
    }
  }
  return types;
}

void ExpectSameAsConverter(const char* descriptor_set, int messages_per_type, int* fast_printed) {
  const DescriptorSet set = Load(descriptor_set);
  const pb::DescriptorPool* const pool = set.pool.get();
  std::unique_ptr<pb::util::TypeResolver> resolver(
      pb::util::NewTypeResolverForDescriptorPool("type.googleapis.com", pool));
  pb::DynamicMessageFactory factory(pool);
  RandomMessages random(20261123);
  for (int options = 0; options < 8; ++options) {
    PrintOptions print;
    print.always_print_primitive_fields = options & 1;
    print.always_print_enums_as_ints = options & 2;
    print.preserve_proto_field_names = options & 4;
    FastJsonPrinter fast(pool, print);
    pb::util::JsonPrintOptions json;
    json.always_print_primitive_fields = print.always_print_primitive_fields;
    json.always_print_enums_as_ints = print.always_print_enums_as_ints;
    json.preserve_proto_field_names = print.preserve_proto_field_names;
    for (const pb::Descriptor* type : AllTypes(*pool, set.files)) {
      if (type->options().map_entry()) continue;
      for (int n = 0; n < messages_per_type; ++n) {
        std::unique_ptr<pb::Message> message(factory.GetPrototype(type)->New());
        random.Fill(*message, 0, /*ascii_only=*/n % 2 != 0);
        const std::string wire = message->SerializeAsString();
        std::optional<std::string> printed = fast.Print(*type, wire);
        if (!printed) continue;
        ++*fast_printed;
        std::string expected;
        const auto status = pb::util::BinaryToJsonString(
            resolver.get(), "type.googleapis.com/" + type->full_name(), wire, &expected, json);
        ASSERT_TRUE(status.ok()) << type->full_name() << " " << message->ShortDebugString()
                                 << ": converter fails but the fast printer printed " << *printed;
        ASSERT_EQ(*printed, expected) << type->full_name() << " options " << options << "\n"
                                      << message->ShortDebugString();
      }
    }
  }
}

// As in todo-gateway, the API's messages are compiled in: its types parse
// into their generated messages, the vectors' into dynamic ones.
const pb::Descriptor* const kCompiledIn[] = {todo::tasks::v1::Task::descriptor(),
                                             todo::auth::v1::User::descriptor(),
                                             todo::chat::v1::Conversation::descriptor()};

TEST(FastJsonPrinterTest, PrintsWhatTheConverterPrintsForTheApi) {
  ASSERT_NE(kCompiledIn[0], nullptr);
  int fast_printed = 0;
  ExpectSameAsConverter(TODO_API_DESCRIPTOR_SET, 60, &fast_printed);
  EXPECT_GT(fast_printed, 1000);
}

TEST(FastJsonPrinterTest, PrintsWhatTheConverterPrintsForTheVectors) {
  int fast_printed = 0;
  ExpectSameAsConverter(TODO_VECTORS_DESCRIPTOR_SET, 60, &fast_printed);
  EXPECT_GT(fast_printed, 100);
}

TEST(FastJsonPrinterTest, HandlesTheApisResponsesAndDeclinesWhatItDoesNotKnow) {
  const DescriptorSet set = Load(TODO_API_DESCRIPTOR_SET);
  const pb::DescriptorPool* const pool = set.pool.get();
  PrintOptions print;
  print.always_print_primitive_fields = true;
  print.preserve_proto_field_names = true;
  FastJsonPrinter fast(pool, print);
  pb::DynamicMessageFactory factory(pool);
  for (const char* name : {"todo.tasks.v1.Task", "todo.tasks.v1.ListTasksResponse"}) {
    const pb::Descriptor* type = pool->FindMessageTypeByName(name);
    ASSERT_NE(type, nullptr) << name;
    EXPECT_TRUE(fast.Print(*type, "").has_value()) << name;
  }
  const pb::Descriptor* task = pool->FindMessageTypeByName("todo.tasks.v1.Task");
  std::unique_ptr<pb::Message> message(factory.GetPrototype(task)->New());
  message->GetReflection()->SetString(message.get(), task->FindFieldByName("title"),
                                      "Caf\xc3\xa9 \xe2\x80\xa8");
  EXPECT_EQ(fast.Print(*task, message->SerializeAsString()).value_or(""),
            R"({"id":"0","tags":[],"etag":"","title":"Café \u2028"})");
  EXPECT_FALSE(fast.Print(*task, "\xff\xff garbage").has_value());
  print.add_whitespace = true;
  EXPECT_FALSE(FastJsonPrinter(pool, print).Print(*task, "").has_value());
  const pb::Descriptor* status = pool->FindMessageTypeByName("google.rpc.Status");
  if (status != nullptr) {
    EXPECT_FALSE(fast.Print(*status, "").has_value());  // Any inside
  }
}

TEST(FastJsonPrinterTest, ParsesIntoTheCompiledMessageOnlyWhenTheDescriptorSetSaysTheSame) {
  // A descriptor set whose Task calls field 2 "headline": the compiled Task
  // (field 2 "title") must not be used to print it.
  DescriptorSet set = Load(TODO_API_DESCRIPTOR_SET);
  bool renamed = false;
  for (pb::FileDescriptorProto& file : *set.files.mutable_file()) {
    if (file.package() != "todo.tasks.v1") continue;
    for (pb::DescriptorProto& message : *file.mutable_message_type()) {
      if (message.name() != "Task") continue;
      for (pb::FieldDescriptorProto& field : *message.mutable_field()) {
        if (field.name() == "title") {
          field.set_name("headline");
          field.clear_json_name();
          renamed = true;
        }
      }
    }
  }
  ASSERT_TRUE(renamed);
  pb::DescriptorPool changed;
  for (const auto& file : set.files.file()) ASSERT_NE(changed.BuildFile(file), nullptr);
  todo::tasks::v1::Task task;
  task.set_title("milk");
  PrintOptions print;
  print.preserve_proto_field_names = true;
  const pb::Descriptor& changed_task = *changed.FindMessageTypeByName("todo.tasks.v1.Task");
  const FastJsonPrinter changed_printer(&changed, print);
  EXPECT_EQ(changed_printer.Print(changed_task, task.SerializeAsString()),
            R"({"headline":"milk"})");
  EXPECT_FALSE(changed_printer.ParsesIntoCompiledMessage(changed_task));
  // ListTasksResponse holds a Task: it is not the same either.
  EXPECT_FALSE(changed_printer.ParsesIntoCompiledMessage(
      *changed.FindMessageTypeByName("todo.tasks.v1.ListTasksResponse")));

  // The descriptor set protoc wrote states every field's JSON name, the
  // compiled descriptor only those the .proto sets: still the same messages.
  const DescriptorSet same = Load(TODO_API_DESCRIPTOR_SET);
  const FastJsonPrinter same_printer(same.pool.get(), print);
  const pb::Descriptor& same_task = *same.pool->FindMessageTypeByName("todo.tasks.v1.Task");
  EXPECT_EQ(same_printer.Print(same_task, task.SerializeAsString()), R"({"title":"milk"})");
  for (const pb::Descriptor* compiled : kCompiledIn) {
    const pb::Descriptor* in_set = same.pool->FindMessageTypeByName(compiled->full_name());
    ASSERT_NE(in_set, nullptr) << compiled->full_name();
    EXPECT_TRUE(same_printer.ParsesIntoCompiledMessage(*in_set)) << compiled->full_name();
  }
  EXPECT_TRUE(same_printer.ParsesIntoCompiledMessage(
      *same.pool->FindMessageTypeByName("todo.tasks.v1.ListTasksResponse")));
}

}  // namespace
}  // namespace todo::gateway::transcoding
