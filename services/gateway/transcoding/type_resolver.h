#pragma once

// Protobuf's JSON converter resolves every type it meets, on every call (up
// to three times when printing: the message, its printer and its
// default-value writer each keep their own cache), and a pool's resolver
// builds each google.protobuf.Type afresh from the descriptor, options
// included; JsonStringToMessage even makes a new resolver per call. That was
// a good fifth of the gateway's CPU. A pool never changes, so this resolver
// builds each type once and copies it out after. Thread-safe.

#include <memory>
#include <string>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/type_resolver.h"

namespace todo::gateway::transcoding {

// The resolver's type URLs are "<kTypeUrlPrefix>/<full name>".
inline constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

// `pool` must outlive it.
std::unique_ptr<google::protobuf::util::TypeResolver> NewCachingTypeResolver(
    const google::protobuf::DescriptorPool* pool);

// The URL under which the resolver knows `type`.
std::string TypeUrl(const google::protobuf::Descriptor& type);

}  // namespace todo::gateway::transcoding
