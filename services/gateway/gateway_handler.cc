#include "services/gateway/gateway_handler.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/wire.h"
#include "common/tracing/trace_context.h"
#include "grpc/health/v1/health.pb.h"

namespace todo::gateway {
namespace {

// A UUID version 4 (RFC 9562): 122 random bits.
std::string NewRequestId() {
  std::string hex = common::tracing::RandomHex(16);
  hex[12] = '4';  // the version
  const int nibble = hex[16] <= '9' ? hex[16] - '0' : hex[16] - 'a' + 10;
  hex[16] = "89ab"[nibble & 3];  // the variant: 10xx
  const absl::string_view digits = hex;
  return absl::StrCat(digits.substr(0, 8), "-", digits.substr(8, 4), "-", digits.substr(12, 4), "-",
                      digits.substr(16, 4), "-", digits.substr(20));
}

// A client's X-Request-Id is kept only when it is 1-128 characters of a
// safe set: it is echoed in a header, logged and stored with idempotent
// results, so markup, quotes, spaces or control characters are never taken.
bool SafeRequestId(absl::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
  });
}

// The methods whose every call costs the service a password hash.
bool HashesAPassword(const google::protobuf::MethodDescriptor& method) {
  return method.service()->full_name() == "todo.auth.v1.AuthService" &&
         (method.name() == "SignIn" || method.name() == "SignUp");
}

// Request headers that travel on as gRPC metadata (7.1): not hop-by-hop, not
// what the gRPC layer sets itself, not reserved, and printable.
bool Forwardable(const std::string& name, const std::string& value) {
  static const absl::flat_hash_set<std::string>* const kDropped =
      new absl::flat_hash_set<std::string>{
          "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
          "te", "trailer", "content-length", "content-type", "accept-encoding", "expect",
          "user-agent", "x-envoy-original-path", "x-envoy-original-method",
          // Set by the gateway from the socket (client_address.h).
          "x-forwarded-for"};
  if (name.empty() || kDropped->contains(name) || absl::StartsWith(name, "grpc-") ||
      absl::EndsWith(name, "-bin") || name[0] == ':') {
    return false;
  }
  for (char c : name) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  for (char c : value) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

}  // namespace

// One request in progress: what the answer needs from the request.
struct GatewayHandler::Exchange {
  HttpRequest request;
  std::string request_id;
  // The gateway's span: the client's trace (traceparent) or a new one.
  common::tracing::TraceContext trace;
  std::shared_ptr<ResponseWriter> writer;
  absl::Time arrived = absl::Now();
  std::string route;  // for metrics: set once known
};

GatewayHandler::GatewayHandler(const transcoding::TranscoderConfig* config, Upstreams* upstreams,
                               GatewayOptions options)
    : config_(config),
      upstreams_(upstreams),
      options_(std::move(options)),
      printer_(&config->pool(), options_.print),
      mcp_(upstreams, [this] {
        mcp::McpOptions mcp = options_.mcp;
        mcp.upstream_timeout = options_.upstream_timeout;
        return mcp;
      }()) {}

