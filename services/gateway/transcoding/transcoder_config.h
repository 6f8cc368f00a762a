#pragma once

// The gateway's immutable route table, built once at start-up from a
// serialized FileDescriptorSet, as Envoy's JsonTranscoderConfig is
// (transcoding.md 1): every google.api.http rule of the listed services,
// additional_bindings included, registered in a PathMatcher; with
// auto_mapping, methods without a rule answer POST /<package>.<Service>/<Method>.
//
// Start-up refuses (INVALID_ARGUMENT, Envoy's messages where Envoy has one):
// an unparseable set, one whose imports are missing, a listed service that is
// absent, a template that does not parse, a `body` or path variable naming no
// field (Envoy only fails such requests at run time; we refuse at start),
// a non-HttpBody `response_body`, and two rules with the same method and path.
// Thread-safe after Create: only const methods.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/type_resolver.h"
#include "services/gateway/transcoding/path_matcher.h"

namespace todo::gateway::transcoding {

struct RouteOptions {
  // Fully-qualified service names; empty means transcoding is off.
  std::vector<std::string> services;
  bool auto_mapping = false;
  PathMatcherOptions path_matching;
};

// One HTTP binding of a method.
struct Route {
  const google::protobuf::MethodDescriptor* method = nullptr;
  // "/<service>/<method>", the gRPC call's path.
  std::string grpc_path;
  std::string http_method;
  std::string path_template;
  // "" (no body), "*" (the whole request) or a field path.
  std::string body;
  std::vector<const google::protobuf::FieldDescriptor*> body_field_path;
  // The empty request message to build each call's from: the compiled one
  // when the binary has it in the same shape (compiled_messages.h), else a
  // dynamic one owned by the config; made once, as making one costs more
  // than the call's parsing.
  const google::protobuf::Message* request_prototype = nullptr;
};

struct RouteMatch {
  const Route* route = nullptr;
  std::vector<VariableBinding> bindings;
  // Resolves the pool's types for JSON parsing (cached; owned by the config).
  google::protobuf::util::TypeResolver* type_resolver = nullptr;
};

// True for ResolveFieldPath's unknown-name error (the gateway passes such a
// query through or refuses it, as Envoy's options say).
bool IsUnknownField(const absl::Status& status);

class TranscoderConfig {
 public:
  static absl::StatusOr<std::unique_ptr<TranscoderConfig>> Create(
      absl::string_view descriptor_set_bytes, const RouteOptions& options);

  // NOT_FOUND "Could not resolve <path> to a method." (path without query).
  absl::StatusOr<RouteMatch> Match(absl::string_view http_method, absl::string_view path) const;

  const google::protobuf::DescriptorPool& pool() const { return pool_; }
  const std::vector<Route>& routes() const { return routes_; }
  bool enabled() const { return !services_.empty(); }

  // Resolves a dotted field path in `message` by JSON or proto names
  // (transcoding.md 6.1). INVALID_ARGUMENT "Could not find field \"<name>\"
  // in the type \"<Type>\"." for an unknown name, which IsUnknownField
  // recognises.
  static absl::StatusOr<std::vector<const google::protobuf::FieldDescriptor*>> ResolveFieldPath(
      const google::protobuf::Descriptor& message, const std::vector<std::string>& path);

 private:
  TranscoderConfig() = default;
  absl::Status AddRoutes(const google::protobuf::MethodDescriptor& method, bool auto_mapping,
                         PathMatcher::Builder& builder);
  absl::Status AddRoute(const google::protobuf::MethodDescriptor& method,
                        absl::string_view http_method, absl::string_view path,
                        absl::string_view body, absl::string_view response_body,
                        PathMatcher::Builder& builder);

  google::protobuf::DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory message_factory_;
  std::unique_ptr<google::protobuf::util::TypeResolver> type_resolver_;
  std::vector<const google::protobuf::ServiceDescriptor*> services_;
  std::vector<Route> routes_;
  std::unique_ptr<PathMatcher> matcher_;
};

}  // namespace todo::gateway::transcoding
