#pragma once

// Prints the common shape of response message (scalars, enums, strings,
// bytes, repeated fields, nested messages, Timestamp, Duration and the
// wrapper types) as JSON, byte for byte as protobuf's converter does (the one
// Envoy's transcoder prints with) but from the parsed message, without the
// converter's per-call type resolution and default-value tree: that took a
// fifth of the gateway's CPU. Anything else (maps, Any, Struct, FieldMask,
// text that is not valid UTF-8, add_whitespace, out-of-range times) it declines, and the
// caller prints with the converter. tests/gateway/fast_json_printer_test
// holds the two to the same bytes over random messages.
//
// A response is parsed into the generated message of its type when the
// binary has one compiled in (todo-gateway links the API's) whose
// descriptor is the same as the descriptor set's, field for field: protobuf's
// generated parser is several times faster than a DynamicMessage's, which
// took a third of the printer's time. Any other type parses dynamically.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"

namespace todo::gateway::transcoding {

struct PrintOptions;

class FastJsonPrinter {
 public:
  // `pool` must outlive the printer.
  FastJsonPrinter(const google::protobuf::DescriptorPool* pool, const PrintOptions& options);
  ~FastJsonPrinter();

  // nullopt: not a shape this printer handles, or bytes that do not parse.
  std::optional<std::string> Print(const google::protobuf::Descriptor& type,
                                   absl::string_view bytes) const;

  // Whether responses of `type` parse into the generated message compiled
  // into the binary (rather than a dynamic one).
  bool ParsesIntoCompiledMessage(const google::protobuf::Descriptor& type) const;

 private:
  // How a type prints, worked out once (fast_json_printer.cc); nullptr for
  // a shape not handled.
  struct FieldPlan;
  struct TypePlan;
  const TypePlan* PlanLocked(const google::protobuf::Descriptor& type) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // The message to parse a response of `type` into: the generated one when
  // it has the same shape, else a dynamic one.
  const google::protobuf::Message* PrototypeLocked(const google::protobuf::Descriptor& type) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  bool Handles(const google::protobuf::Descriptor& type,
               absl::flat_hash_map<const google::protobuf::Descriptor*, bool>& visiting) const;
  bool PrintObject(const google::protobuf::Message& message, const TypePlan& plan,
                   std::string& out) const;
  bool PrintField(const google::protobuf::Message& message, const FieldPlan& field,
                  std::string& out) const;
  bool PrintValue(const google::protobuf::Message& message, const FieldPlan& field, int index,
                  std::string& out) const;
  bool PrintScalar(const google::protobuf::Message& message,
                   const google::protobuf::FieldDescriptor& field, int index,
                   std::string& out) const;

  const bool always_print_primitive_fields_;
  const bool enums_as_ints_;
  const bool proto_names_;
  const bool declines_all_;
  mutable google::protobuf::DynamicMessageFactory factory_;
  mutable absl::Mutex mutex_;
  mutable absl::flat_hash_map<const google::protobuf::Descriptor*, std::unique_ptr<TypePlan>> plans_
      ABSL_GUARDED_BY(mutex_);
  mutable absl::flat_hash_map<const google::protobuf::Descriptor*, const google::protobuf::Message*>
      prototypes_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace todo::gateway::transcoding