void GatewayHandler::Handle(HttpRequest request, std::shared_ptr<ResponseWriter> writer) {
  auto exchange = std::make_shared<Exchange>();
  const std::string* given_id = request.Header("x-request-id");
  exchange->request_id =
      given_id != nullptr && SafeRequestId(*given_id) ? *given_id : NewRequestId();
  const std::string* traceparent = request.Header("traceparent");
  const std::string* tracestate = request.Header("tracestate");
  exchange->trace = common::tracing::TraceContext::ForRequest(
      traceparent != nullptr ? *traceparent : "", tracestate != nullptr ? *tracestate : "");
  exchange->request = std::move(request);
  exchange->writer = std::move(writer);
  const HttpRequest& r = exchange->request;
  const absl::string_view path =
      absl::string_view(r.target).substr(0, std::min(r.target.find('?'), r.target.size()));
  if (r.method == "OPTIONS" && r.Header("access-control-request-method") != nullptr) {
    HttpResponse preflight;
    preflight.status = 204;
    Reply(*exchange, std::move(preflight));
  } else if (r.method == "GET" && path == "/health") {
    exchange->route = "/health";
    Reply(*exchange, Json(200, absl::StrCat(R"({"status":"healthy","timestamp":")",
                                            absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                                             absl::UTCTimeZone()),
                                            R"("})")));
  } else if (r.method == "GET" && path == "/ready") {
    exchange->route = "/ready";
    Ready(std::move(exchange));
  } else if (r.method == "GET" && path == "/openapi.json" && options_.openapi_json != nullptr) {
    exchange->route = "/openapi.json";
    HttpResponse document = Json(200, *options_.openapi_json);
    document.headers.emplace_back("cache-control", "no-cache");
    Reply(*exchange, std::move(document));
  } else if (mcp::McpEndpoint::Serves(path)) {
    exchange->route = std::string(path);
    common::rpc::Metadata metadata = UpstreamMetadata(*exchange);
    mcp_.Handle(exchange->request, std::move(metadata),
                [this, exchange](HttpResponse response) { Reply(*exchange, std::move(response)); });
  } else {
    Transcode(std::move(exchange));
  }
}

void GatewayHandler::Decorate(const Exchange& exchange, HttpResponse& response) const {
  response.headers.emplace_back("x-request-id", exchange.request_id);
  // W3C Trace Context Level 2: the trace this request was served in, so a
  // client (or a support ticket) can name it.
  response.headers.emplace_back("traceresponse", exchange.trace.TraceParent());
  // Every API answer is about one caller at one moment, and some carry
  // tokens: no browser or shared cache keeps any of them. The app's files
  // say how they are cached.
  const bool cache_said =
      std::any_of(response.headers.begin(), response.headers.end(),
                  [](const auto& header) { return header.first == "cache-control"; });
  if (!cache_said) response.headers.emplace_back("cache-control", "no-store");
  AddCors(exchange.request, response);
}

void GatewayHandler::Reply(const Exchange& exchange, HttpResponse response) const {
  Decorate(exchange, response);
  Observe(exchange, response.status);
  exchange.writer->Respond(std::move(response));
}

void GatewayHandler::Observe(const Exchange& exchange, int status) const {
  if (options_.on_response) {
    options_.on_response(exchange.route, status, absl::Now() - exchange.arrived);
  }
}

void GatewayHandler::AddCors(const HttpRequest& request, HttpResponse& response) const {
  const std::string* origin = request.Header("origin");
  if (origin == nullptr) return;
  const bool allowed = std::any_of(options_.cors_origins.begin(), options_.cors_origins.end(),
                                   [&](const std::string& o) { return o == "*" || o == *origin; });
  if (!allowed) return;
  response.headers.emplace_back("access-control-allow-origin", *origin);
  response.headers.emplace_back("vary", "Origin");
  response.headers.emplace_back("access-control-allow-credentials", "true");
  response.headers.emplace_back("access-control-expose-headers",
                                "x-request-id, traceresponse, grpc-status, grpc-message, "
                                "mcp-protocol-version, www-authenticate");
  if (response.status == 204) {
    response.headers.emplace_back("access-control-allow-methods",
                                  "GET, POST, PUT, PATCH, DELETE, OPTIONS");
    const std::string* wanted = request.Header("access-control-request-headers");
    response.headers.emplace_back("access-control-allow-headers",
                                  wanted != nullptr ? *wanted : "authorization, content-type");
    response.headers.emplace_back("access-control-max-age", "600");
  }
}

