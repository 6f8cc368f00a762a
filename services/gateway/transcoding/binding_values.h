#pragma once

// Path and query bindings set on a request message (transcoding.md 4, 6).
//
// Envoy's transcoder, and the slow path here, renders the bindings as one
// JSON object of string values and runs protobuf's JSON converter over it,
// which applies the proto3 JSON rules of each field's type. That converter
// took most of the gateway's CPU spent building a GET's request (a new type
// resolution and object writer per call). The common bindings (ids, words,
// integers, booleans, enum names, on plain fields and messages) are set
// directly instead, to exactly the value the converter would give them;
// anything else (floating point, bytes, well-known types, oneof members,
// integers written in another form, text that is not valid UTF-8) goes
// through the converter, message and error alike.
// tests/gateway/binding_values_test holds the two paths to the same bytes.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/type_resolver.h"

namespace todo::gateway::transcoding {

struct Binding {
  // The field path from the request message; the last one takes the value.
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  std::string value;
};

// Sets `bindings` on the empty `message`, in order: a repeated field gets
// each value appended, a singular one keeps the last. INVALID_ARGUMENT with
// the converter's message ("(id): invalid value ...") for a value its field
// cannot take. `resolver` (may be null) serves the converter.
absl::Status SetBindings(const std::vector<Binding>& bindings,
                         google::protobuf::util::TypeResolver* resolver,
                         google::protobuf::Message& message);

// The slow path alone: the bindings as JSON through the converter.
absl::Status SetBindingsThroughJson(const std::vector<Binding>& bindings,
                                    google::protobuf::util::TypeResolver* resolver,
                                    google::protobuf::Message& message);

}  // namespace todo::gateway::transcoding
