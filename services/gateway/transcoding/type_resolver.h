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

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"

namespace todo::gateway::transcoding {

// The resolver's type URLs are "<kTypeUrlPrefix>/<full name>".
inline constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

// `pool` must outlive it.
std::unique_ptr<google::protobuf::util::TypeResolver> NewCachingTypeResolver(
    const google::protobuf::DescriptorPool* pool);

// The URL under which the resolver knows `type`.
std::string TypeUrl(const google::protobuf::Descriptor& type);

// JsonStringToMessage, step for step, but with `resolver` (a caching one):
// JsonStringToMessage builds a new resolver for every call on a dynamic
// pool. With a null resolver (a RouteMatch made by hand) it is that call.
google::protobuf::util::Status ParseJson(google::protobuf::util::TypeResolver* resolver,
                                         absl::string_view json, google::protobuf::Message& message,
                                         const google::protobuf::util::JsonParseOptions& options);

}  // namespace todo::gateway::transcoding
