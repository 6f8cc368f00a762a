#include "services/gateway/mcp/mcp_endpoint.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/json/values.h"
#include "todo/chat/v1/chat.pb.h"

#ifndef TODO_VERSION
#define TODO_VERSION "0"
#endif

namespace todo::gateway::mcp {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
namespace chat = ::todo::chat::v1;
using common::json::BoolValue;
using common::json::ObjectValue;
using common::json::StringValue;

constexpr absl::string_view kMcpPath = "/mcp";
constexpr absl::string_view kMetadataPath = "/.well-known/oauth-protected-resource";
constexpr char kChatService[] = "todo.chat.v1.ChatService";

bool Supported(absl::string_view version) {
  for (absl::string_view known : kProtocolVersions) {
    if (version == known) return true;
  }
  return false;
}

enum class Framing { kJson, kEventStream };

// How the client takes answers; nullopt when it takes neither (406).
std::optional<Framing> FramingFor(const std::string* accept) {
  if (accept == nullptr) return Framing::kJson;
  const std::string wanted = absl::AsciiStrToLower(*accept);
  if (absl::StrContains(wanted, "application/json") || absl::StrContains(wanted, "*/*") ||
      absl::StrContains(wanted, "application/*")) {
    return Framing::kJson;
  }
  if (absl::StrContains(wanted, "text/event-stream")) return Framing::kEventStream;
  return std::nullopt;
}

// A refusal of the HTTP exchange itself, in the error body of api.md.
HttpResponse Refusal(int status, int grpc_code, absl::string_view message) {
  Value body;
  auto& fields = *body.mutable_struct_value()->mutable_fields();
  fields["code"].set_number_value(grpc_code);
  fields["message"].set_string_value(std::string(message));
  return Json(status, ToJson(body));
}

Value InitializeResult(absl::string_view version) {
  Value result;
  auto& fields = *result.mutable_struct_value()->mutable_fields();
  fields["protocolVersion"] = StringValue(version);
  (*(*fields["capabilities"].mutable_struct_value()->mutable_fields())["tools"]
        .mutable_struct_value()
        ->mutable_fields())["listChanged"] = BoolValue(false);
  auto& server = *fields["serverInfo"].mutable_struct_value()->mutable_fields();
  server["name"] = StringValue("todo-grpc");
  server["title"] = StringValue("Todo tasks");
  server["version"] = StringValue(TODO_VERSION);
  fields["instructions"] = StringValue(
      "The signed-in user's todo list. Find a task's id with list_tasks (search by words of "
      "its title) before completing, reopening, updating or deleting it. Dates are RFC 3339 "
      "with the user's offset.");
  return result;
}

Value ToolsResult(const chat::ListToolsResponse& listed) {
  Value result;
  auto& tools = *(*result.mutable_struct_value()->mutable_fields())["tools"].mutable_list_value();
  for (const chat::Tool& tool : listed.tools()) {
    auto& fields = *tools.add_values()->mutable_struct_value()->mutable_fields();
    fields["name"] = StringValue(tool.name());
    fields["title"] = StringValue(tool.title());
    fields["description"] = StringValue(tool.description());
    fields["inputSchema"] = ObjectValue(tool.input_schema());
    fields["outputSchema"] = ObjectValue(tool.output_schema());
    auto& annotations = *fields["annotations"].mutable_struct_value()->mutable_fields();
    annotations["title"] = StringValue(tool.title());
    annotations["readOnlyHint"] = BoolValue(tool.read_only());
    annotations["destructiveHint"] = BoolValue(tool.destructive());
    annotations["idempotentHint"] = BoolValue(tool.idempotent());
    // Only the user's own todo list: no outside world.
    annotations["openWorldHint"] = BoolValue(false);
  }
  return result;
}

// A tool's answer: its structured result and, as the spec advises for
// clients that read only text, the same JSON as text; a failure as text
// with isError.
Value ToolCallResult(const Struct& structured, bool is_error, absl::string_view error) {
  Value result;
  auto& fields = *result.mutable_struct_value()->mutable_fields();
  auto& text = *fields["content"].mutable_list_value()->add_values()->mutable_struct_value();
  (*text.mutable_fields())["type"] = StringValue("text");
  (*text.mutable_fields())["text"] =
      StringValue(is_error ? error : ToJson(ObjectValue(structured)));
  if (!is_error) fields["structuredContent"] = ObjectValue(structured);
  fields["isError"] = BoolValue(is_error);
  return result;
}

// 401 with the bearer challenge of RFC 9728 section 5.1: where the client
// learns how to get a token.
HttpResponse Challenge(absl::string_view base_url, absl::string_view why, bool invalid_token) {
  HttpResponse response = Refusal(401, 16, why);
  std::string challenge =
      absl::StrCat("Bearer resource_metadata=\"", base_url, kMetadataPath, "\"");
  if (invalid_token) absl::StrAppend(&challenge, ", error=\"invalid_token\"");
  response.headers.emplace_back("www-authenticate", std::move(challenge));
  return response;
}

// A header value that can name this host in a URL, or "".
std::string SafeHost(const std::string* host) {
  if (host == nullptr || host->empty() || host->size() > 255) return "";
  for (char c : *host) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']') {
      return "";
    }
  }
  return *host;
}

}  // namespace

