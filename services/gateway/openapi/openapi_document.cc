#include "services/gateway/openapi/openapi_document.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json/values.h"
#include "google/protobuf/util/json_util.h"
#include "services/gateway/openapi/json_schemas.h"
#include "services/gateway/transcoding/http_template.h"

namespace todo::gateway::openapi {
namespace {

namespace pb = google::protobuf;
using common::json::BoolValue;
using common::json::StringValue;
using pb::FieldDescriptor;
using pb::Struct;
using pb::Value;

// The calls that hand out a token: they need none.
const std::set<std::string>& AnonymousMethods() {
  static const auto* const methods = new std::set<std::string>{"todo.auth.v1.AuthService.SignUp",
                                                               "todo.auth.v1.AuthService.SignIn"};
  return *methods;
}

// Query parameters reach this deep into nested messages (a.b.c).
constexpr int kMaxQueryDepth = 3;

Struct& ObjectAt(Struct& parent, const std::string& key) {
  return *(*parent.mutable_fields())[key].mutable_struct_value();
}

// A path variable's parameter name: its field's own name ("id" for
// {task.id}, so /v1/tasks/{task.id} and /v1/tasks/{id} are the one path
// OpenAPI says they are), or the whole field path when two variables of the
// template would share it.
std::string ParameterName(const transcoding::HttpTemplate& parsed,
                          const transcoding::HttpTemplate::Variable& variable) {
  int sharing = 0;
  for (const auto& other : parsed.variables) {
    if (other.field_path.back() == variable.field_path.back()) ++sharing;
  }
  return sharing == 1 ? variable.field_path.back() : absl::StrJoin(variable.field_path, ".");
}

// "/v1/tasks/{id}:complete" from the parsed template; a variable spanning
// segments ({name=shelves/*}) is one parameter.
std::string OpenApiPath(const transcoding::HttpTemplate& parsed) {
  std::string path;
  for (int i = 0; i < static_cast<int>(parsed.segments.size()); ++i) {
    const transcoding::HttpTemplate::Variable* variable = nullptr;
    for (const auto& candidate : parsed.variables) {
      if (i >= candidate.start_segment && i < candidate.end_segment) variable = &candidate;
    }
    if (variable == nullptr) {
      absl::StrAppend(&path, "/", parsed.segments[i]);
    } else if (i == variable->start_segment) {
      absl::StrAppend(&path, "/{", ParameterName(parsed, *variable), "}");
    }
  }
  if (path.empty()) path = "/";
  if (!parsed.verb.empty()) absl::StrAppend(&path, ":", parsed.verb);
  return path;
}

bool IsScalarLike(const FieldDescriptor& field) {
  if (field.type() != FieldDescriptor::TYPE_MESSAGE) return true;
  const std::string& name = field.message_type()->full_name();
  return name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration" ||
         name == "google.protobuf.FieldMask" ||
         (absl::StartsWith(name, "google.protobuf.") && absl::EndsWith(name, "Value") &&
          name != "google.protobuf.Value" && name != "google.protobuf.ListValue");
}

class DocumentBuilder {
 public:
  explicit DocumentBuilder(const OpenApiOptions& options)
      : options_(options), schemas_(options.print) {}

  void AddRoute(const transcoding::Route& route, int binding);
  std::string Finish();

 private:
  // Query parameters for the fields of `message` under `prefix` that the
  // path and body do not take.
  // `taken` holds proto field paths ("task.id"); parameters are named as
  // the JSON printer names fields.
  void AddQueryParameters(const pb::Descriptor& message, const std::string& json_prefix,
                          const std::string& proto_prefix, int depth,
                          const std::set<std::string>& taken, pb::ListValue& parameters);
  Value Parameter(const std::string& name, absl::string_view in, Value schema, bool required,
                  const std::string& description);

