#include "services/gateway/transcoding/transcoder_config.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "services/gateway/transcoding/compiled_messages.h"
#include "services/gateway/transcoding/type_resolver.h"

namespace todo::gateway::transcoding {
namespace {

namespace pb = google::protobuf;

constexpr absl::string_view kUnknownFieldPayload = "todo/unknown-field";

// Protobuf 3.21's Descriptor has no FindFieldByJsonName.
const pb::FieldDescriptor* FindByJsonName(const pb::Descriptor& message, absl::string_view name) {
  for (int i = 0; i < message.field_count(); ++i) {
    if (message.field(i)->json_name() == name) return message.field(i);
  }
  return nullptr;
}

absl::Status ConfigError(absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("transcoding_filter: ", message));
}

}  // namespace

bool IsUnknownField(const absl::Status& status) {
  return status.GetPayload(kUnknownFieldPayload).has_value();
}

absl::StatusOr<std::vector<const pb::FieldDescriptor*>> TranscoderConfig::ResolveFieldPath(
    const pb::Descriptor& message, const std::vector<std::string>& path) {
  std::vector<const pb::FieldDescriptor*> fields;
  const pb::Descriptor* current = &message;
  for (size_t i = 0; i < path.size(); ++i) {
    if (current == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("Encountered a non-leaf field \"", path[i - 1],
                       "\" that is not a message while parsing a field path"));
    }
    const pb::FieldDescriptor* field = FindByJsonName(*current, path[i]);
    if (field == nullptr) field = current->FindFieldByName(path[i]);
    if (field == nullptr) {
      absl::Status unknown = absl::InvalidArgumentError(absl::StrCat(
          "Could not find field \"", path[i], "\" in the type \"", current->full_name(), "\"."));
      unknown.SetPayload(kUnknownFieldPayload, absl::Cord());
      return unknown;
    }
    fields.push_back(field);
    current = field->message_type();
  }
  return fields;
}

absl::StatusOr<std::unique_ptr<TranscoderConfig>> TranscoderConfig::Create(
    absl::string_view descriptor_set_bytes, const RouteOptions& options) {
  pb::FileDescriptorSet set;
  if (!set.ParseFromArray(descriptor_set_bytes.data(),
                          static_cast<int>(descriptor_set_bytes.size()))) {
    return ConfigError("Unable to parse proto descriptor");
  }
  std::unique_ptr<TranscoderConfig> config(new TranscoderConfig());
  config->type_resolver_ = NewCachingTypeResolver(&config->pool_);
  for (const pb::FileDescriptorProto& file : set.file()) {
    if (config->pool_.BuildFile(file) == nullptr) {
      return ConfigError("Unable to build proto descriptor pool");
    }
  }
  PathMatcher::Builder builder;
  for (const std::string& name : options.services) {
    const pb::ServiceDescriptor* service = config->pool_.FindServiceByName(name);
    if (service == nullptr) {
      return ConfigError(absl::StrCat("Could not find '", name, "' in the proto descriptor"));
    }
    config->services_.push_back(service);
  }
  // Routes point into routes_, so reserve before registering.
  size_t bindings = 0;
  for (const pb::ServiceDescriptor* service : config->services_) {
    for (int i = 0; i < service->method_count(); ++i) {
      const pb::MethodOptions& method_options = service->method(i)->options();
      bindings += 1 + method_options.GetExtension(google::api::http).additional_bindings_size();
    }
  }
  config->routes_.reserve(bindings);
  for (const pb::ServiceDescriptor* service : config->services_) {
    for (int i = 0; i < service->method_count(); ++i) {
      if (absl::Status status =
              config->AddRoutes(*service->method(i), options.auto_mapping, builder);
          !status.ok()) {
        return status;
      }
    }
  }
  config->matcher_ = std::make_unique<PathMatcher>(std::move(builder).Build(options.path_matching));
  return config;
}