// One POST being answered.
struct McpEndpoint::Exchange {
  Framing framing = Framing::kJson;
  Value id;
  // Sent back as MCP-Protocol-Version.
  std::string protocol_version;
  std::string base_url;
  common::rpc::Metadata metadata;
  std::function<void(HttpResponse)> reply;

  void Answer(int status, const std::string& json) {
    HttpResponse response;
    response.status = status;
    if (framing == Framing::kEventStream) {
      response.headers = {{"content-type", "text/event-stream"}};
      response.body = absl::StrCat("event: message\ndata: ", json, "\n\n");
    } else {
      response = Json(status, json);
    }
    if (!protocol_version.empty()) {
      response.headers.emplace_back("mcp-protocol-version", protocol_version);
    }
    reply(std::move(response));
  }
  void Result(const Value& result) { Answer(200, ResultJson(id, result)); }
  void Error(int code, std::string message, int status = 200) {
    Answer(status, ErrorJson(id, {code, std::move(message)}));
  }
};

McpEndpoint::McpEndpoint(Upstreams* upstreams, McpOptions options)
    : upstreams_(upstreams), options_(std::move(options)) {}

bool McpEndpoint::Serves(absl::string_view path) {
  return path == kMcpPath || path == kMetadataPath || path == absl::StrCat(kMetadataPath, kMcpPath);
}

std::string McpEndpoint::BaseUrl(const HttpRequest& request) const {
  if (!options_.public_url.empty()) {
    return std::string(absl::StripSuffix(options_.public_url, "/"));
  }
  const std::string host = SafeHost(request.Header("host"));
  return absl::StrCat("http://", host.empty() ? "localhost" : host);
}

void McpEndpoint::Handle(const HttpRequest& request, common::rpc::Metadata metadata,
                         std::function<void(HttpResponse)> reply) {
  const absl::string_view path =
      absl::string_view(request.target).substr(0, request.target.find('?'));
  if (path != kMcpPath) {
    if (request.method != "GET" && request.method != "HEAD") {
      HttpResponse refused = Refusal(405, 12, "Method Not Allowed");
      refused.headers.emplace_back("allow", "GET, HEAD");
      reply(std::move(refused));
      return;
    }
    // RFC 9728 section 3.2: the protected resource and who issues its tokens
    // (todo-auth, through this gateway: sign-in answers the bearer token).
    const std::string base = BaseUrl(request);
    Value document;
    auto& fields = *document.mutable_struct_value()->mutable_fields();
    fields["resource"] = StringValue(absl::StrCat(base, kMcpPath));
    fields["authorization_servers"].mutable_list_value()->add_values()->set_string_value(base);
    fields["bearer_methods_supported"].mutable_list_value()->add_values()->set_string_value(
        "header");
    fields["resource_name"] = StringValue("todo-grpc task tools");
    HttpResponse response = Json(200, ToJson(document));
    if (request.method == "HEAD") response.body.clear();
    reply(std::move(response));
    return;
  }
  if (request.method != "POST") {
    // Stateless: no stream the server opens (GET), no session to end (DELETE).
    HttpResponse refused = Refusal(405, 12, "Method Not Allowed: this MCP server takes POST only");
    refused.headers.emplace_back("allow", "POST");
    reply(std::move(refused));
    return;
  }
  Post(request, std::move(metadata), std::move(reply));
}

