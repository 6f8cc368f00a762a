#include "services/gateway/gateway_handler.h"

#include <openssl/rand.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/channel.h"

namespace todo::gateway {
namespace {

// A complete response with a body of one content type.
HttpResponse WithBody(int status, absl::string_view content_type, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers = {{"content-type", std::string(content_type)}};
  response.body = std::move(body);
  return response;
}

HttpResponse Json(int status, std::string body) {
  return WithBody(status, "application/json", std::move(body));
}

std::string NewRequestId() {
  unsigned char bytes[16];
  RAND_bytes(bytes, sizeof(bytes));
  bytes[6] = (bytes[6] & 0x0F) | 0x40;  // UUID version 4
  bytes[8] = (bytes[8] & 0x3F) | 0x80;
  return absl::StrFormat("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6],
                         bytes[7], bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13],
                         bytes[14], bytes[15]);
}

// Request headers that travel on as gRPC metadata (7.1): not hop-by-hop, not
// what the gRPC layer sets itself, not reserved, and printable.
bool Forwardable(const std::string& name, const std::string& value) {
  static const absl::flat_hash_set<std::string>* const kDropped =
      new absl::flat_hash_set<std::string>{"host",
                                           "connection",
                                           "keep-alive",
                                           "proxy-connection",
                                           "transfer-encoding",
                                           "upgrade",
                                           "te",
                                           "trailer",
                                           "content-length",
                                           "content-type",
                                           "accept-encoding",
                                           "expect",
                                           "user-agent",
                                           "x-envoy-original-path",
                                           "x-envoy-original-method"};
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

// grpc-message as it travels in HTTP/2: percent-encoded (gRPC spec).
std::string PercentEncoded(absl::string_view message) {
  std::string out;
  for (unsigned char c : message) {
    if (c < 0x20 || c > 0x7E || c == '%') {
      absl::StrAppendFormat(&out, "%%%02X", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

}  // namespace

HttpResponse TextResponse(int status, absl::string_view text) {
  return WithBody(status, "text/plain", std::string(text));
}

const std::string* HttpRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

GatewayHandler::GatewayHandler(const transcoding::TranscoderConfig* config,
                               UpstreamChannels* upstreams, GatewayOptions options)
    : config_(config),
      upstreams_(upstreams),
      options_(std::move(options)),
      printer_(&config->pool(), options_.print) {}

HttpResponse GatewayHandler::Handle(const HttpRequest& request, const StreamSink& sink) {
  const std::string* given_id = request.Header("x-request-id");
  const std::string request_id =
      given_id != nullptr && !given_id->empty() && given_id->size() <= 128 ? *given_id
                                                                           : NewRequestId();
  const absl::string_view path =
      absl::string_view(request.target)
          .substr(0, std::min(request.target.find('?'), request.target.size()));
  HttpResponse response;
  if (request.method == "OPTIONS" && request.Header("access-control-request-method") != nullptr) {
    response.status = 204;  // CORS preflight
  } else if (request.method == "GET" && path == "/health") {
    response = Json(200, absl::StrCat(R"({"status":"healthy","timestamp":")",
                                      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                                       absl::UTCTimeZone()),
                                      R"("})"));
  } else if (request.method == "GET" && path == "/ready") {
    response = Ready();
  } else {
    response = Transcode(request, request_id, sink);
  }
  if (!response.streamed) {
    response.headers.emplace_back("x-request-id", request_id);
    AddCors(request, response);
  }
  return response;
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
                                "x-request-id, grpc-status, grpc-message");
  if (response.status == 204) {
    response.headers.emplace_back("access-control-allow-methods",
                                  "GET, POST, PUT, PATCH, DELETE, OPTIONS");
    const std::string* wanted = request.Header("access-control-request-headers");
    response.headers.emplace_back("access-control-allow-headers",
                                  wanted != nullptr ? *wanted : "authorization, content-type");
    response.headers.emplace_back("access-control-max-age", "600");
  }
}

HttpResponse GatewayHandler::Ready() {
  std::string services;
  bool ready = true;
  for (const std::string& service : upstreams_->services()) {
    auto stub = grpc::health::v1::Health::NewStub(
        std::shared_ptr<grpc::ChannelInterface>(upstreams_->ChannelFor(service)));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    grpc::health::v1::HealthCheckRequest check;
    grpc::health::v1::HealthCheckResponse answer;
    const grpc::Status status = stub->Check(&context, check, &answer);
    const std::string state =
        status.ok() ? grpc::health::v1::HealthCheckResponse::ServingStatus_Name(answer.status())
                    : "UNREACHABLE";
    ready &= state == "SERVING";
    absl::StrAppend(&services, services.empty() ? "" : ",", "\"", service, "\":\"", state, "\"");
  }
  return Json(ready ? 200 : 503, absl::StrCat(R"({"status":")", ready ? "ready" : "not_ready",
                                              R"(","services":{)", services, "}}"));
}

HttpResponse GatewayHandler::UpstreamError(const UpstreamReply& reply) const {
  const int http_status = transcoding::HttpStatusForGrpcCode(reply.code);
  if (options_.convert_grpc_status) {
    if (std::optional<std::string> json =
            printer_.StatusJson(reply.code, reply.message, reply.details_bin)) {
      return Json(http_status, *std::move(json));
    }
  }
  HttpResponse response = Json(http_status, "");
  response.headers.emplace_back("grpc-status", absl::StrCat(reply.code));
  if (!reply.message.empty()) {
    response.headers.emplace_back("grpc-message", PercentEncoded(reply.message));
  }
  return response;
}

HttpResponse GatewayHandler::Transcode(const HttpRequest& request, const std::string& request_id,
                                       const StreamSink& sink) {
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
  if (!match.ok()) {
    return options_.reject_unknown_method ? TextResponse(404, match.status().message())
                                          : passed_through();
  }
  absl::StatusOr<std::string> message =
      transcoding::TranslateRequest(*match, query, request.body, options_.request);
  if (!message.ok()) {
    const bool unknown_query = absl::StartsWith(message.status().message(), "Could not find field");
    if (unknown_query && !options_.reject_unknown_query_parameters) return passed_through();
    return TextResponse(400, message.status().message());
  }

  const google::protobuf::MethodDescriptor& method = *match->route->method;
  UpstreamCall call;
  call.method_path = absl::StrCat("/", method.service()->full_name(), "/", method.name());
  call.request_bytes = *std::move(message);
  call.timeout = options_.upstream_timeout;
  for (const auto& [name, value] : request.headers) {
    if (name != "x-request-id" && Forwardable(name, value)) call.metadata.emplace_back(name, value);
  }
  call.metadata.emplace_back("x-request-id", request_id);
  call.metadata.emplace_back("x-envoy-original-path", request.target);
  call.metadata.emplace_back("x-envoy-original-method", request.method);
  const std::string service = method.service()->full_name();

  if (!method.server_streaming()) {
    absl::StatusOr<UpstreamReply> reply = upstreams_->CallUnary(service, call);
    if (!reply.ok()) return TextResponse(503, reply.status().message());
    if (reply->code != 0) return UpstreamError(*reply);
    if (reply->messages.front().size() > options_.max_response_body_bytes) {
      return TextResponse(500,
                          "Response not transcoded because the transcoder's internal buffer size "
                          "exceeds the configured limit.");
    }
    absl::StatusOr<std::string> json =
        printer_.MessageJson(*method.output_type(), reply->messages.front());
    if (!json.ok()) return TextResponse(502, json.status().message());
    HttpResponse response = Json(200, *std::move(json));
    response.headers.emplace_back("grpc-status", "0");
    return response;
  }

  // Server streaming (transcoding.md 9): the head goes out with the first
  // message; a JSON array, newline-delimited JSON or server-sent events.
  const bool sse = options_.print.stream_sse_style_delimited;
  const bool ndjson = !sse && options_.print.stream_newline_delimited;
  HttpResponse head = Json(200, "");
  if (sse) head.headers = {{"content-type", "text/event-stream"}};
  head.headers.emplace_back("x-request-id", request_id);
  AddCors(request, head);
  bool started = false;
  bool client_gone = false;
  const auto on_message = [&](const std::string& bytes) {
    absl::StatusOr<std::string> json = printer_.MessageJson(*method.output_type(), bytes);
    if (!json.ok()) return false;
    std::string piece;
    if (!started) {
      if (!sink.start(head)) return !(client_gone = true);
      started = true;
      piece = sse || ndjson ? "" : "[";
    } else if (!sse && !ndjson) {
      piece = ",";
    }
    absl::StrAppend(&piece, sse ? "data: " : "", *json, sse ? "\n\n" : (ndjson ? "\n" : ""));
    if (!sink.write(piece)) return !(client_gone = true);
    return true;
  };
  call.timeout = absl::InfiniteDuration();  // a stream lives as long as its client
  const auto alive = [&] { return sink.alive ? sink.alive() : true; };
  absl::StatusOr<UpstreamReply> reply =
      upstreams_->CallServerStreaming(service, call, on_message, alive);
  if (!reply.ok()) return TextResponse(503, reply.status().message());
  if (started) {
    // 9.4: once the head is out, the array is closed normally.
    if (!client_gone && !sse && !ndjson) sink.write("]");
    HttpResponse done;
    done.streamed = true;
    return done;
  }
  if (reply->code != 0 && options_.convert_grpc_status) return UpstreamError(*reply);  // 9.3
  HttpResponse empty =
      Json(transcoding::HttpStatusForGrpcCode(reply->code), sse || ndjson ? "" : "[]");
  if (sse) empty.headers = {{"content-type", "text/event-stream"}};
  return empty;
}

}  // namespace todo::gateway