absl::Status TranscoderConfig::AddRoutes(const pb::MethodDescriptor& method, bool auto_mapping,
                                         PathMatcher::Builder& builder) {
  if (!method.options().HasExtension(google::api::http)) {
    if (!auto_mapping) return absl::OkStatus();
    return AddRoute(method, "POST",
                    absl::StrCat("/", method.service()->full_name(), "/", method.name()), "*", "",
                    builder);
  }
  const google::api::HttpRule& rule = method.options().GetExtension(google::api::http);
  std::vector<const google::api::HttpRule*> rules = {&rule};
  for (const google::api::HttpRule& extra : rule.additional_bindings()) rules.push_back(&extra);
  for (const google::api::HttpRule* binding : rules) {
    std::string http_method;
    std::string path;
    switch (binding->pattern_case()) {
      case google::api::HttpRule::kGet:
        http_method = "GET";
        path = binding->get();
        break;
      case google::api::HttpRule::kPut:
        http_method = "PUT";
        path = binding->put();
        break;
      case google::api::HttpRule::kPost:
        http_method = "POST";
        path = binding->post();
        break;
      case google::api::HttpRule::kDelete:
        http_method = "DELETE";
        path = binding->delete_();
        break;
      case google::api::HttpRule::kPatch:
        http_method = "PATCH";
        path = binding->patch();
        break;
      case google::api::HttpRule::kCustom:
        http_method = binding->custom().kind();
        path = binding->custom().path();
        break;
      default:
        continue;  // a rule with no pattern binds nothing
    }
    if (absl::Status status =
            AddRoute(method, http_method, path, binding->body(), binding->response_body(), builder);
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status TranscoderConfig::AddRoute(const pb::MethodDescriptor& method,
                                        absl::string_view http_method, absl::string_view path,
                                        absl::string_view body, absl::string_view response_body,
                                        PathMatcher::Builder& builder) {
  const std::string where = absl::StrCat("'", method.full_name(), "'");
  absl::StatusOr<HttpTemplate> parsed = HttpTemplate::Parse(path);
  if (!parsed.ok()) {
    return ConfigError(absl::StrCat("Cannot register ", where, " to path matcher"));
  }
  Route route;
  route.method = &method;
  route.grpc_path = absl::StrCat("/", method.service()->full_name(), "/", method.name());
  route.http_method = std::string(http_method);
  route.path_template = std::string(path);
  route.body = std::string(body);
  const pb::Descriptor& request = *method.input_type();
  // The compiled message when the binary has one of the same shape: it
  // serializes several times faster than a dynamic one (a fifth of a GET's
  // translation went to that).
  route.request_prototype = CompiledPrototype(request);
  if (route.request_prototype == nullptr) {
    route.request_prototype = message_factory_.GetPrototype(&request);
  }
  for (const HttpTemplate::Variable& variable : parsed->variables) {
    if (auto fields = ResolveFieldPath(request, variable.field_path); !fields.ok()) {
      return ConfigError(absl::StrCat(where, " path ", path, ": ", fields.status().message()));
    }
  }
  if (!body.empty() && body != "*") {
    auto fields = ResolveFieldPath(request, absl::StrSplit(body, '.'));
    if (!fields.ok()) {
      return ConfigError(absl::StrCat(where, " body: ", fields.status().message()));
    }
    route.body_field_path = *std::move(fields);
  }
  if (!response_body.empty()) {
    auto fields = ResolveFieldPath(*method.output_type(), absl::StrSplit(response_body, '.'));
    if (!fields.ok() || fields->back()->message_type() == nullptr ||
        fields->back()->message_type()->full_name() != "google.api.HttpBody") {
      return ConfigError(absl::StrCat(
          where, ": Setting \"response_body\" is not supported yet for non-HttpBody fields"));
    }
  }
  if (absl::Status status =
          builder.Register(http_method, *parsed, static_cast<int>(routes_.size()));
      !status.ok()) {
    return ConfigError(absl::StrCat(where, ": ", http_method, " ", path, ": ", status.message()));
  }
  routes_.push_back(std::move(route));
  return absl::OkStatus();
}

absl::StatusOr<RouteMatch> TranscoderConfig::Match(absl::string_view http_method,
                                                   absl::string_view path) const {
  absl::StatusOr<PathMatch> matched = matcher_->Lookup(http_method, path);
  if (!matched.ok()) {
    return matched.status();
  }
  RouteMatch match;
  match.route = &routes_[matched->id];
  match.type_resolver = type_resolver_.get();
  match.bindings = std::move(matched->bindings);
  return match;
}

}  // namespace todo::gateway::transcoding