void GatewayHandler::Ready(std::shared_ptr<Exchange> exchange) {
  // Every backend's gRPC health, asked at once; the answer waits for all.
  struct Census {
    std::map<std::string, std::string> states;
    size_t waiting = 0;
  };
  auto census = std::make_shared<Census>();
  const std::vector<std::string> services = upstreams_->services();
  census->waiting = services.size();
  const auto answer = [this, exchange, census] {
    std::string listed;
    bool ready = true;
    for (const auto& [service, state] : census->states) {
      ready &= state == "SERVING";
      absl::StrAppend(&listed, listed.empty() ? "" : ",", "\"", service, "\":\"", state, "\"");
    }
    Reply(*exchange,
          Json(ready ? 200 : 503, absl::StrCat(R"({"status":")", ready ? "ready" : "not_ready",
                                               R"(","services":{)", listed, "}}")));
  };
  if (services.empty()) {
    answer();
    return;
  }
  for (const std::string& service : services) {
    ClientCall check;
    check.method_path = "/grpc.health.v1.Health/Check";
    check.request_bytes = grpc::health::v1::HealthCheckRequest().SerializeAsString();
    check.timeout = absl::Seconds(2);
    auto answer_bytes = std::make_shared<std::string>();
    ClientCallbacks callbacks;
    callbacks.on_message = [answer_bytes](std::string message) {
      *answer_bytes = std::move(message);
      return true;
    };
    callbacks.on_close = [census, service, answer_bytes, answer](ClientReply reply) {
      grpc::health::v1::HealthCheckResponse health;
      const bool answered = reply.code == absl::StatusCode::kOk && reply.messages == 1 &&
                            health.ParseFromString(*answer_bytes);
      census->states[service] =
          answered ? grpc::health::v1::HealthCheckResponse::ServingStatus_Name(health.status())
                   : "UNREACHABLE";
      if (--census->waiting == 0) answer();
    };
    upstreams_->For(service)->Start(std::move(check), std::move(callbacks));
  }
}

common::rpc::Metadata GatewayHandler::UpstreamMetadata(const Exchange& exchange) const {
  const HttpRequest& request = exchange.request;
  common::rpc::Metadata metadata;
  for (const auto& [name, value] : request.headers) {
    if (name != "x-request-id" && name != "traceparent" && name != "tracestate" &&
        Forwardable(name, value)) {
      metadata.emplace_back(name, value);
    }
  }
  metadata.emplace_back("x-request-id", exchange.request_id);
  metadata.emplace_back("traceparent", exchange.trace.TraceParent());
  if (!exchange.trace.trace_state.empty()) {
    metadata.emplace_back("tracestate", exchange.trace.trace_state);
  }
  metadata.emplace_back("x-forwarded-for",
                        ClientAddress(request.peer_address, request.Header("x-forwarded-for"),
                                      options_.trusted_proxies));
  return metadata;
}

HttpResponse GatewayHandler::UpstreamError(const ClientReply& reply) const {
  const transcoding::UpstreamErrorHints hints =
      transcoding::HintsForUpstreamError(static_cast<int>(reply.code), reply.details_bin);
  HttpResponse response;
  std::optional<std::string> json;
  if (options_.convert_grpc_status) {
    json = printer_.StatusJson(static_cast<int>(reply.code), reply.message, reply.details_bin);
  }
  if (json) {
    response = Json(hints.http_status, *std::move(json));
  } else {
    response = Json(hints.http_status, "");
    response.headers.emplace_back("grpc-status", absl::StrCat(static_cast<int>(reply.code)));
    if (!reply.message.empty()) {
      response.headers.emplace_back("grpc-message",
                                    common::rpc::PercentEncodeMessage(reply.message));
    }
  }
  if (hints.retry_after_seconds) {
    response.headers.emplace_back("retry-after", absl::StrCat(*hints.retry_after_seconds));
  }
  return response;
}

