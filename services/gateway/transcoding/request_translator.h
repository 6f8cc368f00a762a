#pragma once

// Builds the gRPC request message of a matched route from the HTTP request,
// as Envoy's transcoder does (transcoding.md 4, 5, 6, 16.3):
//   - path variables, then query parameters, rendered as JSON string values
//     of their fields (the protobuf converter then applies the proto3 JSON
//     rules to them: numbers, enums, timestamps, field masks, wrappers...);
//   - the body (the whole message for `body: "*"` or no body rule, else the
//     named field), with the converter's leniencies; an empty body is {};
//   - a body value wins over a binding of the same singular field; repeated
//     binding values are appended after the body's; a singular field bound
//     twice keeps the last value.
// The result is the serialized message, ready to be framed.
//
// Errors (the gateway answers 400 text/plain with the message):
// INVALID_ARGUMENT "Could not find field \"x\" in the type \"T\"." for an
// unknown query name (unless ignored), "<field>: invalid value ..." for a
// value of the wrong type, and the JSON parser's message for a bad body.

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "services/gateway/transcoding/transcoder_config.h"

namespace todo::gateway::transcoding {

struct RequestTranslatorOptions {
  bool query_param_unescape_plus = false;
  // Unknown query names are skipped instead of refused.
  bool ignore_unknown_query_parameters = false;
  // Names (exact, before decoding) dropped before lookup.
  absl::flat_hash_set<std::string> ignored_query_parameters;
  bool case_insensitive_enum_parsing = false;
  // A binding that disagrees with the body's value for the same field is
  // refused instead of dropped.
  bool reject_binding_body_field_collisions = false;
};

absl::StatusOr<std::string> TranslateRequest(const RouteMatch& match, absl::string_view query,
                                             absl::string_view body,
                                             const RequestTranslatorOptions& options);

}  // namespace todo::gateway::transcoding