void McpEndpoint::Post(const HttpRequest& request, common::rpc::Metadata metadata,
                       std::function<void(HttpResponse)> reply) {
  const std::string* authorization = request.Header("authorization");
  if (authorization == nullptr || !absl::StartsWithIgnoreCase(*authorization, "Bearer ") ||
      absl::StripAsciiWhitespace(absl::string_view(*authorization).substr(7)).empty()) {
    reply(Challenge(BaseUrl(request), "a bearer token is required: sign in (POST /v1/auth/sign-in)",
                    /*invalid_token=*/authorization != nullptr));
    return;
  }
  const std::optional<Framing> framing = FramingFor(request.Header("accept"));
  if (!framing) {
    reply(Refusal(406, 3, "Not Acceptable: accept application/json or text/event-stream"));
    return;
  }
  if (const std::string* type = request.Header("content-type");
      type != nullptr &&
      !absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(*type), "application/json")) {
    reply(Refusal(415, 3, "Unsupported Media Type: send application/json"));
    return;
  }
  if (request.body.size() > options_.max_body_bytes) {
    reply(Refusal(413, 8,
                  absl::StrCat("the message is larger than ", options_.max_body_bytes, " bytes")));
    return;
  }
  auto exchange = std::make_shared<Exchange>();
  exchange->framing = *framing;
  exchange->base_url = BaseUrl(request);
  exchange->metadata = std::move(metadata);
  exchange->reply = std::move(reply);
  std::variant<JsonRpcMessage, RefusedMessage> parsed = ParseMessage(request.body);
  if (auto* refused = std::get_if<RefusedMessage>(&parsed)) {
    exchange->id = refused->id;
    exchange->Error(refused->error.code, std::move(refused->error.message), 400);
    return;
  }
  const JsonRpcMessage& message = std::get<JsonRpcMessage>(parsed);
  exchange->id = message.kind == JsonRpcMessage::Kind::kRequest ? message.id : NullValue();
  // Initialize is exempt: the client learns the version from its answer.
  if (const std::string* version = request.Header("mcp-protocol-version");
      version != nullptr && message.method != "initialize") {
    if (!Supported(*version)) {
      exchange->Error(
          kInvalidRequest,
          absl::StrCat("Bad Request: unsupported MCP-Protocol-Version \"", *version,
                       "\" (supported: ", kProtocolVersions[0], ", ", kProtocolVersions[1], ")"),
          400);
      return;
    }
    exchange->protocol_version = *version;
  }
  if (message.kind != JsonRpcMessage::Kind::kRequest) {
    HttpResponse accepted;
    accepted.status = 202;
    exchange->reply(std::move(accepted));
    return;
  }
  Dispatch(std::move(exchange), message);
}