void GatewayHandler::Transcode(std::shared_ptr<Exchange> exchange) {
  const HttpRequest& request = exchange->request;
  const size_t question = request.target.find('?');
  const absl::string_view path = absl::string_view(request.target).substr(0, question);
  const absl::string_view query = question == std::string::npos
                                      ? absl::string_view()
                                      : absl::string_view(request.target).substr(question + 1);
  // Envoy passes what it cannot transcode on to a gRPC upstream, which
  // resets it: the client sees a 503 (transcoding.md 0.1).
  const auto passed_through = [] {
    return TextResponse(503,
                        "upstream connect error or disconnect/reset before headers. reset reason: "
                        "remote reset");
  };
  absl::StatusOr<transcoding::RouteMatch> match = config_->Match(request.method, path);
  if (!match.ok() && options_.web != nullptr) {
    // The API's routes come first; then the web app's files.
    if (std::optional<HttpResponse> file = options_.web->Answer(request, path)) {
      exchange->route = "static";
      Reply(*exchange, *std::move(file));
      return;
    }
  }
  if (!match.ok()) {
    Reply(*exchange, options_.reject_unknown_method ? TextResponse(404, match.status().message())
                                                    : passed_through());
    return;
  }
  exchange->route.assign(match->route->grpc_path, 1);  // "<service>/<method>"
  absl::StatusOr<std::string> message =
      transcoding::TranslateRequest(*match, query, request.body, options_.request);
  if (!message.ok()) {
    const bool unknown_query = transcoding::IsUnknownField(message.status());
    Reply(*exchange, unknown_query && !options_.reject_unknown_query_parameters
                         ? passed_through()
                         : TextResponse(400, message.status().message()));
    return;
  }

  const google::protobuf::MethodDescriptor& method = *match->route->method;
  if (options_.password_rate_limiter != nullptr && HashesAPassword(method)) {
    const std::string client = ClientAddress(
        request.peer_address, request.Header("x-forwarded-for"), options_.trusted_proxies);
    if (const std::optional<absl::Duration> wait =
            options_.password_rate_limiter->Take(client, absl::Now())) {
      HttpResponse refused = Json(
          429,
          printer_.StatusJson(8, "too many sign-in requests from this address; retry later", "")
              .value_or("{}"));
      refused.headers.emplace_back(
          "retry-after", absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(*wait) + 1)));
      Reply(*exchange, std::move(refused));
      return;
    }
  }
  Channel* const upstream = upstreams_->For(method.service()->full_name());
  if (upstream == nullptr) {
    Reply(*exchange,
          TextResponse(503, absl::StrCat("no upstream for ", method.service()->full_name())));
    return;
  }
  if (const auto limit = options_.max_request_bytes.find(method.service()->full_name());
      limit != options_.max_request_bytes.end() && message->size() > limit->second) {
    Reply(*exchange, TextResponse(413, absl::StrCat("Request rejected: the message is larger "
                                                    "than the service accepts (at most ",
                                                    limit->second, " bytes).")));
    return;
  }
  ClientCall call;
  call.method_path = match->route->grpc_path;
  call.request_bytes = *std::move(message);
  call.timeout = options_.upstream_timeout;
  call.metadata = UpstreamMetadata(*exchange);
  call.metadata.emplace_back("x-envoy-original-path", request.target);
  call.metadata.emplace_back("x-envoy-original-method", request.method);

  if (method.server_streaming()) {
    Stream(std::move(exchange), upstream, method.output_type(), std::move(call));
    return;
  }
  auto answer = std::make_shared<std::string>();
  ClientCallbacks callbacks;
  callbacks.on_message = [answer](std::string message) {
    *answer = std::move(message);
    return true;
  };
  const google::protobuf::Descriptor* const output = method.output_type();
  callbacks.on_close = [this, exchange, answer, output](ClientReply reply) {
    if (reply.code == absl::StatusCode::kOk && reply.messages != 1) {
      reply.code = absl::StatusCode::kInternal;  // as gRPC's own client says for a unary call
      reply.message = "the upstream did not answer with exactly one message";
    }
    if (reply.code != absl::StatusCode::kOk) {
      Reply(*exchange, UpstreamError(reply));
      return;
    }
    if (answer->size() > options_.max_response_body_bytes) {
      Reply(*exchange,
            TextResponse(500,
                         "Response not transcoded because the transcoder's internal buffer size "
                         "exceeds the configured limit."));
      return;
    }
    absl::StatusOr<std::string> json = printer_.MessageJson(*output, *answer);
    if (!json.ok()) {
      Reply(*exchange, TextResponse(502, json.status().message()));
      return;
    }
    HttpResponse response = Json(200, *std::move(json));
    response.headers.emplace_back("grpc-status", "0");
    Reply(*exchange, std::move(response));
  };
  upstream->Start(std::move(call), std::move(callbacks));
}

