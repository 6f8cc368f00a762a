#pragma once

// One HTTP request in, one HTTP response (or a stream of chunks) out: the
// gateway's own endpoints (/health, /ready, CORS preflight, MCP), then Envoy-style
// transcoding (transcoding.md) of the matched route through a generic gRPC
// call to its service. Free of sockets; http_server.h feeds it. Asynchronous:
// the answer goes to a ResponseWriter when the upstream replies, on the same
// worker thread, so a request never waits on another thread.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "services/gateway/client_address.h"
#include "services/gateway/http_message.h"
#include "services/gateway/mcp/mcp_endpoint.h"
#include "services/gateway/rate_limiter.h"
#include "services/gateway/transcoding/request_translator.h"
#include "services/gateway/transcoding/response_translator.h"
#include "services/gateway/transcoding/transcoder_config.h"
#include "services/gateway/upstreams.h"
#include "services/gateway/web/static_files.h"

namespace todo::gateway {

// Defaults are Envoy's (transcoding.md 13); the shipped profile
// (shipped_profile.json) is applied over them by gateway_config.
struct GatewayOptions {
  // Envoy's request_validation_options.
  bool reject_unknown_method = false;
  bool reject_unknown_query_parameters = false;
  bool convert_grpc_status = false;
  transcoding::RequestTranslatorOptions request;
  transcoding::PrintOptions print;
  size_t max_response_body_bytes = 4 * 1024 * 1024;
  absl::Duration upstream_timeout = absl::Seconds(15);
  // Origins allowed by CORS; "*" allows any.
  std::vector<std::string> cors_origins;
  // The largest request message each service (by full name) takes: a larger
  // one is answered 413 here rather than sent to be refused with
  // RESOURCE_EXHAUSTED (which maps to 429 and invites retries).
  std::map<std::string, size_t> max_request_bytes;
  // Peers whose X-Forwarded-For is believed (TRUSTED_PROXIES).
  TrustedProxies trusted_proxies;
  // Per client address, in front of the methods that hash a password
  // (AuthService SignUp and SignIn); shared by every worker. nullptr: off.
  std::shared_ptr<AddressRateLimiter> password_rate_limiter;
  // Told of each answer as its status goes out (for metrics): the route
  // ("todo.tasks.v1.TasksService/GetTask", "/health", "/ready"; "" when no
  // route matched), the HTTP status and the time since the request arrived.
  std::function<void(absl::string_view route, int status, absl::Duration elapsed)> on_response;
  // The MCP endpoint (mcp/mcp_endpoint.h); its upstream timeout is
  // upstream_timeout's.
  mcp::McpOptions mcp;
  // The web app's files (WEB_ROOT), served where no route matches; the
  // OpenAPI document of the routes (/openapi.json). Shared by every worker;
  // null: none.
  std::shared_ptr<const web::StaticFiles> web;
  std::shared_ptr<const std::string> openapi_json;
};

// One per worker: it calls that worker's upstreams and runs on its thread.
class GatewayHandler {
 public:
  // All pointers must outlive the handler.
  GatewayHandler(const transcoding::TranscoderConfig* config, Upstreams* upstreams,
                 GatewayOptions options);

  // Answers through `writer`, now or later (upstream replies arrive on the
  // same thread).
  void Handle(HttpRequest request, std::shared_ptr<ResponseWriter> writer);

  struct Exchange;

 private:
  void Transcode(std::shared_ptr<Exchange> exchange);
  void Stream(std::shared_ptr<Exchange> exchange, Channel* upstream,
              const google::protobuf::Descriptor* output, ClientCall call);
  void Ready(std::shared_ptr<Exchange> exchange);
  // What every upstream call carries: the client's forwardable headers, the
  // request id, the trace, the client's address.
  common::rpc::Metadata UpstreamMetadata(const Exchange& exchange) const;
  // The headers every answer carries: x-request-id and CORS.
  void Decorate(const Exchange& exchange, HttpResponse& response) const;
  // Decorates, then answers.
  void Reply(const Exchange& exchange, HttpResponse response) const;
  void Observe(const Exchange& exchange, int status) const;
  HttpResponse UpstreamError(const ClientReply& reply) const;
  void AddCors(const HttpRequest& request, HttpResponse& response) const;

  const transcoding::TranscoderConfig* const config_;
  Upstreams* const upstreams_;
  const GatewayOptions options_;
  const transcoding::ResponseTranslator printer_;
  mcp::McpEndpoint mcp_;
};

}  // namespace todo::gateway