void McpEndpoint::Dispatch(std::shared_ptr<Exchange> exchange, const JsonRpcMessage& message) {
  const auto failed = [this](Exchange& exchange, const ClientReply& reply) {
    if (reply.code == absl::StatusCode::kUnauthenticated) {
      exchange.reply(Challenge(exchange.base_url, reply.message, /*invalid_token=*/true));
      return;
    }
    exchange.Error(kInternalError, absl::StrCat("the task tools are unavailable: ", reply.message));
  };
  if (message.method == "ping") {
    exchange->Result(ObjectValue(Struct()));
  } else if (message.method == "initialize") {
    const std::string requested = message.params.fields().contains("protocolVersion")
                                      ? message.params.fields().at("protocolVersion").string_value()
                                      : "";
    exchange->protocol_version =
        Supported(requested) ? requested : std::string(kProtocolVersions[0]);
    // The token is checked now (todo-chat verifies it), so a client with a
    // stale one is sent to sign in before it lists anything.
    CallChat(exchange, "ListTools", chat::ListToolsRequest().SerializeAsString(),
             [exchange, failed](const ClientReply& reply, const std::string&) {
               if (reply.code != absl::StatusCode::kOk) return failed(*exchange, reply);
               exchange->Result(InitializeResult(exchange->protocol_version));
             });
  } else if (message.method == "tools/list") {
    CallChat(exchange, "ListTools", chat::ListToolsRequest().SerializeAsString(),
             [exchange, failed](const ClientReply& reply, const std::string& bytes) {
               chat::ListToolsResponse listed;
               if (reply.code == absl::StatusCode::kOk && !listed.ParseFromString(bytes)) {
                 return exchange->Error(kInternalError, "the tool list does not parse");
               }
               if (reply.code != absl::StatusCode::kOk) return failed(*exchange, reply);
               exchange->Result(ToolsResult(listed));
             });
  } else if (message.method == "tools/call") {
    const auto& params = message.params.fields();
    auto name = params.find("name");
    auto arguments = params.find("arguments");
    if (name == params.end() || !name->second.has_string_value()) {
      return exchange->Error(kInvalidParams, "Invalid params: \"name\" (a string) is required");
    }
    if (arguments != params.end() && !arguments->second.has_struct_value()) {
      return exchange->Error(kInvalidParams, "Invalid params: \"arguments\" must be an object");
    }
    chat::CallToolRequest request;
    request.set_name(name->second.string_value());
    if (arguments != params.end()) *request.mutable_arguments() = arguments->second.struct_value();
    CallChat(exchange, "CallTool", request.SerializeAsString(),
             [exchange, failed, tool = request.name()](const ClientReply& reply,
                                                       const std::string& bytes) {
               switch (reply.code) {
                 case absl::StatusCode::kOk:
                   break;
                 case absl::StatusCode::kUnauthenticated:
                   return failed(*exchange, reply);
                 case absl::StatusCode::kNotFound:
                   return exchange->Error(kInvalidParams, absl::StrCat("Unknown tool: ", tool));
                 case absl::StatusCode::kInvalidArgument:
                   return exchange->Error(kInvalidParams,
                                          absl::StrCat("Invalid params: ", reply.message));
                 default:
                   // The tool could not run: a result the caller (a model)
                   // can read and retry, not a protocol error.
                   return exchange->Result(
                       ToolCallResult({}, true,
                                      absl::StrCat("The tasks could not be reached (",
                                                   reply.message, "); try again in a moment.")));
               }
               chat::CallToolResponse answered;
               if (!answered.ParseFromString(bytes)) {
                 return exchange->Error(kInternalError, "the tool's answer does not parse");
               }
               const auto error = answered.result().fields().find("error");
               exchange->Result(ToolCallResult(answered.result(), answered.is_error(),
                                               error != answered.result().fields().end()
                                                   ? error->second.string_value()
                                                   : "the tool failed"));
             });
  } else {
    exchange->Error(kMethodNotFound, absl::StrCat("Method not found: ", message.method));
  }
}

void McpEndpoint::CallChat(const std::shared_ptr<Exchange>& exchange, absl::string_view method,
                           std::string request,
                           std::function<void(const ClientReply&, const std::string&)> done) {
  Channel* const chat = upstreams_->For(kChatService);
  if (chat == nullptr) {
    ClientReply absent;
    absent.code = absl::StatusCode::kUnavailable;
    absent.message = "no upstream serves the chat service";
    done(absent, "");
    return;
  }
  ClientCall call;
  call.method_path = absl::StrCat("/", kChatService, "/", method);
  call.request_bytes = std::move(request);
  call.metadata = exchange->metadata;
  call.timeout = options_.upstream_timeout;
  auto answer = std::make_shared<std::string>();
  ClientCallbacks callbacks;
  callbacks.on_message = [answer](std::string message) {
    *answer = std::move(message);
    return true;
  };
  callbacks.on_close = [answer, done = std::move(done)](ClientReply reply) {
    if (reply.code == absl::StatusCode::kOk && reply.messages != 1) {
      reply.code = absl::StatusCode::kInternal;
      reply.message = "the upstream did not answer with exactly one message";
    }
    done(reply, *answer);
  };
  chat->Start(std::move(call), std::move(callbacks));
}

}  // namespace todo::gateway::mcp