// Server streaming (transcoding.md 9): the head goes out when the upstream
// opens the stream (its response headers; todo-tasks sends them at once) or
// with the first message, whichever comes first; a JSON array,
// newline-delimited JSON or server-sent events. A stream has no deadline; it
// ends when the client hangs up, which the HTTP server notices at once and
// which cancels the upstream call.
//
// Beyond Envoy, which picks the framing by configuration only: a client
// whose Accept header names text/event-stream (a browser's EventSource, a
// fetch that reads events) gets server-sent events whatever the
// configuration says, so one gateway serves the chat stream to curl as a
// JSON array and to the web app as events.
void GatewayHandler::Stream(std::shared_ptr<Exchange> exchange, Channel* upstream,
                            const google::protobuf::Descriptor* output, ClientCall call) {
  struct Progress {
    bool started = false;
    bool first_written = false;
    bool client_gone = false;
  };
  auto progress = std::make_shared<Progress>();
  const std::string* accept = exchange->request.Header("accept");
  const bool sse =
      options_.print.stream_sse_style_delimited ||
      (accept != nullptr && absl::StrContains(absl::AsciiStrToLower(*accept), "text/event-stream"));
  const bool ndjson = !sse && options_.print.stream_newline_delimited;
  // Sends the head (and an array's "["); false when the client is gone.
  const auto start = [this, exchange, progress, sse, ndjson] {
    if (progress->started) return !progress->client_gone;
    progress->started = true;
    HttpResponse head = Json(200, "");
    if (sse) head.headers = {{"content-type", "text/event-stream"}};
    Decorate(*exchange, head);
    Observe(*exchange, head.status);
    if (!exchange->writer->StartStream(head) ||
        !exchange->writer->WriteStream(sse || ndjson ? "" : "[")) {
      progress->client_gone = true;
    }
    return !progress->client_gone;
  };
  ClientCallbacks callbacks;
  callbacks.on_headers = [start] { start(); };
  callbacks.on_message = [this, exchange, progress, sse, ndjson, output, start](std::string bytes) {
    absl::StatusOr<std::string> json = printer_.MessageJson(*output, bytes);
    if (!json.ok() || !start()) return false;
    std::string piece = progress->first_written && !sse && !ndjson ? "," : "";
    progress->first_written = true;
    absl::StrAppend(&piece, sse ? "data: " : "", *json, sse ? "\n\n" : (ndjson ? "\n" : ""));
    if (!exchange->writer->WriteStream(piece)) return !(progress->client_gone = true);
    return true;
  };
  callbacks.on_close = [this, exchange, progress, sse, ndjson](ClientReply reply) {
    if (progress->started) {
      // 9.4: once the head is out, the array is closed normally.
      if (!progress->client_gone && !sse && !ndjson) exchange->writer->WriteStream("]");
      exchange->writer->EndStream();
      return;
    }
    if (reply.code != absl::StatusCode::kOk && options_.convert_grpc_status) {
      Reply(*exchange, UpstreamError(reply));  // 9.3
      return;
    }
    HttpResponse empty = Json(transcoding::HttpStatusForGrpcCode(static_cast<int>(reply.code)),
                              sse || ndjson ? "" : "[]");
    if (sse) empty.headers = {{"content-type", "text/event-stream"}};
    Reply(*exchange, std::move(empty));
  };
  call.timeout = absl::InfiniteDuration();
  const uint64_t id = upstream->Start(std::move(call), std::move(callbacks));
  exchange->writer->OnAbandoned([upstream, id] { upstream->Cancel(id); });
}

}  // namespace todo::gateway
