#pragma once

// The messages compiled into the binary (todo-gateway links the API's) that
// stand for types of the descriptor set. Protobuf's generated code parses,
// serializes and reflects several times faster than a DynamicMessage, so
// the transcoder works on them wherever a type of the set has the same
// shape as its compiled namesake.

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace todo::gateway::transcoding {

// The compiled prototype of `type`'s full name when it describes the same
// message as `type`, field for field (names, JSON names, numbers, types,
// options, syntax) and so, recursively, every message and enum it uses;
// nullptr when the binary has none or its shape differs (a descriptor set
// of another version of the API).
const google::protobuf::Message* CompiledPrototype(const google::protobuf::Descriptor& type);

}  // namespace todo::gateway::transcoding