  const OpenApiOptions& options_;
  JsonSchemas schemas_;
  Struct paths_;
  std::set<std::string> tags_;
};

Value DocumentBuilder::Parameter(const std::string& name, absl::string_view in, Value schema,
                                 bool required, const std::string& description) {
  Value parameter;
  auto& fields = *parameter.mutable_struct_value()->mutable_fields();
  fields["name"] = StringValue(name);
  fields["in"] = StringValue(in);
  fields["required"] = BoolValue(required);
  fields["schema"] = std::move(schema);
  if (!description.empty()) fields["description"] = StringValue(description);
  return parameter;
}

void DocumentBuilder::AddQueryParameters(const pb::Descriptor& message,
                                         const std::string& json_prefix,
                                         const std::string& proto_prefix, int depth,
                                         const std::set<std::string>& taken,
                                         pb::ListValue& parameters) {
  for (int i = 0; i < message.field_count(); ++i) {
    const FieldDescriptor& field = *message.field(i);
    const std::string name = json_prefix + schemas_.JsonName(field);
    const std::string proto_path = proto_prefix + field.name();
    if (taken.count(proto_path) > 0 || field.is_map()) continue;
    if (IsScalarLike(field)) {
      *parameters.add_values() =
          Parameter(name, "query", schemas_.FieldSchema(field), false, CommentOf(field));
    } else if (!field.is_repeated() && depth < kMaxQueryDepth) {
      AddQueryParameters(*field.message_type(), name + ".", proto_path + ".", depth + 1, taken,
                         parameters);
    }
  }
}

void DocumentBuilder::AddRoute(const transcoding::Route& route, int binding) {
  const pb::MethodDescriptor& method = *route.method;
  absl::StatusOr<transcoding::HttpTemplate> parsed =
      transcoding::HttpTemplate::Parse(route.path_template);
  if (!parsed.ok()) return;  // the config refused such templates already
  Value operation;
  auto& fields = *operation.mutable_struct_value()->mutable_fields();
  const std::string comment = CommentOf(method);
  fields["operationId"] =
      StringValue(absl::StrCat(method.service()->name(), "_", method.name(),
                               binding > 0 ? absl::StrCat("_", binding + 1) : ""));
  fields["summary"] =
      StringValue(comment.empty() ? method.name() : comment.substr(0, comment.find('\n')));
  if (!comment.empty()) fields["description"] = StringValue(comment);
  fields["tags"].mutable_list_value()->add_values()->set_string_value(method.service()->name());
  tags_.insert(method.service()->name());
  if (AnonymousMethods().count(method.full_name()) > 0) {
    fields["security"].mutable_list_value();  // none needed
  }

  // Parameters: the path's variables, then what the body leaves to the query.
  pb::ListValue& parameters = *fields["parameters"].mutable_list_value();
  std::set<std::string> taken;
  for (const auto& variable : parsed->variables) {
    const std::string name = ParameterName(*parsed, variable);
    taken.insert(absl::StrJoin(variable.field_path, "."));
    auto resolved =
        transcoding::TranscoderConfig::ResolveFieldPath(*method.input_type(), variable.field_path);
    Value schema = resolved.ok() && !resolved->empty() ? schemas_.FieldSchema(*resolved->back())
                                                       : StringValue("string");
    *parameters.add_values() =
        Parameter(name, "path", std::move(schema), true,
                  resolved.ok() && !resolved->empty() ? CommentOf(*resolved->back()) : "");
  }
  if (route.body != "*") {
    if (!route.body.empty()) taken.insert(route.body);
    AddQueryParameters(*method.input_type(), "", "", 0, taken, parameters);
  }
  if (parameters.values().empty()) fields.erase("parameters");

  if (!route.body.empty()) {
    Value schema = route.body == "*" ? schemas_.MessageSchema(*method.input_type())
                                     : schemas_.FieldSchema(*route.body_field_path.back());
    Struct& body = ObjectAt(*operation.mutable_struct_value(), "requestBody");
    (*body.mutable_fields())["required"] = BoolValue(true);
    (*ObjectAt(ObjectAt(body, "content"), "application/json").mutable_fields())["schema"] =
        std::move(schema);
  }

  Struct& responses = ObjectAt(*operation.mutable_struct_value(), "responses");
  Struct& ok = ObjectAt(responses, "200");
  Struct& content = ObjectAt(ok, "content");
  if (method.server_streaming()) {
    (*ok.mutable_fields())["description"] = StringValue(
        "A stream of messages: a JSON array, or server-sent events (one message per "
        "`data:` line) when the request accepts text/event-stream");
    Value array;
    auto& array_fields = *array.mutable_struct_value()->mutable_fields();
    array_fields["type"] = StringValue("array");
    array_fields["items"] = schemas_.MessageSchema(*method.output_type());
    (*ObjectAt(content, "application/json").mutable_fields())["schema"] = std::move(array);
    Value events;
    (*events.mutable_struct_value()->mutable_fields())["type"] = StringValue("string");
    (*ObjectAt(content, "text/event-stream").mutable_fields())["schema"] = std::move(events);
  } else {
    (*ok.mutable_fields())["description"] = StringValue("OK");
    (*ObjectAt(content, "application/json").mutable_fields())["schema"] =
        schemas_.MessageSchema(*method.output_type());
  }
  Struct& error = ObjectAt(responses, "default");
  (*error.mutable_fields())["description"] =
      StringValue("An error: the gRPC status as JSON, with the HTTP status of its code");
  (*ObjectAt(ObjectAt(error, "content"), "application/json").mutable_fields())["schema"] =
      SchemaRef("Error");

  (*ObjectAt(paths_, OpenApiPath(*parsed))
        .mutable_fields())[absl::AsciiStrToLower(route.http_method)] = std::move(operation);
}

std::string DocumentBuilder::Finish() {
  Value document;
  Struct& root = *document.mutable_struct_value();
  (*root.mutable_fields())["openapi"] = StringValue("3.1.0");
  Struct& info = ObjectAt(root, "info");
  (*info.mutable_fields())["title"] = StringValue("todo-grpc API");
  (*info.mutable_fields())["version"] = StringValue(options_.version);
  (*info.mutable_fields())["description"] = StringValue(
      "Tasks, accounts and the assistant of todo-grpc, as REST+JSON through the gateway "
      "(generated from the gRPC services' google.api.http rules). Send the access token "
      "of sign-up or sign-in as `Authorization: Bearer <token>`.");
  Value server;
  (*server.mutable_struct_value()->mutable_fields())["url"] = StringValue("/");
  *(*root.mutable_fields())["servers"].mutable_list_value()->add_values() = std::move(server);
  for (const std::string& tag : tags_) {
    Value entry;
    (*entry.mutable_struct_value()->mutable_fields())["name"] = StringValue(tag);
    *(*root.mutable_fields())["tags"].mutable_list_value()->add_values() = std::move(entry);
  }
  (*root.mutable_fields())["paths"].mutable_struct_value()->Swap(&paths_);
  Value bearer_requirement;
  (*bearer_requirement.mutable_struct_value()->mutable_fields())["bearer"].mutable_list_value();
  *(*root.mutable_fields())["security"].mutable_list_value()->add_values() =
      std::move(bearer_requirement);

  Struct& components = ObjectAt(root, "components");
  Struct& bearer = ObjectAt(ObjectAt(components, "securitySchemes"), "bearer");
  (*bearer.mutable_fields())["type"] = StringValue("http");
  (*bearer.mutable_fields())["scheme"] = StringValue("bearer");
  (*bearer.mutable_fields())["bearerFormat"] = StringValue("JWT");
  Struct& schemas = ObjectAt(components, "schemas");
  for (const auto& [name, schema] : schemas_.components())
    (*schemas.mutable_fields())[name] = schema;
  // api.md's error body: google.rpc.Status as JSON.
  Value error;
  (void)pb::util::JsonStringToMessage(
      R"({"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "integer", "description": "the gRPC status code"},
            "message": {"type": "string"},
            "details": {"type": "array", "items": {"type": "object"}}}})",
      &error);
  (*schemas.mutable_fields())["Error"] = std::move(error);

  std::string json;
  (void)pb::util::MessageToJsonString(document, &json);
  return json;
}

}  // namespace

std::string OpenApiDocument(const transcoding::TranscoderConfig& config,
                            const OpenApiOptions& options) {
  DocumentBuilder builder(options);
  std::map<const pb::MethodDescriptor*, int> bindings;
  for (const transcoding::Route& route : config.routes()) {
    builder.AddRoute(route, bindings[route.method]++);
  }
  return builder.Finish();
}

}  // namespace todo::gateway::openapi
